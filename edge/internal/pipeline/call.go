package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/avatar-fi/avatar/media"
	"github.com/avatar-fi/avatar/media/endpoint"
	"github.com/avatar-fi/avatar/media/pitch"
	"github.com/avatar-fi/avatar/media/vad"
	"github.com/avatar-fi/avatar/protocol/callevent"
)

// Frame sizes of the two sides of a call: media's, under the names the
// edge uses.
const (
	// InFrameSamples is a 20 ms frame of the caller's audio at 16 kHz.
	InFrameSamples = media.SpeechFrameSamples
	// OutFrameSamples is a 20 ms frame of reply audio at 48 kHz.
	OutFrameSamples = media.RTCFrameSamples
	// FrameDuration is the duration of one frame on either side.
	FrameDuration = media.FrameDuration
)

// prerollFrames is how much audio before the detected start of speech is
// kept and fed to the recogniser: the endpointer needs MinSpeech to decide,
// and the recogniser wants a little silence before the first word.
const prerollFrames = 16

// sttQueueFrames bounds the audio waiting for the recogniser (10 s); beyond
// it frames are dropped and counted.
const sttQueueFrames = 500

var framePool = sync.Pool{New: func() any { return new([OutFrameSamples]int16) }}

// Call is the turn-taking loop of one voice call. Push is called from one
// goroutine (the transport's audio reader); the other methods are safe for
// concurrent use.
type Call struct {
	cfg Config
	log *slog.Logger

	// Owned by the Push goroutine.
	det        vad.Detector
	gate       *vad.Gate
	pitch      *pitch.Tracker
	ep         *endpoint.Endpointer
	ring       [prerollFrames][InFrameSamples]int16
	pushed     int // frames pushed so far
	lastVoiced time.Time
	paused     bool
	cueText    string

	sttCh   chan sttCmd
	partial atomic.Pointer[string]
	dropped atomic.Int64

	mu      sync.Mutex
	greeted bool
	state   State
	turnSeq int
	lastEnd time.Time // the speaker's end of the previous user turn
	cur     *turn     // the turn being listened to or answered
	reply   *reply    // the reply owning the playout, if any
	kick    chan struct{}

	cancel  context.CancelCauseFunc
	wg      sync.WaitGroup
	started atomic.Bool
	stop    sync.Once
}

// New returns a Call for cfg; Start runs it.
func New(cfg Config) (*Call, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	det, err := cfg.NewDetector()
	if err != nil {
		return nil, fmt.Errorf("%w: voice activity detector: %w", ErrConfig, err)
	}
	gate, err := vad.NewGate(vad.DefaultOnThreshold, vad.DefaultOffThreshold)
	if err != nil {
		return nil, fmt.Errorf("%w: gate: %w", ErrConfig, err)
	}
	ep, err := endpoint.New(cfg.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("%w: endpoint: %w", ErrConfig, err)
	}
	tracker, err := pitch.New()
	if err != nil {
		return nil, fmt.Errorf("%w: pitch: %w", ErrConfig, err)
	}
	return &Call{
		cfg:   cfg,
		log:   cfg.Logger,
		det:   det,
		gate:  gate,
		pitch: tracker,
		ep:    ep,
		sttCh: make(chan sttCmd, sttQueueFrames),
		state: callevent.StateListening,
		kick:  make(chan struct{}, 1),
	}, nil
}

// Start starts the call's recogniser and playout goroutines under ctx and
// announces the LISTENING state. It fails if called twice.
func (c *Call) Start(ctx context.Context) error {
	if !c.started.CompareAndSwap(false, true) {
		return fmt.Errorf("%w: Start called twice", ErrConfig)
	}
	ctx, c.cancel = context.WithCancelCause(ctx)
	c.wg.Add(2)
	go func() { defer c.wg.Done(); c.runSTT(ctx) }()
	go func() { defer c.wg.Done(); c.runPlayout(ctx) }()
	c.cfg.Events.Send(&Event{Type: callevent.TypeState, State: callevent.StateListening})
	return nil
}

// Stop ends the call: it cancels every reply and stream with ErrHangUp and
// waits for the call's goroutines. It is safe to call more than once, and
// before Start.
func (c *Call) Stop() {
	c.stop.Do(func() {
		if c.cancel != nil {
			c.cancel(ErrHangUp)
		}
		c.mu.Lock()
		c.stopReply(ErrHangUp)
		c.mu.Unlock()
		c.wg.Wait()
	})
}

// State returns the call's current state.
func (c *Call) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// DroppedFrames returns how many frames the recogniser could not keep up
// with.
func (c *Call) DroppedFrames() int64 { return c.dropped.Load() }

