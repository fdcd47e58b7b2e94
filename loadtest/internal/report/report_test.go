package report

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/avatar-fi/avatar/protocol/callevent"
)

// run builds a small report: two regions, us-east healthy, eu-central with
// one call refused as full, one unanswered turn and one premature reply.
func run() *Report {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	regions := []RegionSpec{{Name: "us-east", Edge: "http://e1", Impairment: "delay=20ms",
		EdgeLoad: &EdgeLoad{Calls: 2, Cores: 0.25, CoresPerCall: 0.125, RSSMB: 180, RSSMBPerCall: 6.5, WindowS: 40}},
		{Name: "eu-central", Edge: "http://e3"}}
	calls := []Call{
		{Region: "us-east", Call: 0, Connected: true, SetupMs: 100, Measured: true, RTTMs: 40, JitterMs: 2, MOS: 4.3},
		{Region: "us-east", Call: 1, Connected: true, SetupMs: 300, Measured: true, RTTMs: 60, JitterMs: 4, MOS: 4.1},
		{Region: "eu-central", Call: 0, Connected: true, SetupMs: 500, Measured: true, RTTMs: 220, UplinkLossPct: 1, MOS: 3.9},
		{Region: "eu-central", Call: 1, Failure: FailFull},
	}
	st := func(gap float64) map[string]float64 {
		return map[string]float64{callevent.StageEndpoint: gap / 2, callevent.StageTurnGap: gap - 30}
	}
	turns := []Turn{
		{Region: "us-east", Call: 0, Clip: "a.wav", At: t0.Add(5 * time.Second), Answered: true, GapMs: 300, Stages: st(300)},
		{Region: "us-east", Call: 0, Clip: "b.wav", At: t0.Add(9 * time.Second), Answered: true, GapMs: 400, Stages: st(400)},
		{Region: "us-east", Call: 1, Clip: "a.wav", At: t0.Add(6 * time.Second), Answered: true, GapMs: 500, Stages: st(500)},
		{Region: "eu-central", Call: 0, Clip: "a.wav", At: t0.Add(7 * time.Second), Answered: true, GapMs: 700, Premature: true, Stages: st(700)},
		{Region: "eu-central", Call: 0, Clip: "b.wav", At: t0.Add(12 * time.Second)},
	}
	return Build(t0, 20*time.Second, regions, calls, turns)
}

