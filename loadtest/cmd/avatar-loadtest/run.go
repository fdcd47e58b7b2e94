package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"connectrpc.com/connect"

	"github.com/avatar-fi/avatar/loadtest/caller"
	"github.com/avatar-fi/avatar/loadtest/internal/flite"
	"github.com/avatar-fi/avatar/loadtest/internal/latency"
	"github.com/avatar-fi/avatar/loadtest/internal/relay"
	"github.com/avatar-fi/avatar/loadtest/internal/report"
	"github.com/avatar-fi/avatar/loadtest/internal/speech"
	"github.com/avatar-fi/avatar/loadtest/trainee"
	conversationv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1"
)

// run parses the flags, places the calls, and writes the reports.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, getenv, stderr)
	if err != nil {
		return err
	}
	clips, err := loadClips(o)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return fmt.Errorf("report folder: %w", err)
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	accounts, token, err := o.Open(ctx, hc)
	if err != nil {
		return err
	}
	start := &conversationv1.StartSessionRequest{Mode: conversationv1.Mode_MODE_TRAINING}
	if o.mode == "role-play" {
		sc, err := trainee.FindScenario(ctx, hc, o.CoreURL, token, o.scenario)
		if err != nil {
			return err
		}
		start = &conversationv1.StartSessionRequest{Mode: conversationv1.Mode_MODE_ROLE_PLAY, ScenarioId: sc.GetId()}
	}
	api, err := caller.NewAPI()
	if err != nil {
		return fmt.Errorf("webrtc: %w", err)
	}
	relays := &relaySet{seed: o.seed, m: map[string]*relay.Relay{}}
	defer relays.closeAll()

	t := &tally{}
	began := time.Now()
	end := began.Add(o.ramp + o.duration)
	meter := newEdgeMeter(hc, stderr)
	r := &runner{o: o, hc: hc, api: api, accounts: accounts, start: start, clips: clips, relays: relays, tally: t, meter: meter, end: end, stderr: stderr}
	mctx, stopMeter := context.WithCancel(ctx) // stopped early when every call has ended
	defer stopMeter()
	meterDone := make(chan struct{})
	go func() {
		defer close(meterDone)
		meter.run(mctx, began.Add(o.ramp+settle), end)
	}()
	pctx, stopProgress := context.WithCancel(ctx)
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		if !o.quiet {
			t.progress(pctx, stderr, began, len(o.regions)*o.calls)
		}
	}()
	var wg sync.WaitGroup
	for ri, reg := range o.regions {
		for i := range o.calls {
			n := ri*o.calls + i // the caller's number in the run, for its account
			delay := time.Duration(0)
			if o.calls > 1 {
				delay = o.ramp * time.Duration(i) / time.Duration(o.calls)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if !sleep(ctx, delay) {
					return
				}
				r.call(ctx, reg, i, n)
			}()
		}
	}
	wg.Wait()
	stopMeter()
	<-meterDone
	stopProgress()
	<-progressDone
	if err := ctx.Err(); err != nil {
		fmt.Fprintln(stderr, "interrupted: reporting what was measured")
	}

	var specs []report.RegionSpec
	for _, reg := range o.regions {
		edge := r.edgeOf(reg)
		specs = append(specs, report.RegionSpec{Name: reg.name, Edge: edge, Impairment: reg.impText, EdgeLoad: meter.load(edge)})
	}
	calls, turns := t.results()
	rep := report.Build(began, time.Since(began), specs, calls, turns)
	violations := rep.Check(report.SLO{TurnGapP95: o.sloP95, SetupP95: o.sloSetupP95,
		MaxFailed: o.maxFailed, MaxPremature: o.maxPremature, MinMOS: o.minMOS})
	if err := rep.WriteTable(stdout); err != nil {
		return err
	}
	for name, write := range map[string]func(io.Writer) error{"report.json": rep.WriteJSON, "report.html": rep.WriteHTML} {
		if err := writeFile(filepath.Join(o.out, name), write); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "reports: %s, %s\n", filepath.Join(o.out, "report.json"), filepath.Join(o.out, "report.html"))
	if len(violations) > 0 {
		return fmt.Errorf("%w: %s", errSLO, strings.Join(violations, "; "))
	}
	return nil
}

