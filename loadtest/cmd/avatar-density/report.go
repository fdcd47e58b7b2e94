package main

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/avatar-fi/avatar/protocol/callevent"
)

// counts summarises clip outcomes.
type counts struct {
	clips, answered, cut, unanswered, unheard int
	gaps                                      []float64 // ms, the caller's, to the first packet
	heard                                     []float64 // ms, the caller's, to the first audible packet
}

func (r *result) count(keep func(clipOutcome) bool) counts {
	var c counts
	for _, oc := range r.clips {
		if !keep(oc) {
			continue
		}
		c.clips++
		switch {
		case oc.reply.IsZero() && !oc.heard:
			c.unheard++
		case oc.reply.IsZero():
			c.unanswered++
		case oc.cut:
			c.cut++
		default:
			c.answered++
		}
		if oc.gap > 0 {
			c.gaps = append(c.gaps, float64(oc.gap.Microseconds())/1000)
		}
		if oc.heardGap > 0 {
			c.heard = append(c.heard, float64(oc.heardGap.Microseconds())/1000)
		}
	}
	slices.Sort(c.gaps)
	slices.Sort(c.heard)
	return c
}

// held reports whether the load was held: every call connected, no clip
// the edge heard left unanswered, and the response p95 within maxResponse.
// (A clip no turn started on — the FLEURS clips recorded at −45 dBFS,
// under Silero — is "not heard", a matter of the detector, not of load.)
func (r *result) held(maxResponse time.Duration) bool {
	c := r.count(func(clipOutcome) bool { return true })
	g := slices.Sorted(slices.Values(r.response))
	return r.failed == 0 && c.clips > 0 && c.unanswered == 0 && len(g) > 0 && quantile(g, 0.95) <= float64(maxResponse.Milliseconds())
}

func (r *result) print(w io.Writer, o options) {
	cores := r.cpu.Seconds() / r.wall.Seconds()
	live := r.calls - r.failed
	fmt.Fprintf(w, "edge=%s calls=%d failed=%d window=%.0fs edge_cpu=%.2fs (%s) cores=%.3f cores_per_call=%.4f",
		r.edge, r.calls, r.failed, r.wall.Seconds(), r.cpu.Seconds(), r.cpuFrom, cores, cores/float64(max(live, 1)))
	if r.runWait >= 0 {
		fmt.Fprintf(w, " run_queue_wait=%.2fs (per CPU second %.2f)", r.runWait.Seconds(), r.runWait.Seconds()/max(r.cpu.Seconds(), 1e-9))
	}
	fmt.Fprintln(w)
	all := r.count(func(clipOutcome) bool { return true })
	spont := r.count(func(oc clipOutcome) bool { return spontaneous(oc.clip) })
	read := r.count(func(oc clipOutcome) bool { return !spontaneous(oc.clip) })
	for _, x := range []struct {
		name string
		c    counts
	}{{"all", all}, {"read", read}, {"spontaneous", spont}} {
		if x.c.clips == 0 {
			continue
		}
		fmt.Fprintf(w, "clips %-20s %3d: answered after the speaker finished %d, cut in (reply before the end) %d, unanswered %d, not heard %d",
			x.name, x.c.clips, x.c.answered, x.c.cut, x.c.unanswered, x.c.unheard)
		if len(x.c.gaps) > 0 {
			fmt.Fprintf(w, "; caller's gap p50 %.0f ms p95 %.0f ms", quantile(x.c.gaps, 0.5), quantile(x.c.gaps, 0.95))
		}
		if len(x.c.heard) > 0 {
			fmt.Fprintf(w, "; heard p50 %.0f ms p95 %.0f ms", quantile(x.c.heard, 0.5), quantile(x.c.heard, 0.95))
		}
		fmt.Fprintln(w)
	}
	for _, st := range callevent.Stages {
		v := slices.Sorted(slices.Values(r.stages[st]))
		if len(v) == 0 {
			continue
		}
		fmt.Fprintf(w, "  %-13s p50 %7.1f ms  p95 %7.1f ms  max %7.1f ms  (n=%d)\n", st, quantile(v, 0.5), quantile(v, 0.95), v[len(v)-1], len(v))
	}
	if v := slices.Sorted(slices.Values(r.response)); len(v) > 0 {
		fmt.Fprintf(w, "  %-13s p50 %7.1f ms  p95 %7.1f ms  max %7.1f ms  (turn gap less endpoint)\n", "response", quantile(v, 0.5), quantile(v, 0.95), v[len(v)-1])
	}
	verdict := "held"
	if !r.held(o.maxResponse) {
		verdict = "NOT held"
	}
	fmt.Fprintf(w, "calls=%d %s (every call connected, no clip heard left unanswered, response p95 <= %v)\n", r.calls, verdict, o.maxResponse)
	if o.verbose {
		outs := slices.Clone(r.clips)
		slices.SortFunc(outs, func(a, b clipOutcome) int { return cmp.Compare(b.gap, a.gap) })
		for _, oc := range outs {
			what := "answered"
			switch {
			case oc.reply.IsZero() && !oc.heard:
				what = "not heard"
			case oc.reply.IsZero():
				what = "UNANSWERED"
			case oc.cut:
				what = "cut"
			}
			fmt.Fprintf(w, "  call %2d %-40s %-10s gap %v heard %v%s\n", oc.call, oc.clip, what, oc.gap.Round(time.Millisecond), oc.heardGap.Round(time.Millisecond), oc.trace)
		}
	}
}

// quantile returns the q quantile of sorted (nearest rank below).
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[int(q*float64(len(sorted)-1))]
}

// spontaneous reports whether a clip is spontaneous speech: the mfa_* clips
// of speech-more but the read LibriSpeech one (as testdata/turns.tsv of the
// edge's pipeline labels them).
func spontaneous(name string) bool {
	return strings.HasPrefix(name, "mfa_") && !strings.HasPrefix(name, "mfa_61-")
}