func TestBuild(t *testing.T) {
	r := run()
	if len(r.Regions) != 2 {
		t.Fatalf("%d regions", len(r.Regions))
	}
	us, eu := r.Regions[0], r.Regions[1]
	tests := []struct {
		name      string
		got, want float64
	}{
		{"us calls", float64(us.Calls), 2},
		{"us ok", float64(us.CallsOK), 2},
		{"us turns", float64(us.Turns), 3},
		{"us failed", float64(us.Failed), 0},
		{"us gap p50", us.TurnGapMs.P50, 400},
		{"us gap p95", us.TurnGapMs.P95, 490},
		{"us setup p50", us.SetupMs.P50, 200},
		{"us endpoint p50", us.Stages[callevent.StageEndpoint].P50, 200},
		{"us rtt mean", us.Network.RTTMs, 50},
		{"us mos mean", us.Network.MOS, 4.2},
		{"us mos min", us.Network.MOSMin, 4.1},
		{"eu calls", float64(eu.Calls), 2},
		{"eu ok", float64(eu.CallsOK), 1},
		{"eu turns", float64(eu.Turns), 2},
		{"eu answered", float64(eu.Answered), 1},
		{"eu failed: one full, one unanswered", float64(eu.Failed), 2},
		{"eu full", float64(eu.Failures[FailFull]), 1},
		{"eu no reply", float64(eu.Failures[FailNoReply]), 1},
		{"eu premature", float64(eu.Premature), 1},
		{"eu setup p50 counts connected calls only", eu.SetupMs.P50, 500},
	}
	for _, tt := range tests {
		if math.Abs(tt.got-tt.want) > 1e-9 {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

// TestJSONShape pins the report.json contract ops tooling reads.
func TestJSONShape(t *testing.T) {
	var buf bytes.Buffer
	if err := run().WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	regions, ok := doc["regions"].([]any)
	if !ok || len(regions) != 2 {
		t.Fatalf("regions: %T %v", doc["regions"], doc["regions"])
	}
	pct := func(t *testing.T, where string, v any) {
		t.Helper()
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s: %T, want an object", where, v)
		}
		for _, k := range []string{"p50", "p95", "p99"} {
			if _, ok := m[k].(float64); !ok {
				t.Errorf("%s.%s: %T, want a number", where, k, m[k])
			}
		}
	}
	for i, x := range regions {
		reg, ok := x.(map[string]any)
		if !ok {
			t.Fatalf("regions[%d]: %T", i, x)
		}
		if _, ok := reg["region"].(string); !ok {
			t.Errorf("regions[%d].region: %T, want a string", i, reg["region"])
		}
		for _, k := range []string{"calls", "turns", "failed", "premature"} {
			if v, ok := reg[k].(float64); !ok || v != math.Trunc(v) {
				t.Errorf("regions[%d].%s: %v, want an integer", i, k, reg[k])
			}
		}
		pct(t, "turn_gap_ms", reg["turn_gap_ms"])
		pct(t, "setup_ms", reg["setup_ms"])
		stages, ok := reg["stages"].(map[string]any)
		if !ok || len(stages) == 0 {
			t.Fatalf("regions[%d].stages: %v, want stage → percentiles", i, reg["stages"])
		}
		for name, p := range stages {
			pct(t, "stages."+name, p)
		}
	}
	if got := regions[1].(map[string]any)["failed"]; got != 2.0 {
		t.Errorf("eu-central failed = %v, want 2", got)
	}
	load, ok := regions[0].(map[string]any)["edge_load"].(map[string]any)
	if !ok || load["cores_per_call"] != 0.125 || load["rss_mb_per_call"] != 6.5 || load["calls"] != 2.0 {
		t.Errorf("us-east edge_load = %v, want cores_per_call 0.125, rss_mb_per_call 6.5, calls 2", regions[0].(map[string]any)["edge_load"])
	}
	if _, ok := regions[1].(map[string]any)["edge_load"]; ok {
		t.Error("eu-central has an edge_load though its edge was not measured")
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		slo  SLO
		want []string // substrings, one per violation, in order
	}{
		{"all met", SLO{TurnGapP95: time.Second, MaxFailed: -1, MaxPremature: -1}, nil},
		{"turn gap", SLO{TurnGapP95: 450 * time.Millisecond, MaxFailed: -1, MaxPremature: -1},
			[]string{"us-east: turn gap p95 490 ms > 450ms", "eu-central: turn gap p95 700 ms"}},
		{"failed and premature", SLO{MaxFailed: 0, MaxPremature: 0},
			[]string{"eu-central: 2 failed > 0 (full 1, no_reply 1)", "eu-central: 1 premature"}},
		{"set-up and MOS", SLO{SetupP95: 400 * time.Millisecond, MinMOS: 4, MaxFailed: -1, MaxPremature: -1},
			[]string{"eu-central: set-up p95 500 ms", "eu-central: MOS 3.90 < 4.00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run()
			got := r.Check(tt.slo)
			if len(got) != len(tt.want) {
				t.Fatalf("violations %q, want %d", got, len(tt.want))
			}
			for i := range got {
				if !strings.Contains(got[i], tt.want[i]) {
					t.Errorf("violation %q, want it to say %q", got[i], tt.want[i])
				}
			}
			if len(r.Violations) != len(got) {
				t.Errorf("report keeps %d violations, Check returned %d", len(r.Violations), len(got))
			}
		})
	}
}

func TestWriteHTML(t *testing.T) {
	var buf bytes.Buffer
	if err := run().WriteHTML(&buf); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	if n := strings.Count(html, "<svg "); n != 3 {
		t.Errorf("%d SVG charts, want 3 (histogram, timeline, stages)", n)
	}
	for _, forbidden := range []string{"<script", "src=\"http", "href=\"http", "ZgotmplZ"} {
		if strings.Contains(html, forbidden) {
			t.Errorf("report.html contains %q: it must be self-contained and render cleanly", forbidden)
		}
	}
	// Four answered turns: four dots; eu-central's unanswered one is not drawn.
	if n := strings.Count(html, "<circle "); n != 4 {
		t.Errorf("%d dots on the timeline, want 4", n)
	}
	for _, want := range []string{"us-east", "eu-central", "full 1, no_reply 1", "background: #1f77b4",
		"<td>0.125 / 6.5</td>", "<td>not measured</td>"} {
		if !strings.Contains(html, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
}

func TestWriteTable(t *testing.T) {
	r := run()
	r.Check(SLO{MaxFailed: 0, MaxPremature: -1})
	var buf bytes.Buffer
	if err := r.WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"us-east", "400/490/498", "eu-central", "SLO missed: eu-central: 2 failed",
		"edge cost us-east      0.125 cores/call (0.25 cores, 2 calls, 40s), 6.5 MiB/call"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}
