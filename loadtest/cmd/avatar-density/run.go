package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/avatar-fi/avatar/loadtest/caller"
	"github.com/avatar-fi/avatar/loadtest/internal/speech"
	"github.com/avatar-fi/avatar/loadtest/trainee"
	"github.com/avatar-fi/avatar/media/speechset"
	"github.com/avatar-fi/avatar/protocol/callevent"
	conversationv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1/conversationv1connect"
)

// run parses the flags, measures, and prints the result.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, getenv, stderr)
	if err != nil {
		return err
	}
	clips, err := loadClips(o.speech, o.split, o.only)
	if err != nil {
		return err
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	accounts, token, err := o.Open(ctx, hc)
	if err != nil {
		return err
	}
	sc, err := trainee.FindScenario(ctx, hc, o.CoreURL, token, o.scenario)
	if err != nil {
		return err
	}
	m := &measurement{o: o, hc: hc, accounts: accounts, clips: clips, stdout: stdout, stderr: stderr,
		start: &conversationv1.StartSessionRequest{Mode: conversationv1.Mode_MODE_ROLE_PLAY, ScenarioId: sc.GetId()}}
	r, err := m.run(ctx)
	if err != nil {
		return fmt.Errorf("%d calls: %w", o.calls, err)
	}
	r.print(stdout, o)
	return nil
}

// loadClips reads the speech sets and keeps the split's clips of each
// whose names start with one of only (all when only is empty).
func loadClips(dirs []string, split string, only []string) ([]speech.Clip, error) {
	var out []speech.Clip
	for _, d := range dirs {
		clips, err := speech.Load(d)
		if err != nil {
			return nil, fmt.Errorf("speech %s: %w", d, err)
		}
		part, err := speechset.Split(clips, split)
		if err != nil {
			return nil, err
		}
		out = append(out, speech.WithPrefix(part, only)...)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no clips in %s (split %s, prefixes %q)", strings.Join(dirs, ", "), split, only)
	}
	return out, nil
}

// clipOutcome is what became of one clip a caller said.
type clipOutcome struct {
	call  int
	clip  string
	end   time.Time     // when the clip's last voiced frame left the caller
	reply time.Time     // the first reply that started after end (zero: none)
	cut   bool          // a reply started before end: the edge cut in
	heard bool          // a turn of this clip started (USER_SPEAKING)
	gap   time.Duration // first reply packet received − end (0: not seen)
	// heardGap is when the reply became audible (caller.HeardLevel) − end:
	// the gap the trainee hears (0: not seen).
	heardGap time.Duration
	trace    string // the call's events from the clip's start, for clips not answered cleanly
}

// result is one measurement.
type result struct {
	edge          string
	calls, failed int // calls asked for, calls that failed to connect
	cpuFrom       string
	wall, cpu     time.Duration
	clips         []clipOutcome
	stages        map[string][]float64 // the edge's turn_latency stages, ms
	// response is each turn's gap less its endpoint stage, ms: what the
	// edge took to answer once it had decided the turn was over — the part
	// that grows when the edge cannot keep up.
	response []float64
	// runWait is how long the edge's threads waited, runnable, for a CPU
	// in the window (/proc schedstat; -1 without -edge-pid): time the
	// machine, not the edge, held them back.
	runWait time.Duration
}

// measurement is one run's callers against the edge.
type measurement struct {
	o        options
	hc       *http.Client
	accounts *trainee.Accounts
	clips    []speech.Clip
	start    *conversationv1.StartSessionRequest
	stdout   io.Writer
	stderr   io.Writer
}

