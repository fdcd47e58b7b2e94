package catalog_test

import (
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/avatar-fi/avatar/deploy/check/catalog"
)

func TestScanMetrics(t *testing.T) {
	c, err := catalog.ScanMetrics(filepath.Join("testdata", "good"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]catalog.Kind{
		"demo_cache_hits_total":    catalog.KindCounter,
		"demo_latency_seconds":     catalog.KindHistogram,
		"demo_quantiles_seconds":   catalog.KindSummary,
		"demo_queue_depth":         catalog.KindGauge,
		"demo_pool_acquired_conns": catalog.KindUnknown,
		"demo_raw_desc":            catalog.KindUnknown,
		"demo_other_total":         catalog.KindCounter,
	}
	got := map[string]catalog.Kind{}
	for _, m := range c.Metrics() {
		got[m.Name] = m.Kind
		if m.Origin == "" {
			t.Errorf("%s has no origin", m.Name)
		}
	}
	for name, kind := range want {
		if k, ok := got[name]; !ok || k != kind {
			t.Errorf("%s: got kind %v (found %v), want %v", name, k, ok, kind)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s found, but it is no binary's metric (test file, testdata or another Opts type)", name)
		}
	}
}

func TestScanMetricsFails(t *testing.T) {
	tests := []struct {
		name string
		dir  string
		want error
	}{
		{name: "name from a parameter", dir: "notconst", want: catalog.ErrNotConstant},
		{name: "options without a name", dir: "noname", want: catalog.ErrNotConstant},
		{name: "one name, two kinds", dir: "conflict", want: catalog.ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := catalog.ScanMetrics(filepath.Join("testdata", tt.dir))
			if !errors.Is(err, tt.want) {
				t.Fatalf("ScanMetrics: %v, want %v", err, tt.want)
			}
		})
	}
}

func TestLookup(t *testing.T) {
	c := catalog.New()
	for _, m := range []catalog.Metric{
		{Name: "calls_total", Kind: catalog.KindCounter},
		{Name: "active_calls", Kind: catalog.KindGauge},
		{Name: "turn_seconds", Kind: catalog.KindHistogram},
		{Name: "gc_seconds", Kind: catalog.KindSummary},
		{Name: "pool_conns", Kind: catalog.KindUnknown},
	} {
		if err := c.Add(m); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name   string
		series string
		want   bool
	}{
		{name: "counter", series: "calls_total", want: true},
		{name: "gauge", series: "active_calls", want: true},
		{name: "histogram bucket", series: "turn_seconds_bucket", want: true},
		{name: "histogram sum", series: "turn_seconds_sum", want: true},
		{name: "histogram count", series: "turn_seconds_count", want: true},
		{name: "histogram bare name selects nothing", series: "turn_seconds", want: false},
		{name: "summary quantiles", series: "gc_seconds", want: true},
		{name: "summary count", series: "gc_seconds_count", want: true},
		{name: "summary has no buckets", series: "gc_seconds_bucket", want: false},
		{name: "counter has no buckets", series: "calls_total_bucket", want: false},
		{name: "desc any series", series: "pool_conns_bucket", want: true},
		{name: "desc bare", series: "pool_conns", want: true},
		{name: "unknown", series: "turn_stage_seconds_bucket", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, got := c.Lookup(tt.series); got != tt.want {
				t.Errorf("Lookup(%q) = %v, want %v", tt.series, got, tt.want)
			}
		})
	}
}

func TestAddKeepsKnownKind(t *testing.T) {
	c := catalog.New()
	for _, m := range []catalog.Metric{
		{Name: "x", Kind: catalog.KindUnknown, Origin: "desc"},
		{Name: "x", Kind: catalog.KindGauge, Origin: "opts"},
		{Name: "x", Kind: catalog.KindUnknown, Origin: "desc again"},
	} {
		if err := c.Add(m); err != nil {
			t.Fatal(err)
		}
	}
	if m := c.Metrics()[0]; m.Kind != catalog.KindGauge || m.Origin != "opts" {
		t.Errorf("got %+v, want the gauge", m)
	}
	if err := c.Add(catalog.Metric{Name: "x", Kind: catalog.KindCounter}); !errors.Is(err, catalog.ErrConflict) {
		t.Errorf("gauge then counter: %v, want ErrConflict", err)
	}
}

func TestAddGathered(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "g_seconds", Help: "h"})
	reg.MustRegister(h, prometheus.NewCounter(prometheus.CounterOpts{Name: "g_total", Help: "c"}))
	h.Observe(1)
	c := catalog.New()
	if err := c.AddGathered(reg, "test registry"); err != nil {
		t.Fatal(err)
	}
	got := []string{}
	for _, m := range c.Metrics() {
		got = append(got, m.Name+" "+m.Kind.String())
	}
	if want := []string{"g_seconds histogram", "g_total counter"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestScanEnv(t *testing.T) {
	got, err := catalog.ScanEnv(filepath.Join("testdata", "env"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for n := range got {
		names = append(names, n)
	}
	slices.Sort(names)
	if want := []string{"AVATAR_BAR_URL", "AVATAR_FOO"}; !slices.Equal(names, want) {
		t.Errorf("ScanEnv = %v, want %v", names, want)
	}
}
