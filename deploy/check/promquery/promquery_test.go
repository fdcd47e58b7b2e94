package promquery_test

import (
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/avatar-fi/avatar/deploy/check/promquery"
)

func TestNames(t *testing.T) {
	tests := []struct {
		name string
		expr string
		want []string
	}{
		{name: "bare name", expr: "up", want: []string{"up"}},
		{name: "selector", expr: `calls_total{region="eu", code!="ok"}`, want: []string{"calls_total"}},
		{name: "name in braces", expr: `{__name__="calls_total", job="edge"}`, want: []string{"calls_total"}},
		{name: "functions and aggregation",
			expr: `histogram_quantile(0.95, sum by (le, region) (rate(turn_seconds_bucket{stage="turn_gap"}[5m])))`,
			want: []string{"turn_seconds_bucket"}},
		{name: "binary operators, repeats once",
			expr: `sum(rate(a_total[5m])) / on (region) group_left () (sum(rate(b_total[5m])) + sum(rate(a_total[1h]))) > 0.5 and c_ratio > 1`,
			want: []string{"a_total", "b_total", "c_ratio"}},
		{name: "recorded names", expr: "job:calls:rate5m > (14.4 * 0.01)", want: []string{"job:calls:rate5m"}},
		{name: "no metric", expr: "vector(0.01)", want: nil},
		{name: "absent", expr: `absent(up{job="core"} == 1)`, want: []string{"up"}},
		{name: "offset and subquery", expr: `max_over_time(rate(x_total[1m])[10m:1m] offset 1h)`, want: []string{"x_total"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := promquery.Names(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Names(%q) = %v, want %v", tt.expr, got, tt.want)
			}
		})
	}
}

func TestNamesFails(t *testing.T) {
	tests := []struct {
		name string
		expr string
		want error
	}{
		{name: "name regexp", expr: `{__name__=~"avatar_.*"}`, want: promquery.ErrNameRegexp},
		{name: "negative name", expr: `{__name__!="up", job="x"}`, want: promquery.ErrNameRegexp},
		{name: "labels only", expr: `{job="edge"}`, want: promquery.ErrNoMetric},
		{name: "syntax", expr: `sum(rate(x[5m])`, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := promquery.Names(tt.expr)
			if err == nil {
				t.Fatalf("Names(%q) succeeded", tt.expr)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Names(%q): %v, want %v", tt.expr, err, tt.want)
			}
		})
	}
}

func TestLoadDashboard(t *testing.T) {
	title, qs, err := promquery.LoadDashboard(filepath.Join("testdata", "dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	if title != "Fixture" {
		t.Errorf("title %q", title)
	}
	want := []promquery.Query{
		{Where: `panel "Inside the row" A`, Expr: `sum by (region) (rate(inner_total{region=~"$region"}[5m]))`},
		{Where: `panel "Top level" A`, Expr: `histogram_quantile(0.95, sum by (le) (rate(turn_seconds_bucket[5m])))`},
		{Where: `panel "Top level" B`, Expr: `avg_over_time(depth[5m])`},
		{Where: "variable region", Expr: `up{job="edge"}`},
		{Where: "variable pool", Expr: `max by (pool) (pool_conns)`},
	}
	if !slices.Equal(qs, want) {
		t.Errorf("got\n%q\nwant\n%q", qs, want)
	}
	for _, q := range qs {
		if _, err := promquery.Names(q.Expr); err != nil {
			t.Errorf("%s: %v", q.Where, err)
		}
	}
}

func TestLoadDashboardFails(t *testing.T) {
	tests := []struct {
		name string
		file string
	}{
		{name: "unsupported variable query", file: "unknown-variable.json"},
		{name: "target without expr", file: "no-expr.json"},
		{name: "missing file", file: "absent.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := promquery.LoadDashboard(filepath.Join("testdata", tt.file)); err == nil {
				t.Fatal("LoadDashboard succeeded")
			}
		})
	}
}

func TestExpandGrafana(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "rate interval", in: "rate(x[$__rate_interval])", want: "rate(x[5m])"},
		{name: "braces", in: "rate(x[${__interval}])", want: "rate(x[5m])"},
		{name: "range", in: "increase(x[$__range])", want: "increase(x[5m])"},
		{name: "numeric variants left", in: "x * $__range_s", want: "x * $__range_s"},
		{name: "user variable left", in: `x{region=~"$region"}`, want: `x{region=~"$region"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := promquery.ExpandGrafana(tt.in); got != tt.want {
				t.Errorf("ExpandGrafana(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestLoadRules(t *testing.T) {
	rf, err := promquery.LoadRules(filepath.Join("testdata", "rules.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			got = append(got, r.Name()+" = "+r.Expr)
		}
	}
	want := []string{"job:calls:rate5m = sum by (job) (rate(calls_total[5m]))", "CallsLow = job:calls:rate5m < 1"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
