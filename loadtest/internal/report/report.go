// Package report turns what the load tester's callers measured into its
// outputs: a table per region on the terminal, report.json (the shape ops
// tooling reads: `regions`, each with `region`, `calls`, `turns`, `failed`,
// `premature`, `turn_gap_ms`, `setup_ms` and `stages` as {p50, p95, p99})
// and a self-contained report.html with inline SVG charts.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/avatar-fi/avatar/loadtest/internal/latency"
	"github.com/avatar-fi/avatar/protocol/callevent"
)

// Failure kinds: why a call or a turn failed.
const (
	// FailSetup is a call that could not be set up: sign-in, session
	// start, the offer refused for another reason than capacity, or ICE
	// and DTLS not connecting in time.
	FailSetup = "setup"
	// FailFull is an offer the edge refused with 503: full or draining.
	FailFull = "full"
	// FailRateLimited is an offer or session refused with 429.
	FailRateLimited = "rate_limited"
	// FailNoReply is a turn the edge did not answer in time.
	FailNoReply = "no_reply"
	// FailTransport is a connected call whose ICE/DTLS transport failed or
	// disconnected before the caller hung up.
	FailTransport = "transport"
)

// FailureKinds lists the kinds in report order.
var FailureKinds = []string{FailSetup, FailFull, FailRateLimited, FailNoReply, FailTransport}

// Turn is one clip a caller spoke and what came of it.
type Turn struct {
	// Region and Call identify the caller.
	Region string
	Call   int
	// Clip is the file spoken.
	Clip string
	// At is when the clip's last voiced frame was sent.
	At time.Time
	// Answered says a reply arrived; GapMs is then the client's turn gap:
	// first reply audio received − At.
	Answered bool
	GapMs    float64
	// HeardMs is when the reply became audible (its first packet with
	// audio at caller.HeardLevel) − At: the gap the trainee hears, which
	// is longer than GapMs when the reply starts with silence. 0 when not
	// measured.
	HeardMs float64
	// Premature says the edge replied (SPEAKING, or reply audio) after the
	// clip began and before the speaker had finished it. A premature turn
	// with no reply after the speaker finished is not also counted as
	// unanswered.
	Premature bool
	// Stages are the edge's turn_latency stages for the turn, ms.
	Stages map[string]float64
}

// Call is one call's set-up and network figures.
type Call struct {
	// Region and Call identify the caller.
	Region string
	Call   int
	// Failure is the failure kind, "" for a call that held.
	Failure string
	// Connected says set-up succeeded; SetupMs is then Dial start to
	// connected (ICE, DTLS, events channel open).
	Connected bool
	SetupMs   float64
	// Network figures at the end of the call, when Measured.
	Measured bool
	// RTTMs is the RTCP round-trip time (RFC 3550 §6.4.1).
	RTTMs float64
	// JitterMs is the larger of the edge's jitter on the caller's audio
	// (its receiver reports) and the caller's on the reply.
	JitterMs float64
	// UplinkLossPct is from the edge's receiver reports, DownlinkLossPct
	// from the caller's own receive statistics.
	UplinkLossPct, DownlinkLossPct float64
	// MOS is the E-model estimate (internal/emodel).
	MOS float64
}

// RegionSpec names a region as the run was configured.
type RegionSpec struct {
	// Name is the region's name.
	Name string
	// Edge is the edge URL called (picked by the core or given).
	Edge string
	// Impairment describes the relay's network, "" for none.
	Impairment string
	// EdgeLoad is what the region's calls cost their edge, nil when its
	// metrics could not be read.
	EdgeLoad *EdgeLoad
}

// EdgeLoad is an edge's cost per call, from its own metrics (process CPU
// time and resident memory) read with the region's calls all live and at
// the end of the run, and before its first call.
type EdgeLoad struct {
	// Calls is the calls placed on the edge (every region's).
	Calls int `json:"calls"`
	// Cores is the edge process's CPU over the window, in cores.
	Cores float64 `json:"cores"`
	// CoresPerCall is Cores over Calls.
	CoresPerCall float64 `json:"cores_per_call"`
	// RSSMB is its resident memory at the end, in MiB; RSSMBPerCall the
	// growth since before its first call, per call.
	RSSMB        float64 `json:"rss_mb"`
	RSSMBPerCall float64 `json:"rss_mb_per_call"`
	// WindowS is the window's length, in seconds.
	WindowS float64 `json:"window_s"`
}

// Network is a region's averages over its measured calls.
type Network struct {
	RTTMs           float64 `json:"rtt_ms"`
	JitterMs        float64 `json:"jitter_ms"`
	UplinkLossPct   float64 `json:"uplink_loss_pct"`
	DownlinkLossPct float64 `json:"downlink_loss_pct"`
	MOS             float64 `json:"mos"`
	MOSMin          float64 `json:"mos_min"`
}