// loadClips returns what the callers say: the lines of -script spoken by
// Flite, or the recordings of -speech.
func loadClips(o options) ([]speech.Clip, error) {
	if o.script != "" {
		clips, err := speech.Script(o.script, func(text string) ([]int16, error) { return flite.Speak(text, o.voice) })
		if err != nil {
			return nil, fmt.Errorf("script: %w", err)
		}
		return clips, nil
	}
	clips, err := speech.Load(o.speech)
	if err != nil {
		return nil, fmt.Errorf("speech clips: %w", err)
	}
	return clips, nil
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if err := write(f); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// sleep waits d or until ctx is done; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// tally gathers the callers' results and feeds the progress line.
type tally struct {
	mu    sync.Mutex
	calls []report.Call
	turns []report.Turn
	live  int
}

func (t *tally) addTurn(tr report.Turn) {
	t.mu.Lock()
	t.turns = append(t.turns, tr)
	t.mu.Unlock()
}

func (t *tally) addCall(c report.Call) {
	t.mu.Lock()
	t.calls = append(t.calls, c)
	t.mu.Unlock()
}

func (t *tally) setLive(delta int) {
	t.mu.Lock()
	t.live += delta
	t.mu.Unlock()
}

func (t *tally) results() ([]report.Call, []report.Turn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]report.Call(nil), t.calls...), append([]report.Turn(nil), t.turns...)
}

// progress writes one line a second until ctx is done.
func (t *tally) progress(ctx context.Context, w io.Writer, began time.Time, total int) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		t.mu.Lock()
		var gaps []float64
		answered, premature, unanswered, failed := 0, 0, 0, 0
		for _, tr := range t.turns {
			switch {
			case tr.Answered:
				answered++
				gaps = append(gaps, tr.GapMs)
			case !tr.Premature:
				unanswered++
			}
			if tr.Premature {
				premature++
			}
		}
		for _, c := range t.calls {
			if c.Failure != "" {
				failed++
			}
		}
		live, turns := t.live, len(t.turns)
		t.mu.Unlock()
		p := latency.Summarize(gaps)
		fmt.Fprintf(w, "%4.0fs  calls live %d/%d, failed %d  turns %d: answered %d, premature %d, unanswered %d  gap p50 %.0f p95 %.0f ms\n",
			time.Since(began).Seconds(), live, total, failed, turns, answered, premature, unanswered, p.P50, p.P95)
	}
}

// relaySet holds one impairment relay per region and edge media address.
type relaySet struct {
	seed uint64
	mu   sync.Mutex
	m    map[string]*relay.Relay
}

// forEdge returns the region's relay to target, started on first use.
func (s *relaySet) forEdge(region string, target fmt.Stringer, open func() (*relay.Relay, error)) (*relay.Relay, error) {
	key := region + "|" + target.String()
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.m[key]; ok {
		return r, nil
	}
	r, err := open()
	if err != nil {
		return nil, err
	}
	s.m[key] = r
	return r, nil
}

func (s *relaySet) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.m {
		_ = r.Close()
	}
}

// failureKind classifies a set-up error.
func failureKind(err error) string {
	var se *caller.StatusError
	if errors.As(err, &se) {
		switch se.Code {
		case http.StatusServiceUnavailable:
			return report.FailFull
		case http.StatusTooManyRequests:
			return report.FailRateLimited
		}
	}
	if connect.CodeOf(err) == connect.CodeResourceExhausted {
		return report.FailRateLimited
	}
	if connect.CodeOf(err) == connect.CodeUnavailable {
		return report.FailFull
	}
	return report.FailSetup
}
