package pipeline_test

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/avatar-fi/avatar/edge/internal/pipeline"
	"github.com/avatar-fi/avatar/edge/internal/stt"
	"github.com/avatar-fi/avatar/protocol/callevent"
)

// The fakes of the call tests. Their latencies are timers, so inside a
// synctest bubble they take exactly the time configured, on the fake clock,
// and a goroutine waiting on them is durably blocked.

// fakeSTT recognises a fixed text once it has heard some audio. Final takes
// finalDelay; with noSegment its streams are not stt.Segmenters, so the call
// prepares no speculative reply.
type fakeSTT struct {
	text       string
	finalDelay time.Duration
	noSegment  bool
}

func (f fakeSTT) NewStream(context.Context) (stt.Stream, error) {
	s := &fakeStream{text: f.text, finalDelay: f.finalDelay}
	if f.noSegment {
		return struct{ stt.Stream }{s}, nil // hides Segment
	}
	return s, nil
}

// scriptedSTT is fakeSTT with a text per stream, in order; streams past the
// script recognise nothing.
type scriptedSTT struct {
	texts []string
	n     atomic.Int64
}

func (f *scriptedSTT) NewStream(ctx context.Context) (stt.Stream, error) {
	i := int(f.n.Add(1)) - 1
	if i >= len(f.texts) {
		return fakeSTT{}.NewStream(ctx)
	}
	return fakeSTT{text: f.texts[i]}.NewStream(ctx)
}

type fakeStream struct {
	mu         sync.Mutex
	text       string
	frames     int
	finalDelay time.Duration
}

func (s *fakeStream) Write(pcm []int16) error { s.mu.Lock(); s.frames++; s.mu.Unlock(); return nil }
func (s *fakeStream) Partial() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.frames == 0 {
		return ""
	}
	return s.text
}
func (s *fakeStream) Segment() error { return nil }
func (s *fakeStream) Final(ctx context.Context) (string, error) {
	if err := sleep(ctx, s.finalDelay); err != nil {
		return "", err
	}
	return s.Partial(), nil
}
func (s *fakeStream) Close() error { return nil }

// framesPerWord is how much audio fakeTTS speaks per word: 60 ms.
const framesPerWord = 3

// fakeTTS speaks framesPerWord frames of tone per word, all at once after
// delay, after quiet frames of near-silence (as speech engines begin a
// sentence).
type fakeTTS struct {
	delay time.Duration
	quiet int
}

func (f fakeTTS) Synthesize(ctx context.Context, text string, out func([]int16) error) error {
	if err := sleep(ctx, f.delay); err != nil {
		return err
	}
	hiss := make([]int16, pipeline.OutFrameSamples)
	for i := range hiss {
		hiss[i] = int16(150 * math.Sin(float64(i)/3))
	}
	for range f.quiet {
		if err := out(hiss); err != nil {
			return err
		}
	}
	n := len(strings.Fields(text)) * framesPerWord * pipeline.OutFrameSamples
	buf := make([]int16, pipeline.OutFrameSamples/2)
	for i := range buf {
		buf[i] = int16(8000 * math.Sin(float64(i)/5))
	}
	for n > 0 {
		if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		if err := out(buf[:min(n, len(buf))]); err != nil {
			return err
		}
		n -= len(buf)
	}
	return nil
}

// replyRest is the second sentence of echoResponder's reply: 12 words, 36
// frames of fakeTTS audio.
const replyRest = "Our extended warranty covers the drivetrain for five years and unlimited miles."

// echoResponder answers "You said: <text>." and then replyRest (or rest),
// a word at a time. The first word comes after firstText, replyRest after hold. It
// records the requests, and the cause of every context that ends while it
// waits.
type echoResponder struct {
	firstText, hold time.Duration
	// rest, when set, replaces replyRest.
	rest string

	mu     sync.Mutex
	reqs   []pipeline.Request
	causes []error
}

func (e *echoResponder) Respond(ctx context.Context, req pipeline.Request, out func(string) error) error {
	e.mu.Lock()
	e.reqs = append(e.reqs, req)
	e.mu.Unlock()
	if err := e.wait(ctx, e.firstText); err != nil {
		return err
	}
	if err := streamWords(out, "You said: "+req.Text+"."); err != nil {
		return err
	}
	if err := e.wait(ctx, e.hold); err != nil {
		return err
	}
	if e.rest != "" {
		return streamWords(out, e.rest)
	}
	return streamWords(out, replyRest)
}

func (e *echoResponder) wait(ctx context.Context, d time.Duration) error {
	err := sleep(ctx, d)
	if err != nil {
		e.mu.Lock()
		e.causes = append(e.causes, err)
		e.mu.Unlock()
	}
	return err
}

func (e *echoResponder) snapshot() ([]pipeline.Request, []error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.reqs), slices.Clone(e.causes)
}

// streamWords sends text a word at a time, each followed by a space so that
// the call's sentence splitter cuts a sentence as soon as its last word
// arrives.
func streamWords(out func(string) error, text string) error {
	for w := range strings.FieldsSeq(text) {
		if err := out(w + " "); err != nil {
			return err
		}
	}
	return nil
}

// sleep waits d on the (bubble's) clock, or returns ctx's cause if it ends
// first.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-tm.C:
		return nil
	}
}

// stamped is an event and when it was sent, since the call started.
type stamped struct {
	at time.Duration
	ev *pipeline.Event
}

// String formats the event for comparison: time, type, then its fields.
func (s stamped) String() string {
	ev := s.ev
	switch ev.GetType() {
	case callevent.TypeState:
		return fmt.Sprintf("%v state %s", s.at, ev.GetState())
	case callevent.TypeTurnLatency:
		var st []string
		for _, k := range slices.Sorted(maps.Keys(ev.GetStages())) {
			st = append(st, fmt.Sprintf("%s=%g", k, ev.GetStages()[k]))
		}
		return fmt.Sprintf("%v turn_latency %d barge_in=%t %s", s.at, ev.GetTurn(), ev.GetBargeIn(), strings.Join(st, " "))
	default:
		return fmt.Sprintf("%v %s %d %q", s.at, ev.GetType(), ev.GetTurn(), ev.GetText())
	}
}

// recorder collects what the call plays and sends, stamped with the time
// since start.
type recorder struct {
	start time.Time

	mu     sync.Mutex
	frames []time.Duration
	loud   []bool
	events []stamped
	turns  []pipeline.TurnRecord
}

func (r *recorder) WriteFrame(pcm []int16) error {
	r.mu.Lock()
	r.frames = append(r.frames, time.Since(r.start))
	r.loud = append(r.loud, slices.Max(pcm) >= 1000)
	r.mu.Unlock()
	return nil
}

// loudness returns, for each frame played, whether it was the tone.
func (r *recorder) loudness() []bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.loud)
}
func (r *recorder) Send(ev *pipeline.Event) {
	r.mu.Lock()
	r.events = append(r.events, stamped{at: time.Since(r.start), ev: ev})
	r.mu.Unlock()
}
func (r *recorder) onTurn(t pipeline.TurnRecord) {
	r.mu.Lock()
	r.turns = append(r.turns, t)
	r.mu.Unlock()
}
func (r *recorder) snapshot() ([]time.Duration, []stamped, []pipeline.TurnRecord) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.frames), slices.Clone(r.events), slices.Clone(r.turns)
}

// eventLines formats events, optionally only those of the given types.
func eventLines(evs []stamped, types ...string) []string {
	var out []string
	for _, e := range evs {
		if len(types) == 0 || slices.Contains(types, e.ev.GetType()) {
			out = append(out, e.String())
		}
	}
	return out
}