// Region is one region's results; the JSON names are the report's.
type Region struct {
	Region     string `json:"region"`
	Edge       string `json:"edge,omitempty"`
	Impairment string `json:"impairment,omitempty"`
	// Calls is the calls attempted, CallsOK those that connected and held.
	Calls   int `json:"calls"`
	CallsOK int `json:"calls_ok"`
	// Turns is the clips spoken on connected calls, Answered those replied to.
	Turns    int `json:"turns"`
	Answered int `json:"answered"`
	// Failed counts failures of every kind: calls that failed and turns
	// left unanswered; Failures breaks it down by kind.
	Failed    int                 `json:"failed"`
	Failures  map[string]int      `json:"failures"`
	Premature int                 `json:"premature"`
	TurnGapMs latency.Percentiles `json:"turn_gap_ms"`
	// HeardGapMs is the turn gap to the reply's first audible packet
	// (Turn.HeardMs).
	HeardGapMs latency.Percentiles            `json:"heard_gap_ms"`
	SetupMs    latency.Percentiles            `json:"setup_ms"`
	Stages     map[string]latency.Percentiles `json:"stages"`
	Network    Network                        `json:"network"`
	EdgeLoad   *EdgeLoad                      `json:"edge_load,omitempty"`
}

// Report is a whole run.
type Report struct {
	Started   time.Time `json:"started"`
	DurationS float64   `json:"duration_s"`
	Regions   []Region  `json:"regions"`
	// Violations lists the SLOs missed (empty when all were met).
	Violations []string `json:"slo_violations"`

	turns []Turn
	calls []Call
}

// Build aggregates calls and turns per region, in the order of regions.
func Build(started time.Time, duration time.Duration, regions []RegionSpec, calls []Call, turns []Turn) *Report {
	r := &Report{Started: started, DurationS: duration.Seconds(), Violations: []string{}, turns: turns, calls: calls}
	for _, spec := range regions {
		reg := Region{Region: spec.Name, Edge: spec.Edge, Impairment: spec.Impairment, EdgeLoad: spec.EdgeLoad,
			Failures: map[string]int{}, Stages: map[string]latency.Percentiles{}}
		for _, k := range FailureKinds {
			reg.Failures[k] = 0
		}
		var setups []float64
		var measured int
		for _, c := range calls {
			if c.Region != spec.Name {
				continue
			}
			reg.Calls++
			if c.Connected {
				setups = append(setups, c.SetupMs)
			}
			if c.Failure != "" {
				reg.Failures[c.Failure]++
				reg.Failed++
			} else {
				reg.CallsOK++
			}
			if c.Measured {
				measured++
				n := &reg.Network
				n.RTTMs += c.RTTMs
				n.JitterMs += c.JitterMs
				n.UplinkLossPct += c.UplinkLossPct
				n.DownlinkLossPct += c.DownlinkLossPct
				n.MOS += c.MOS
				if measured == 1 || c.MOS < n.MOSMin {
					n.MOSMin = c.MOS
				}
			}
		}
		if measured > 0 {
			n := &reg.Network
			f := float64(measured)
			n.RTTMs, n.JitterMs, n.UplinkLossPct, n.DownlinkLossPct, n.MOS = n.RTTMs/f, n.JitterMs/f, n.UplinkLossPct/f, n.DownlinkLossPct/f, n.MOS/f
		}
		var gaps, heard []float64
		stages := map[string][]float64{}
		for _, t := range turns {
			if t.Region != spec.Name {
				continue
			}
			reg.Turns++
			if t.Premature {
				reg.Premature++
			}
			if !t.Answered {
				if !t.Premature { // a reply that cut in is counted as premature only
					reg.Failures[FailNoReply]++
					reg.Failed++
				}
				continue
			}
			reg.Answered++
			gaps = append(gaps, t.GapMs)
			if t.HeardMs > 0 {
				heard = append(heard, t.HeardMs)
			}
			for st, ms := range t.Stages {
				stages[st] = append(stages[st], ms)
			}
		}
		reg.TurnGapMs = rounded(latency.Summarize(gaps))
		reg.HeardGapMs = rounded(latency.Summarize(heard))
		reg.SetupMs = rounded(latency.Summarize(setups))
		for st, xs := range stages {
			reg.Stages[st] = rounded(latency.Summarize(xs))
		}
		n := &reg.Network
		for _, v := range []*float64{&n.RTTMs, &n.JitterMs, &n.UplinkLossPct, &n.DownlinkLossPct, &n.MOS, &n.MOSMin} {
			*v = round(*v, 100)
		}
		r.Regions = append(r.Regions, reg)
	}
	return r
}

// SLO is what a run must meet; zero fields are not checked.
type SLO struct {
	// TurnGapP95 bounds every region's client turn gap p95.
	TurnGapP95 time.Duration
	// SetupP95 bounds every region's set-up p95.
	SetupP95 time.Duration
	// MaxFailed and MaxPremature bound each region's counts; negative
	// is not checked.
	MaxFailed, MaxPremature int
	// MinMOS bounds each region's mean MOS estimate.
	MinMOS float64
}