// setState changes state and announces it; c.mu must be held.
func (c *Call) setState(s State) {
	if c.state == s {
		return
	}
	c.state = s
	c.cfg.Events.Send(&Event{Type: callevent.TypeState, State: s})
}

// Push processes the caller's next 20 ms frame (320 samples at 16 kHz),
// received now. ctx is the call's context; replies started from here run
// under it. Push must be called from one goroutine; it does not block on the
// recogniser.
func (c *Call) Push(ctx context.Context, pcm []int16) error {
	if len(pcm) != InFrameSamples {
		return fmt.Errorf("%w: got %d", ErrFrameSize, len(pcm))
	}
	now := time.Now()
	copy(c.ring[c.pushed%prerollFrames][:], pcm)
	c.pushed++
	p, err := c.det.Process(pcm)
	if err != nil {
		return fmt.Errorf("voice activity: %w", err)
	}
	f := endpoint.Frame{Voiced: c.gate.Update(p)}
	if f.Voiced {
		c.lastVoiced = now
		// The pitch only matters where there is speech: the end-of-turn
		// model reads how the speech before a pause ended.
		est, err := c.pitch.Process(pcm)
		if err != nil {
			return fmt.Errorf("pitch: %w", err)
		}
		f.PitchHz = est.Hz
	} else if err := c.pitch.Skip(pcm); err != nil {
		return fmt.Errorf("pitch: %w", err)
	}
	if s := c.partial.Load(); s != nil && *s != c.cueText {
		c.cueText = *s
		c.ep.SetTranscript(c.cueText)
	}
	ev := c.ep.PushFrame(f)
	switch ev.Type {
	case endpoint.SpeechStart:
		c.paused = false
		c.cueText = ""
		c.partial.Store(nil)
		c.speechStart(ctx, ev)
	case endpoint.Pause:
		c.paused = true
		c.sendSTT(sttCmd{kind: cmdSegment, turn: c.currentTurn(), speculate: true})
	case endpoint.Resume:
		c.paused = false
		c.resume()
		// Give the recogniser the few frames of the pause before the
		// speech came back.
		c.sendPreroll(4)
	case endpoint.SpeechEnd:
		c.paused = false
		c.speechEnd(now)
	default:
		if c.ep.InTurn() && !c.paused {
			c.sendFrame(pcm)
		}
	}
	return nil
}

// Greet plays Config.Opening as the call's first reply, turn 0, unless
// there is none, it has been played, or the trainee is already speaking.
// Call it once the caller can hear (the transport is connected); ctx is the
// call's context. The trainee can talk over it like any reply.
func (c *Call) Greet(ctx context.Context) {
	if c.cfg.Opening == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.greeted || c.cur != nil || c.reply != nil {
		return
	}
	c.greeted = true
	t := &turn{index: 0, opening: true, endpointAt: time.Now()}
	c.cur = t
	c.startReplyWith(ctx, t, "", false, fixedText(c.cfg.Opening))
}

// fixedText is a Responder that says one text.
type fixedText string

func (f fixedText) Respond(ctx context.Context, _ Request, out func(string) error) error {
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	return out(string(f))
}

func (c *Call) currentTurn() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.turnSeq
}

// speechStart begins a user turn, barging in on any reply. A turn that
// carries on one the endpoint ended moments ago (see continues) takes it
// over instead: its reply stops, it is never recorded, and its words begin
// the new turn's.
func (c *Call) speechStart(ctx context.Context, ev endpoint.Event) {
	c.mu.Lock()
	started := time.Now().Add(-(ev.At - ev.Start))
	cont := 0
	if prev := c.cur; continues(prev, started) {
		cont = prev.index
		prev.done = true // superseded: no record, so nothing of it is committed
		if r := c.stopReply(ErrContinued); r != nil {
			c.log.LogAttrs(ctx, slog.LevelInfo, "turn continued", slog.Int("turn", prev.index), slog.Int("played_frames", r.playedFrames))
		}
	}
	if c.reply != nil {
		// The turn being answered is no longer current: completing it must
		// not announce LISTENING between SPEAKING and USER_SPEAKING.
		c.cur = nil
		c.bargeIn(ctx)
	}
	c.turnSeq++
	c.cur = &turn{index: c.turnSeq, started: started, resumed: !c.lastEnd.IsZero() && started.Sub(c.lastEnd) < resumedWithin, continues: cont}
	c.setState(callevent.StateUserSpeaking)
	idx := c.turnSeq
	c.mu.Unlock()
	c.sendSTT(sttCmd{kind: cmdOpen, turn: idx, continues: cont})
	frames := int((ev.At-ev.Start)/FrameDuration) + 6
	c.sendPreroll(frames)
}

