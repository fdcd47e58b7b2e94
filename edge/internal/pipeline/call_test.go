package pipeline_test

import (
	"context"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/avatar-fi/avatar/edge/internal/dialogue"
	"github.com/avatar-fi/avatar/edge/internal/pipeline"
	"github.com/avatar-fi/avatar/edge/internal/stt"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeSTT recognises a fixed text once it has heard some audio.
type fakeSTT struct{ text string }

func (f fakeSTT) NewStream(context.Context) (stt.Stream, error) {
	return &fakeStream{text: f.text}, nil
}

type fakeStream struct {
	mu     sync.Mutex
	text   string
	frames int
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
func (s *fakeStream) Segment() error                        { return nil }
func (s *fakeStream) Final(context.Context) (string, error) { return s.Partial(), nil }
func (s *fakeStream) Close() error                          { return nil }

// fakeTTS speaks 60 ms of tone per word, at once.
type fakeTTS struct{}

func (fakeTTS) Synthesize(ctx context.Context, text string, out func([]int16) error) error {
	n := len(strings.Fields(text)) * 3 * pipeline.OutFrameSamples
	buf := make([]int16, 480)
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

// recorder collects what the call plays and sends.
type recorder struct {
	mu     sync.Mutex
	frames int
	events []pipeline.Event
	turns  []pipeline.TurnRecord
}

func (r *recorder) WriteFrame(pcm []int16) error { r.mu.Lock(); r.frames++; r.mu.Unlock(); return nil }
func (r *recorder) Send(ev pipeline.Event) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
}
func (r *recorder) onTurn(t pipeline.TurnRecord) {
	r.mu.Lock()
	r.turns = append(r.turns, t)
	r.mu.Unlock()
}
func (r *recorder) snapshot() (int, []pipeline.Event, []pipeline.TurnRecord) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.frames, append([]pipeline.Event(nil), r.events...), append([]pipeline.TurnRecord(nil), r.turns...)
}

func speechFrame(k int) []int16 {
	f := make([]int16, pipeline.InFrameSamples)
	for i := range f {
		f[i] = int16(6000 * math.Sin(2*math.Pi*220*float64(k*len(f)+i)/16000))
	}
	return f
}

func silenceFrame() []int16 { return make([]int16, pipeline.InFrameSamples) }

type bundle struct {
	call *pipeline.Call
	rec  *recorder
	ctx  context.Context
}

func setup(t *testing.T) *bundle {
	t.Helper()
	rec := &recorder{}
	call, err := pipeline.New(pipeline.Config{
		SessionID:   "s1",
		Transcriber: fakeSTT{text: "hello there"},
		Synthesizer: fakeTTS{},
		Responder:   dialogue.Echo{},
		Out:         rec,
		Events:      rec,
		OnTurn:      rec.onTurn,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	if err := call.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(call.Stop)
	return &bundle{call: call, rec: rec, ctx: ctx}
}

// push sends frames at real time.
func (b *bundle) push(t *testing.T, frame func(k int) []int16, n int) {
	t.Helper()
	for k := range n {
		if err := b.call.Push(b.ctx, frame(k)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(pipeline.FrameDuration)
	}
}

func (b *bundle) waitState(t *testing.T, s pipeline.State, frames int) {
	t.Helper()
	for range frames {
		if b.call.State() == s {
			return
		}
		b.push(t, func(int) []int16 { return silenceFrame() }, 1)
	}
	t.Fatalf("state %s, want %s", b.call.State(), s)
}

func TestTurn(t *testing.T) {
	b := setup(t)
	b.push(t, func(int) []int16 { return silenceFrame() }, 10)
	b.push(t, speechFrame, 40)
	b.waitState(t, pipeline.StateSpeaking, 50)
	b.waitState(t, pipeline.StateListening, 300)
	frames, events, turns := b.rec.snapshot()
	if len(turns) != 1 {
		t.Fatalf("%d turns, want 1", len(turns))
	}
	tr := turns[0]
	want := "You said: hello there. " + dialogue.EchoSuffix
	if tr.UserText != "hello there" || tr.ReplyText != want || tr.BargeIn {
		t.Errorf("turn %+v", tr)
	}
	if wantFrames := len(strings.Fields(want)) * 3; frames < wantFrames {
		t.Errorf("played %d frames, want >= %d", frames, wantFrames)
	}
	for _, st := range pipeline.Stages {
		if _, ok := tr.Stages[st]; !ok {
			t.Errorf("stage %s missing: %v", st, tr.Stages)
		}
	}
	gap := tr.Stages[pipeline.StageTurnGap]
	if gap <= 0 || gap > time.Second {
		t.Errorf("turn gap %v", gap)
	}
	t.Logf("stages %v", tr.Stages)
	var types []string
	for _, ev := range events {
		types = append(types, ev.Type+":"+string(ev.State))
	}
	joined := strings.Join(types, " ")
	for _, w := range []string{"state:USER_SPEAKING", "partial_transcript:", "final_transcript:", "state:THINKING", "state:SPEAKING", "reply_text:", "turn_latency:", "state:LISTENING"} {
		if !strings.Contains(joined, w) {
			t.Errorf("no %s event in %s", w, joined)
		}
	}
}

func TestBargeIn(t *testing.T) {
	b := setup(t)
	b.push(t, func(int) []int16 { return silenceFrame() }, 10)
	b.push(t, speechFrame, 40)
	b.waitState(t, pipeline.StateSpeaking, 50)
	b.push(t, func(int) []int16 { return silenceFrame() }, 10) // 200 ms of reply
	// Speak until the endpointer decides (MinSpeech), then count frames.
	var before int
	for k := 0; b.call.State() == pipeline.StateSpeaking; k++ {
		if k > 20 {
			t.Fatal("no barge-in after 20 frames of speech")
		}
		before, _, _ = b.rec.snapshot()
		if err := b.call.Push(b.ctx, speechFrame(k)); err != nil {
			t.Fatal(err)
		}
		if k < 19 {
			time.Sleep(pipeline.FrameDuration)
		}
	}
	after, _, _ := b.rec.snapshot()
	time.Sleep(5 * pipeline.FrameDuration)
	later, _, turns := b.rec.snapshot()
	if later-before > 1 {
		t.Errorf("%d frames played after the barge-in decision (%d at it, %d right after), want <= 1", later-before, before, after)
	}
	if len(turns) != 1 || !turns[0].BargeIn {
		t.Fatalf("turns %+v, want one barged-in turn", turns)
	}
	full := "You said: hello there. " + dialogue.EchoSuffix
	if got := turns[0].ReplyText; got == "" || len(got) >= len(full) || !strings.HasPrefix(full, got) {
		t.Errorf("played text %q, want a proper prefix of %q", got, full)
	}
}

// TestSpeculativeReplyDroppedOnResume pauses long enough for a speculative
// reply, then speaks on: nothing may play until the real end of the turn,
// and there is one turn.
func TestSpeculativeReplyDroppedOnResume(t *testing.T) {
	b := setup(t)
	silence := func(int) []int16 { return silenceFrame() }
	b.push(t, silence, 10)
	b.push(t, speechFrame, 20)
	b.push(t, silence, 6) // 120 ms: past Tentative, short of the endpoint
	b.push(t, speechFrame, 20)
	if frames, _, turns := b.rec.snapshot(); frames != 0 || len(turns) != 0 {
		t.Fatalf("during the turn: %d frames played, %d turns", frames, len(turns))
	}
	if s := b.call.State(); s != pipeline.StateUserSpeaking {
		t.Fatalf("state %s, want USER_SPEAKING", s)
	}
	b.waitState(t, pipeline.StateSpeaking, 50)
	b.waitState(t, pipeline.StateListening, 300)
	if _, _, turns := b.rec.snapshot(); len(turns) != 1 || turns[0].BargeIn {
		t.Errorf("turns %+v, want one", turns)
	}
}