// run dials the calls, waits out the warm-up, measures the window and
// returns what the callers and the edge's process showed.
func (m *measurement) run(ctx context.Context) (*result, error) {
	o := m.o
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	api, err := caller.NewAPI()
	if err != nil {
		return nil, fmt.Errorf("webrtc: %w", err)
	}
	cpuOf := edgeCPU(m.hc, o)
	res := &result{edge: o.edgeURL, calls: o.calls, stages: map[string][]float64{}, runWait: -1, cpuFrom: cpuOf.from}
	var (
		mu      sync.Mutex
		wg      sync.WaitGroup
		window  = make(chan struct{}) // closed when the window starts: t0 is set
		stopped = make(chan struct{}) // closed when the window ends: t1 is set
		t0, t1  time.Time
	)
	connected := make(chan error, o.calls)
	for i := range o.calls {
		wg.Go(func() {
			c, hangup, err := m.dial(ctx, api, i)
			connected <- err
			if err != nil {
				return
			}
			defer hangup()
			outs, evs := speak(ctx, c, i, m.clips, o.replyTimeout, stopped)
			select {
			case <-window:
			case <-ctx.Done():
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for _, oc := range outs {
				if oc.end.After(t0) && oc.end.Before(t1) {
					res.clips = append(res.clips, oc)
				}
			}
			for _, ev := range evs {
				if ev.Type != callevent.TypeTurnLatency || !ev.At.After(t0) || !ev.At.Before(t1) {
					continue
				}
				if _, ok := ev.Stages[callevent.StageTurnGap]; !ok {
					continue
				}
				for st, ms := range ev.Stages {
					res.stages[st] = append(res.stages[st], ms)
				}
				res.response = append(res.response, ev.Stages[callevent.StageTurnGap]-ev.Stages[callevent.StageEndpoint])
			}
		})
		sleep(ctx, 50*time.Millisecond) // stagger call set-up
	}
	for range o.calls {
		if err := <-connected; err != nil {
			res.failed++
			fmt.Fprintln(m.stderr, "call:", err)
		}
	}
	if res.failed == o.calls {
		cancel()
		wg.Wait()
		return nil, errors.New("no call connected")
	}
	fmt.Fprintf(m.stdout, "%d of %d calls connected; warming up %v\n", o.calls-res.failed, o.calls, o.warmup)
	sleep(ctx, o.warmup)
	var cpuProfile chan error
	if o.profileDir != "" {
		cpuProfile = make(chan error, 1)
		go func() {
			cpuProfile <- fetchProfile(ctx, m.hc, o.debugAddr, fmt.Sprintf("profile?seconds=%d", int(o.duration.Seconds())), o.profileDir, fmt.Sprintf("cpu-%d.pprof", o.calls))
		}()
	}
	cpu0, err := cpuOf.read(ctx)
	if err != nil {
		return nil, err
	}
	wait0 := runQueueWait(o.edgePID)
	t0 = time.Now()
	close(window)
	sleep(ctx, o.duration)
	cpu1, err := cpuOf.read(ctx)
	if err != nil {
		return nil, err
	}
	t1 = time.Now()
	close(stopped)
	res.wall, res.cpu = t1.Sub(t0), cpu1-cpu0
	if o.edgePID > 0 {
		res.runWait = runQueueWait(o.edgePID) - wait0
	}
	if o.profileDir != "" {
		if err := <-cpuProfile; err != nil {
			return nil, err
		}
		for _, p := range []string{"block", "mutex", "goroutine"} {
			if err := fetchProfile(ctx, m.hc, o.debugAddr, p, o.profileDir, fmt.Sprintf("%s-%d.pprof", p, o.calls)); err != nil {
				return nil, err
			}
		}
	}
	// The callers finish the clip they are saying and wait for its reply.
	wg.Wait()
	return res, ctx.Err()
}

// dial signs caller i in, starts its role-play session on the edge and
// calls it. hangup ends the call and the session.
func (m *measurement) dial(ctx context.Context, api *webrtc.API, i int) (*caller.Caller, func(), error) {
	token, err := m.accounts.Token(ctx, i)
	if err != nil {
		return nil, nil, err
	}
	conv := conversationv1connect.NewConversationServiceClient(m.hc, m.o.edgeURL)
	ss, err := conv.StartSession(ctx, trainee.Authed(m.start, token))
	if err != nil {
		return nil, nil, fmt.Errorf("caller %d (%s): start session: %w", i, m.accounts.Email(i), err)
	}
	sid := ss.Msg.GetSessionId()
	endSession := func() {
		ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_, _ = conv.EndSession(ectx, trainee.Authed(&conversationv1.EndSessionRequest{SessionId: sid}, token))
	}
	dctx, dcancel := context.WithTimeout(ctx, 60*time.Second)
	c, err := caller.Dial(dctx, api, m.o.edgeURL, token, caller.Options{SessionID: sid, HTTPClient: m.hc})
	dcancel()
	if err != nil {
		endSession()
		return nil, nil, fmt.Errorf("caller %d (%s): %w", i, m.accounts.Email(i), err)
	}
	return c, func() {
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = c.Hangup(hctx)
		_ = c.Close()
		endSession()
	}, nil
}