// bargeIn stops the reply at once (stopReply with ErrBargeIn) and records
// its turn with the words played so far. c.mu must be held, and c.reply set.
func (c *Call) bargeIn(ctx context.Context) {
	r := c.stopReply(ErrBargeIn)
	t := r.turn
	if r.held || t.done {
		return // a speculative reply nobody heard, or a finished turn
	}
	c.log.LogAttrs(ctx, slog.LevelInfo, "barge-in", slog.Int("turn", t.index), slog.Int("played_frames", r.playedFrames))
	c.completeTurn(t, true)
}

// resume drops a speculative reply when the trainee goes on speaking.
func (c *Call) resume() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r := c.reply; r != nil && r.held {
		c.stopReply(ErrResumed)
	}
}

// stopReply stops the reply owning the playout, if any: its context is
// cancelled with cause and its queued audio dropped before the next tick.
// It returns the reply stopped, or nil. c.mu must be held.
func (c *Call) stopReply(cause error) *reply {
	r := c.reply
	if r == nil {
		return nil
	}
	r.cancel(cause)
	r.dropQueue()
	c.reply = nil
	return r
}

// speechEnd closes the user turn: the recogniser finalises and the reply
// follows.
func (c *Call) speechEnd(now time.Time) {
	c.mu.Lock()
	t := c.cur
	if t == nil {
		c.mu.Unlock()
		return
	}
	t.endpointAt = now
	// The speaker stopped before the detector let go of speech.
	t.lastVoiced = c.lastVoiced.Add(-c.cfg.DetectorHold)
	c.lastEnd = t.lastVoiced
	c.setState(callevent.StateThinking)
	idx := t.index
	c.mu.Unlock()
	c.sendSTT(sttCmd{kind: cmdFinal, turn: idx, t: t})
}

// completeTurn records turn t and returns the call to LISTENING unless a new
// turn has begun. c.mu must be held.
func (c *Call) completeTurn(t *turn, bargeIn bool) {
	if t.done {
		return
	}
	t.done = true
	rec := TurnRecord{Index: t.index, UserText: t.userText, BargeIn: bargeIn, Stages: t.stages(), Time: t.endpointAt, Opening: t.opening, Resumed: t.resumed, Continues: t.continues, Speech: t.speech()}
	if t.reply != nil {
		rec.ReplyText = t.reply.playedText()
	}
	ms := make(map[string]float64, len(rec.Stages))
	for k, v := range rec.Stages {
		ms[k] = float64(v.Microseconds()) / 1000
	}
	if !t.opening {
		c.cfg.Events.Send(&Event{Type: callevent.TypeTurnLatency, Turn: int32(t.index), Stages: ms, BargeIn: bargeIn})
	}
	// The turn's record first (its turn_result event goes out from OnTurn),
	// then LISTENING: a client sees everything about a turn before the call
	// says it is listening again.
	if c.cfg.OnTurn != nil {
		c.cfg.OnTurn(rec)
	}
	if c.cur == t {
		c.setState(callevent.StateListening)
	}
}

// onFinal receives the final transcript of turn t from the recogniser. A
// turn the trainee has already followed with another (they spoke again
// before the final arrived) is recorded without a reply.
func (c *Call) onFinal(ctx context.Context, t *turn, text string, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t == nil || t.done {
		return
	}
	t.userText = text
	t.sttFinalAt = at
	idx := t.index
	if text != "" {
		c.cfg.Events.Send(&Event{Type: callevent.TypeFinalTranscript, Turn: int32(idx), Text: text, Continues: int32(t.continues)})
	}
	if c.cur != t {
		if text != "" {
			c.completeTurn(t, false)
		}
		t.done = true
		return
	}
	if text == "" {
		// Noise, or nothing recognised: no reply.
		if r := c.reply; r != nil && r.turn == t {
			c.stopReply(ErrResumed)
		}
		t.done = true
		c.setState(callevent.StateListening)
		return
	}
	if r := c.reply; r != nil && r.turn == t && r.held && r.userText == text {
		// The speculative reply answers exactly this: release it.
		r.held = false
		t.reply = r
		c.kickPlayout()
		return
	}
	c.stopReply(ErrResumed)
	c.startReply(ctx, t, text, false)
}

// onSegment receives the transcript so far at a pause; with speculate set,
// a reply to it is prepared and held.
func (c *Call) onSegment(ctx context.Context, idx int, text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.cur
	if t == nil || t.index != idx || t.done || c.state != callevent.StateUserSpeaking || text == "" || c.reply != nil {
		return
	}
	c.startReply(ctx, t, text, true)
}

// kickPlayout wakes the playout loop.
func (c *Call) kickPlayout() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// errStopped ends a synthesis whose reply was cancelled.
var errStopped = errors.New("pipeline: reply stopped")