// Check records in r.Violations every SLO a region missed and returns them.
func (r *Report) Check(s SLO) []string {
	var v []string
	for _, reg := range r.Regions {
		if s.TurnGapP95 > 0 {
			if reg.Answered == 0 {
				v = append(v, fmt.Sprintf("%s: no turn answered (turn gap p95 <= %v)", reg.Region, s.TurnGapP95))
			} else if reg.TurnGapMs.P95 > ms(s.TurnGapP95) {
				v = append(v, fmt.Sprintf("%s: turn gap p95 %.0f ms > %v", reg.Region, reg.TurnGapMs.P95, s.TurnGapP95))
			}
		}
		if s.SetupP95 > 0 && reg.SetupMs.P95 > ms(s.SetupP95) {
			v = append(v, fmt.Sprintf("%s: set-up p95 %.0f ms > %v", reg.Region, reg.SetupMs.P95, s.SetupP95))
		}
		if s.MaxFailed >= 0 && reg.Failed > s.MaxFailed {
			v = append(v, fmt.Sprintf("%s: %d failed > %d (%s)", reg.Region, reg.Failed, s.MaxFailed, failureList(reg.Failures)))
		}
		if s.MaxPremature >= 0 && reg.Premature > s.MaxPremature {
			v = append(v, fmt.Sprintf("%s: %d premature replies > %d", reg.Region, reg.Premature, s.MaxPremature))
		}
		if s.MinMOS > 0 && reg.Network.MOS < s.MinMOS {
			v = append(v, fmt.Sprintf("%s: MOS %.2f < %.2f", reg.Region, reg.Network.MOS, s.MinMOS))
		}
	}
	r.Violations = append([]string{}, v...)
	return v
}

// rounded rounds percentiles to 0.1 ms: finer is noise.
func rounded(p latency.Percentiles) latency.Percentiles {
	return latency.Percentiles{P50: round(p.P50, 10), P95: round(p.P95, 10), P99: round(p.P99, 10)}
}

func round(v, scale float64) float64 { return math.Round(v*scale) / scale }

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func failureList(f map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(f)) {
		if f[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, f[k]))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// WriteJSON writes the report as report.json carries it.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	return nil
}

// WriteTable writes the per-region table for the terminal.
func (r *Report) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%-12s %5s %5s %5s %6s %5s  %-17s  %-17s  %4s %6s %6s  %s\n",
		"region", "calls", "ok", "turns", "failed", "prem", "turn gap p50/95/99", "set-up p50/95/99", "MOS", "rtt", "loss%", "failures")
	for _, reg := range r.Regions {
		fmt.Fprintf(&b, "%-12s %5d %5d %5d %6d %5d  %-17s  %-17s  %4.2f %6s %6.2f  %s\n",
			reg.Region, reg.Calls, reg.CallsOK, reg.Turns, reg.Failed, reg.Premature,
			triple(reg.TurnGapMs), triple(reg.SetupMs), reg.Network.MOS,
			fmt.Sprintf("%.0fms", reg.Network.RTTMs), max(reg.Network.UplinkLossPct, reg.Network.DownlinkLossPct), failureList(reg.Failures))
	}
	b.WriteString("edge stages p50/p95 (ms):\n")
	for _, reg := range r.Regions {
		fmt.Fprintf(&b, "  %-12s", reg.Region)
		for _, st := range stageOrder(reg.Stages) {
			p := reg.Stages[st]
			fmt.Fprintf(&b, " %s %.0f/%.0f", st, p.P50, p.P95)
		}
		b.WriteString("\n")
	}
	for _, reg := range r.Regions {
		if reg.HeardGapMs.P50 > 0 {
			fmt.Fprintf(&b, "reply heard  %-12s turn gap to its first audible packet p50/95/99 %s ms\n", reg.Region, triple(reg.HeardGapMs))
		}
	}
	for _, reg := range r.Regions {
		if l := reg.EdgeLoad; l != nil {
			fmt.Fprintf(&b, "edge cost %-12s %.3f cores/call (%.2f cores, %d calls, %.0fs), %.1f MiB/call (RSS %.0f MiB)\n",
				reg.Region, l.CoresPerCall, l.Cores, l.Calls, l.WindowS, l.RSSMBPerCall, l.RSSMB)
		}
	}
	for _, v := range r.Violations {
		fmt.Fprintf(&b, "SLO missed: %s\n", v)
	}
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}

func triple(p latency.Percentiles) string {
	return fmt.Sprintf("%.0f/%.0f/%.0f", p.P50, p.P95, p.P99)
}

// stageOrder returns the stage names of m, the contract's first in its
// order, then any others sorted.
func stageOrder[V any](m map[string]V) []string {
	var out []string
	for _, st := range callevent.Stages {
		if _, ok := m[st]; ok {
			out = append(out, st)
		}
	}
	var rest []string
	for st := range m {
		if !slices.Contains(callevent.Stages, st) {
			rest = append(rest, st)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}
