package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/avatar-fi/avatar/loadtest/caller"
	"github.com/avatar-fi/avatar/loadtest/internal/emodel"
	"github.com/avatar-fi/avatar/loadtest/internal/relay"
	"github.com/avatar-fi/avatar/loadtest/internal/report"
	"github.com/avatar-fi/avatar/loadtest/internal/speech"
	"github.com/avatar-fi/avatar/loadtest/trainee"
	"github.com/avatar-fi/avatar/protocol/callevent"
	conversationv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1/conversationv1connect"
)

// runner places the calls of a run.
type runner struct {
	o   options
	hc  *http.Client
	api *webrtc.API
	// accounts sign the callers in, each as its own trainee or all as one.
	accounts *trainee.Accounts
	start    *conversationv1.StartSessionRequest
	clips    []speech.Clip
	relays   *relaySet
	tally    *tally
	meter    *edgeMeter
	end      time.Time // no clip starts after this
	stderr   io.Writer

	mu    sync.Mutex
	edges map[string]string // region → an edge URL it was called on
}

// edgeOf returns the edge URL the region's calls went to.
func (r *runner) edgeOf(reg regionFlag) string {
	if reg.edgeURL != "" {
		return reg.edgeURL
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.edges[reg.name]
}

// Timings of a turn.
const (
	// lead is the silence before each clip, as a speaker draws breath.
	lead = 400 * time.Millisecond
	// endTolerance is how far before the estimated end of a clip's speech
	// a reply may start and still count as answering it (the end is an
	// estimate from the clip's level).
	endTolerance = 150 * time.Millisecond
	// quietFor is how long the reply audio must have stopped, with the
	// call LISTENING, for the caller to take its turn.
	quietFor = 600 * time.Millisecond
	// maxReply bounds the wait for a reply to finish playing.
	maxReply = 45 * time.Second
)

// call holds the region's call i (caller n of the run, who signs in as its
// account) until the run ends and records it.
func (r *runner) call(ctx context.Context, reg regionFlag, i, n int) {
	rec := report.Call{Region: reg.name, Call: i}
	defer func() { r.tally.addCall(rec) }()
	fail := func(kind string, err error) {
		rec.Failure = kind
		if !r.o.quiet {
			fmt.Fprintf(r.stderr, "%s call %d: %s: %v\n", reg.name, i, kind, err)
		}
	}
	token, err := r.accounts.Token(ctx, n)
	if err != nil {
		fail(failureKind(err), err)
		return
	}
	edge := reg.edgeURL
	if edge == "" {
		if edge, err = trainee.PickEdge(ctx, r.hc, r.o.CoreURL, token, reg.name); err != nil {
			fail(failureKind(err), err)
			return
		}
		r.mu.Lock()
		if r.edges == nil {
			r.edges = map[string]string{}
		}
		r.edges[reg.name] = edge
		r.mu.Unlock()
	}
	r.meter.placed(ctx, edge)
	conv := conversationv1connect.NewConversationServiceClient(r.hc, edge)
	ss, err := conv.StartSession(ctx, trainee.Authed(r.start, token))
	if err != nil {
		fail(failureKind(err), fmt.Errorf("start session: %w", err))
		return
	}
	sid := ss.Msg.GetSessionId()
	defer func() {
		ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_, _ = conv.EndSession(ectx, trainee.Authed(&conversationv1.EndSessionRequest{SessionId: sid}, token))
	}()
	opts := caller.Options{SessionID: sid, HTTPClient: r.hc}
	if reg.imp != (relay.Impairment{}) {
		opts.Offer = func(sdp string) (string, error) { return relay.StripCandidates(sdp), nil }
		opts.Answer = func(sdp string) (string, error) {
			target, err := relay.MediaCandidate(sdp)
			if err != nil {
				return "", err
			}
			rl, err := r.relays.forEdge(reg.name, target, func() (*relay.Relay, error) {
				return relay.New(context.WithoutCancel(ctx), "127.0.0.1:0", target, reg.imp, r.relays.seed+uint64(len(reg.name))*7919)
			})
			if err != nil {
				return "", err
			}
			return relay.PointCandidates(sdp, rl.Addr())
		}
	}
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	c, err := caller.Dial(dctx, r.api, edge, token, opts)
	cancel()
	if err != nil {
		fail(failureKind(err), err)
		return
	}
	st := c.Setup()
	rec.Connected, rec.SetupMs = true, msOf(st.Connected.Sub(st.Started))
	r.tally.setLive(1)
	defer r.tally.setLive(-1)
	defer func() { _ = c.Close() }()

	// The role-play customer opens: the caller listens to it first.
	waitOpening(ctx, c, 5*time.Second)
	waitQuiet(ctx, c, 0, maxReply)
	// Recorded clips are spread over the callers (caller i starts at clip
	// i); a script is a conversation, which every caller starts at the top.
	first := i
	if r.o.script != "" {
		first = 0
	}
	for k := first; time.Now().Before(r.end) && ctx.Err() == nil; k++ {
		if at, state := c.Lost(); !at.IsZero() {
			fail(report.FailTransport, fmt.Errorf("connection %s", state))
			break
		}
		clip := r.clips[k%len(r.clips)]
		tr, ok := r.turn(ctx, c, reg.name, i, clip)
		if !ok {
			break
		}
		r.tally.addTurn(tr)
		if !sleep(ctx, r.o.think) {
			break
		}
	}
	if at, state := c.Lost(); !at.IsZero() && rec.Failure == "" {
		fail(report.FailTransport, fmt.Errorf("connection %s", state))
	}
	up, down := c.Uplink(), c.Downlink()
	if up.Reports > 0 {
		rec.Measured = true
		rtt, _ := c.RTT()
		rec.RTTMs = msOf(rtt)
		rec.JitterMs = msOf(max(up.Jitter, down.Jitter))
		if up.Sent > 0 {
			rec.UplinkLossPct = 100 * float64(up.Lost) / float64(up.Sent)
		}
		if n := int64(down.Received) + int64(down.Lost); n > 0 && down.Lost > 0 {
			rec.DownlinkLossPct = 100 * float64(down.Lost) / float64(n)
		}
		rec.MOS = emodel.Estimate(rec.RTTMs, rec.JitterMs, max(rec.UplinkLossPct, rec.DownlinkLossPct))
	}
	hctx, hcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer hcancel()
	_ = c.Hangup(hctx)
}

// turn speaks clip and waits for the reply to start and to finish. It
// returns false when the run was interrupted mid-turn.
func (r *runner) turn(ctx context.Context, c *caller.Caller, region string, call int, clip speech.Clip) (report.Turn, bool) {
	mark := len(c.Events())
	_, _, spurts0 := c.Audio()
	heard0 := len(c.Heard())
	c.Say(make([]int16, int(lead*speech.Rate/time.Second)))
	c.Say(clip.PCM)
	sent, err := c.Drained(ctx)
	if err != nil {
		return report.Turn{}, false
	}
	began := sent.Add(-clip.Duration())
	end := began.Add(clip.Voiced)
	tr := report.Turn{Region: region, Call: call, Clip: clip.Name, At: end}

	// Wait for the reply's first audio after the end of the speech; note
	// any reply (state SPEAKING or audio) that came before it.
	deadline := end.Add(r.o.replyTimeout)
	var first time.Time
	for ctx.Err() == nil {
		_, _, spurts := c.Audio()
		for _, s := range spurts[min(len(spurts0), len(spurts)):] {
			switch {
			case s.Before(began):
			case s.Before(end.Add(-endTolerance)):
				tr.Premature = true
			case first.IsZero():
				first = s
			}
		}
		evs := c.Events()
		for _, ev := range evs[min(mark, len(evs)):] {
			if ev.Type == callevent.TypeState && ev.State == callevent.StateSpeaking &&
				ev.At.After(began) && ev.At.Before(end.Add(-endTolerance)) {
				tr.Premature = true
			}
		}
		if !first.IsZero() || time.Now().After(deadline) {
			break
		}
		sleep(ctx, 10*time.Millisecond)
	}
	if !first.IsZero() {
		tr.Answered, tr.GapMs = true, msOf(first.Sub(end))
	}
	// The edge's stages for this turn come in its turn_latency event.
	if tr.Answered {
		wctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		ev, _, err := c.WaitEvent(wctx, mark, func(ev *conversationv1.CallEvent) bool {
			_, ok := ev.GetStages()[callevent.StageTurnGap]
			return ev.GetType() == callevent.TypeTurnLatency && ok
		})
		cancel()
		if err == nil {
			tr.Stages = ev.GetStages()
		}
	}
	waitQuiet(ctx, c, mark, maxReply)
	// The reply has played: when it became audible is known.
	if tr.Answered {
		heard := c.Heard()
		for _, h := range heard[min(heard0, len(heard)):] {
			if !h.Before(first) {
				tr.HeardMs = msOf(h.Sub(end))
				break
			}
		}
	}
	return tr, ctx.Err() == nil
}

// waitOpening waits, at most limit, for the edge to start speaking.
func waitOpening(ctx context.Context, c *caller.Caller, limit time.Duration) {
	wctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for wctx.Err() == nil {
		if n, _, _ := c.Audio(); n > 0 {
			return
		}
		sleep(wctx, 50*time.Millisecond)
	}
}

// waitQuiet waits until the reply audio has stopped for quietFor and the
// last state event since mark is LISTENING (or there is none), at most max.
func waitQuiet(ctx context.Context, c *caller.Caller, mark int, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		_, last, _ := c.Audio()
		listening := true
		evs := c.Events()
		for _, ev := range evs[min(mark, len(evs)):] {
			if ev.Type == callevent.TypeState {
				listening = ev.State == callevent.StateListening
			}
		}
		if listening && time.Since(last) >= quietFor {
			return
		}
		sleep(ctx, 50*time.Millisecond)
	}
}

func msOf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
