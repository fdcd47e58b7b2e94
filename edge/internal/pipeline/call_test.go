package pipeline_test

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/avatar-fi/avatar/edge/internal/pipeline"
	"github.com/avatar-fi/avatar/media/endpoint"
	"github.com/avatar-fi/avatar/protocol/callevent"
)

// The call tests run inside a testing/synctest bubble: the transport's
// 20 ms frames, the playout ticker and the fakes' latencies all run on the
// bubble's fake clock, which moves only when every goroutine of the call is
// blocked. A test takes no wall-clock time to feed seconds of audio, and
// every time the pipeline stamps (endpoint, stages, frames played) is exact,
// so the tests compare them with the configured silences and latencies
// rather than with loose bounds. A call that deadlocks fails the test at
// once (synctest reports it) instead of waiting for a timeout.

const ms = time.Millisecond

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func speechFrame(k int) []int16 {
	f := make([]int16, pipeline.InFrameSamples)
	for i := range f {
		f[i] = int16(6000 * math.Sin(2*math.Pi*220*float64(k*len(f)+i)/16000))
	}
	return f
}

func silenceFrame(int) []int16 { return make([]int16, pipeline.InFrameSamples) }

type bundle struct {
	call *pipeline.Call
	rec  *recorder
	ctx  context.Context
}

// The timing tests run the endpointer's fixed rule, so that each turn ends
// after a known silence: testSilence, or testEarly when the words look
// complete, testLate when they trail off (the end-of-turn model has its
// own tests, in media/endpoint and TestPrematureCuts).
const (
	testSilence   = 240 * time.Millisecond
	testEarly     = 160 * time.Millisecond
	testLate      = 340 * time.Millisecond
	testTentative = 100 * time.Millisecond
)

// setup starts a call inside the current synctest bubble. Zero fields of
// cfg take the fakes (fakeSTT saying "hello there", fakeTTS, an
// echoResponder) and the fixed end-of-turn rule above; Out, Events and
// OnTurn are a recorder, and the call logs to the test's output. The call
// stops when the test ends.
func setup(t *testing.T, cfg pipeline.Config) *bundle {
	t.Helper()
	rec := &recorder{start: time.Now()}
	cfg.SessionID = "s1"
	if cfg.Endpoint.Silence == 0 {
		cfg.Endpoint = endpoint.Config{Silence: testSilence, EarlySilence: testEarly, LateSilence: testLate, Tentative: testTentative}
	}
	if cfg.Transcriber == nil {
		cfg.Transcriber = fakeSTT{text: "hello there"}
	}
	if cfg.Synthesizer == nil {
		cfg.Synthesizer = fakeTTS{}
	}
	if cfg.Responder == nil {
		cfg.Responder = &echoResponder{}
	}
	cfg.Out, cfg.Events, cfg.OnTurn = rec, rec, rec.onTurn
	cfg.Logger = slog.New(slog.NewTextHandler(t.Output(), nil))
	call, err := pipeline.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := call.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(call.Stop)
	return &bundle{call: call, rec: rec, ctx: ctx}
}

// now returns the time since the call started.
func (b *bundle) now() time.Duration { return time.Since(b.rec.start) }

// step plays the transport delivering one frame at the end of its 20 ms: it
// lets one frame of time pass, waits for everything due by then (playout
// ticks, fake latencies) to settle, pushes pcm, and waits for the call to
// finish reacting to it. Frame k of a call is thus pushed at (k+1)·20 ms,
// after the playout tick of that instant.
func (b *bundle) step(t *testing.T, pcm []int16) {
	t.Helper()
	time.Sleep(pipeline.FrameDuration)
	synctest.Wait()
	if err := b.call.Push(b.ctx, pcm); err != nil {
		t.Fatal(err)
	}
	synctest.Wait()
}

// push steps n frames made by frame.
func (b *bundle) push(t *testing.T, frame func(k int) []int16, n int) {
	t.Helper()
	for k := range n {
		b.step(t, frame(k))
	}
}

// waitState pushes silence until the call is in state s, at most maxFrames
// frames, and returns how many it pushed.
func (b *bundle) waitState(t *testing.T, s pipeline.State, maxFrames int) int {
	t.Helper()
	for n := range maxFrames + 1 {
		if b.call.State() == s {
			return n
		}
		if n < maxFrames {
			b.step(t, silenceFrame(n))
		}
	}
	t.Fatalf("state %s after %d frames of silence, want %s", b.call.State(), maxFrames, s)
	return 0
}

// waitTurns pushes silence until n turns are recorded, at most maxFrames
// frames, and returns the turns.
func (b *bundle) waitTurns(t *testing.T, n, maxFrames int) []pipeline.TurnRecord {
	t.Helper()
	for i := range maxFrames + 1 {
		if _, _, turns := b.rec.snapshot(); len(turns) >= n {
			return turns
		}
		if i < maxFrames {
			b.step(t, silenceFrame(i))
		}
	}
	_, _, turns := b.rec.snapshot()
	t.Fatalf("%d turns after %d frames of silence, want %d: %+v", len(turns), maxFrames, n, turns)
	return nil
}

// stages builds a TurnRecord.Stages map.
func stages(endpoint, sttFinal, firstText, firstAudio, firstPacket, turnGap time.Duration) map[string]time.Duration {
	return map[string]time.Duration{
		callevent.StageEndpoint:    endpoint,
		callevent.StageSTTFinal:    sttFinal,
		callevent.StageFirstText:   firstText,
		callevent.StageFirstAudio:  firstAudio,
		callevent.StageFirstPacket: firstPacket,
		callevent.StageTurnGap:     turnGap,
	}
}

// checkTurn compares a TurnRecord with want field by field, and its Time
// with wantAt, a time since the call started (want.Time is ignored).
func checkTurn(t *testing.T, b *bundle, got, want pipeline.TurnRecord, wantAt time.Duration) {
	t.Helper()
	if got.Index != want.Index || got.UserText != want.UserText || got.ReplyText != want.ReplyText ||
		got.BargeIn != want.BargeIn || got.Opening != want.Opening {
		t.Errorf("turn %d: index %d, user %q, reply %q, barge-in %t, opening %t; want %d, %q, %q, %t, %t",
			want.Index, got.Index, got.UserText, got.ReplyText, got.BargeIn, got.Opening,
			want.Index, want.UserText, want.ReplyText, want.BargeIn, want.Opening)
	}
	if at := got.Time.Sub(b.rec.start); at != wantAt {
		t.Errorf("turn %d: time %v, want %v", want.Index, at, wantAt)
	}
	if !maps.Equal(got.Stages, want.Stages) {
		t.Errorf("turn %d: stages %v, want %v", want.Index, got.Stages, want.Stages)
	}
}

// checkLines compares formatted events line by line.
func checkLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got  %s\n want %s", what, strings.Join(got, "\n      "), strings.Join(want, "\n      "))
	}
}

// checkPacing checks that n frames were played, one every 20 ms from start.
func checkPacing(t *testing.T, frames []time.Duration, start time.Duration, n int) {
	t.Helper()
	if len(frames) != n {
		t.Errorf("played %d frames, want %d", len(frames), n)
	}
	for i, at := range frames {
		if want := start + time.Duration(i)*pipeline.FrameDuration; at != want {
			t.Errorf("frame %d played at %v, want %v", i, at, want)
			return
		}
	}
}

// The timeline shared by the call tests: 10 frames of silence, then 40 of
// speech (frames 10–49, pushed at 220 ms … 1 s). The energy detector
// reports every speech frame voiced and every silent one not, so the last
// voiced frame is pushed at 1 s, and the turn starts on the third speech
// frame (MinSpeech 60 ms), at 260 ms.
const (
	leadFrames   = 10
	speechFrames = 40
	lastVoiced   = (leadFrames + speechFrames) * pipeline.FrameDuration // 1 s
	turnStart    = (leadFrames + 3) * pipeline.FrameDuration            // 260 ms
)

// speak pushes the shared timeline.
func (b *bundle) speak(t *testing.T) {
	t.Helper()
	b.push(t, silenceFrame, leadFrames)
	b.push(t, speechFrame, speechFrames)
}

// TestTurn runs one turn with instant engines. "hello there" gives no
// transcript cue, so the turn ends exactly DefaultSilence (12 frames) after
// the last voiced frame; the reply prepared at the Tentative pause is
// released then and its first frame goes out at that same instant, so the
// turn gap is DefaultSilence and the other stages are zero. The reply, 16
// words of 3 frames, plays one frame per 20 ms, and the turn is complete on
// the tick after its 48th frame.
func TestTurn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		resp := &echoResponder{}
		b := setup(t, pipeline.Config{Responder: resp})
		b.speak(t)
		turns := b.waitTurns(t, 1, 200)
		frames, events, _ := b.rec.snapshot()

		endAt := lastVoiced + testSilence // 1.24 s
		const replyFrames = (4 + 12) * framesPerWord
		doneAt := endAt + replyFrames*pipeline.FrameDuration // 2.2 s
		reply := "You said: hello there. " + replyRest
		if len(turns) != 1 {
			t.Fatalf("%d turns, want 1", len(turns))
		}
		checkTurn(t, b, turns[0], pipeline.TurnRecord{
			Index: 1, UserText: "hello there", ReplyText: reply,
			Stages: stages(testSilence, 0, 0, 0, 0, testSilence),
		}, endAt)
		if want := speechFrames * pipeline.FrameDuration; turns[0].Speech != want {
			t.Errorf("speech %v, want %v (the voiced frames)", turns[0].Speech, want)
		}
		checkPacing(t, frames, endAt, replyFrames)
		checkLines(t, "events", eventLines(events, callevent.TypeState, callevent.TypeFinalTranscript, callevent.TypeReplyText, callevent.TypeTurnLatency), []string{
			"0s state LISTENING",
			fmt.Sprintf("%v state USER_SPEAKING", turnStart),
			fmt.Sprintf("%v state THINKING", endAt),
			fmt.Sprintf("%v final_transcript 1 %q", endAt, "hello there"),
			fmt.Sprintf("%v state SPEAKING", endAt),
			fmt.Sprintf("%v reply_text 1 %q", endAt, "You said: hello there."),
			fmt.Sprintf("%v reply_text 1 %q", endAt+4*framesPerWord*pipeline.FrameDuration, replyRest),
			fmt.Sprintf("%v turn_latency 1 barge_in=false endpoint=240 first_audio=0 first_packet=0 first_text=0 stt_final=0 turn_gap=240", doneAt),
			fmt.Sprintf("%v state LISTENING", doneAt),
		})
		// The recogniser takes the preroll queued at the turn's start in
		// batches while Push is still queuing it, and skips the partial
		// due on a batch that has more audio queued behind it; then the
		// first partial comes with the next frame (see recognizer.go).
		partials := eventLines(events, callevent.TypePartialTranscript)
		if want := []string{
			fmt.Sprintf("%v partial_transcript 1 %q", turnStart, "hello there"),
			fmt.Sprintf("%v partial_transcript 1 %q", turnStart+pipeline.FrameDuration, "hello there"),
		}; len(partials) != 1 || !slices.Contains(want, partials[0]) {
			t.Errorf("partial transcripts %q, want one of %q", partials, want)
		}
		if got := b.call.State(); got != callevent.StateListening {
			t.Errorf("state %s, want LISTENING", got)
		}
		reqs, causes := resp.snapshot()
		if want := (pipeline.Request{SessionID: "s1", Turn: 1, Text: "hello there"}); len(reqs) != 1 || reqs[0] != want {
			t.Errorf("requests %+v, want [%+v]", reqs, want)
		}
		if len(causes) != 0 {
			t.Errorf("reply cancelled: %v", causes)
		}
		if n := b.call.DroppedFrames(); n != 0 {
			t.Errorf("%d frames dropped", n)
		}
	})
}

// TestLeadingSilenceTrimmed has the speech engine begin every sentence with
// 10 frames of near-silence: the reply's first packet carries the last
// leadPad (2) of them and then its first word comes, rather than 200 ms of
// silence; the second sentence keeps its pause. The turn gap, timed to the
// first packet, is the same as without the silence.
func TestLeadingSilenceTrimmed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := setup(t, pipeline.Config{Synthesizer: fakeTTS{quiet: 10}})
		b.speak(t)
		turns := b.waitTurns(t, 1, 200)
		frames, _, _ := b.rec.snapshot()
		endAt := lastVoiced + testSilence
		first := 2 + 4*framesPerWord
		second := 10 + 12*framesPerWord
		checkPacing(t, frames, endAt, first+second)
		loud := b.rec.loudness()
		for i, l := range loud {
			want := (i >= 2 && i < first) || i >= first+10
			if l != want {
				t.Errorf("frame %d loud %t, want %t (loudness %v)", i, l, want, loud)
				break
			}
		}
		if len(turns) != 1 || turns[0].ReplyText != "You said: hello there. "+replyRest {
			t.Fatalf("turns %+v, want one with the whole reply", turns)
		}
		if got := turns[0].Stages[callevent.StageTurnGap]; got != testSilence {
			t.Errorf("turn gap %v, want %v", got, testSilence)
		}
	})
}

// TestTurnStages checks each stage of a turn against the configured
// silences and the engines' latencies, on the shared timeline (last voiced
// frame at 1 s). The endpoint stage is the silence the transcript's cue
// selects (all whole frames), plus DetectorHold. With a Segmenter the reply
// is prepared at the Tentative pause (100 ms, at 1.1 s), so latencies
// that end before the endpoint count as zero-length stages.
func TestTurnStages(t *testing.T) {
	tests := []struct {
		name  string
		cfg   pipeline.Config
		stt   fakeSTT
		tts   fakeTTS
		resp  *echoResponder
		wantS map[string]time.Duration
	}{
		{
			name:  "no cue ends after Silence",
			stt:   fakeSTT{text: "hello there"},
			wantS: stages(testSilence, 0, 0, 0, 0, testSilence),
		},
		{
			name:  "complete words end after EarlySilence",
			stt:   fakeSTT{text: "yes"},
			wantS: stages(testEarly, 0, 0, 0, 0, testEarly),
		},
		{
			name:  "trailing words end after LateSilence",
			stt:   fakeSTT{text: "I want the warranty and"},
			wantS: stages(testLate, 0, 0, 0, 0, testLate),
		},
		{
			// The turn ends 240 ms after the last voiced frame, 340 ms
			// after the speaker's true end (the last voiced frame less
			// the hold).
			name:  "detector hold",
			cfg:   pipeline.Config{DetectorHold: pipeline.SileroHold},
			stt:   fakeSTT{text: "hello there"},
			wantS: stages(testSilence+pipeline.SileroHold, 0, 0, 0, 0, testSilence+pipeline.SileroHold),
		},
		{
			name:  "slow final transcript",
			stt:   fakeSTT{text: "hello there", finalDelay: 50 * ms},
			wantS: stages(240*ms, 50*ms, 0, 0, 0, 290*ms),
		},
		{
			// Text at 1.1 s + 300 ms, 160 ms after the endpoint (1.24 s).
			name:  "slow responder",
			stt:   fakeSTT{text: "hello there"},
			resp:  &echoResponder{firstText: 300 * ms},
			wantS: stages(240*ms, 0, 160*ms, 0, 0, 400*ms),
		},
		{
			// Audio at 1.1 s + 200 ms, 60 ms after the endpoint.
			name:  "slow synthesizer",
			stt:   fakeSTT{text: "hello there"},
			tts:   fakeTTS{delay: 200 * ms},
			wantS: stages(240*ms, 0, 0, 60*ms, 0, 300*ms),
		},
		{
			// Without a Segmenter nothing is prepared at the pause: the
			// reply starts from the final transcript, at the endpoint.
			name:  "no speculative reply",
			stt:   fakeSTT{text: "hello there", noSegment: true},
			tts:   fakeTTS{delay: 50 * ms},
			resp:  &echoResponder{firstText: 100 * ms},
			wantS: stages(240*ms, 0, 100*ms, 50*ms, 0, 390*ms),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cfg := tt.cfg
				cfg.Transcriber, cfg.Synthesizer = tt.stt, tt.tts
				if tt.resp != nil {
					cfg.Responder = tt.resp
				}
				b := setup(t, cfg)
				b.speak(t)
				turns := b.waitTurns(t, 1, 200)
				_, events, _ := b.rec.snapshot()
				if len(turns) != 1 {
					t.Fatalf("%d turns, want 1", len(turns))
				}
				endAt := lastVoiced - tt.cfg.DetectorHold + tt.wantS[callevent.StageEndpoint]
				checkTurn(t, b, turns[0], pipeline.TurnRecord{
					Index: 1, UserText: tt.stt.text, ReplyText: "You said: " + tt.stt.text + ". " + replyRest,
					Stages: tt.wantS,
				}, endAt)
				var latency []*pipeline.Event
				for _, e := range events {
					if e.ev.GetType() == callevent.TypeTurnLatency {
						latency = append(latency, e.ev)
					}
				}
				if len(latency) != 1 {
					t.Fatalf("%d turn_latency events, want 1", len(latency))
				}
				want := make(map[string]float64)
				for k, d := range tt.wantS {
					want[k] = float64(d) / float64(ms)
				}
				if got := latency[0].GetStages(); !maps.Equal(got, want) {
					t.Errorf("turn_latency stages %v, want %v", got, want)
				}
			})
		})
	}
}

// TestBargeIn speaks over the reply, later than resumedWithin (1.5 s) after
// the end of the turn: sooner, the trainee carries on the turn instead
// (TestContinuedTurn). The turn starts on the third speech frame, and the
// playout tick of that instant comes first (see step), so exactly
// 4+replyFrames frames have been played when the trainee barges in, and
// none after. The turn keeps the words of the frames played: whole
// sentences, and the share of the words of the sentence cut.
func TestBargeIn(t *testing.T) {
	// 70 frames of reply: speech comes back 1.52 s after the last voiced
	// frame.
	long := strings.Repeat(replyRest+" ", 3)
	tests := []struct {
		name        string
		resp        *echoResponder
		replyFrames int // frames of silence pushed while the reply plays
		wantPlayed  int
		wantReply   string
		wantCauses  []error
	}{
		{
			// 74 frames: the first sentence (12), the second (36) and 26
			// of the third's 36, so 8 of its 12 words.
			name:        "mid-sentence",
			resp:        &echoResponder{rest: long},
			replyFrames: 70,
			wantPlayed:  74,
			wantReply:   "You said: hello there. " + replyRest + " Our extended warranty covers the drivetrain for five",
		},
		{
			// The responder holds the second sentence back: the first
			// plays, then silence, and the barge-in cancels the reply
			// while it is being generated.
			name:        "while generating",
			resp:        &echoResponder{hold: time.Minute},
			replyFrames: 70,
			wantPlayed:  12,
			wantReply:   "You said: hello there.",
			wantCauses:  []error{pipeline.ErrBargeIn},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b := setup(t, pipeline.Config{Responder: tt.resp})
				b.speak(t)
				if n := b.waitState(t, callevent.StateSpeaking, 50); n != int(testSilence/pipeline.FrameDuration) {
					t.Errorf("SPEAKING after %d frames of silence, want %v", n, testSilence)
				}
				b.push(t, silenceFrame, tt.replyFrames)
				b.push(t, speechFrame, 2)
				if s := b.call.State(); s != callevent.StateSpeaking {
					t.Fatalf("state %s after 2 frames of speech, want SPEAKING (MinSpeech is 3 frames)", s)
				}
				b.step(t, speechFrame(2))
				bargeAt := b.now()
				if s := b.call.State(); s != callevent.StateUserSpeaking {
					t.Fatalf("state %s after 3 frames of speech, want USER_SPEAKING", s)
				}
				b.push(t, func(k int) []int16 { return speechFrame(k + 3) }, 5)
				frames, events, turns := b.rec.snapshot()
				if len(frames) != tt.wantPlayed {
					t.Errorf("played %d frames, want %d", len(frames), tt.wantPlayed)
				}
				if n := len(frames); n > 0 && frames[n-1] > bargeAt {
					t.Errorf("frame played at %v, after the barge-in at %v", frames[n-1], bargeAt)
				}
				if len(turns) != 1 {
					t.Fatalf("turns %+v, want one barged-in turn", turns)
				}
				endAt := lastVoiced + testSilence
				checkTurn(t, b, turns[0], pipeline.TurnRecord{
					Index: 1, UserText: "hello there", ReplyText: tt.wantReply, BargeIn: true,
					Stages: stages(testSilence, 0, 0, 0, 0, testSilence),
				}, endAt)
				checkLines(t, "latency events", eventLines(events, callevent.TypeTurnLatency), []string{
					fmt.Sprintf("%v turn_latency 1 barge_in=true endpoint=240 first_audio=0 first_packet=0 first_text=0 stt_final=0 turn_gap=240", bargeAt),
				})
				if _, causes := tt.resp.snapshot(); !slices.Equal(causes, tt.wantCauses) {
					t.Errorf("reply cancelled with %v, want %v", causes, tt.wantCauses)
				}
			})
		})
	}
}

// TestContinuedTurn ends a turn at a pause, lets its reply begin, and
// speaks again within resumedWithin: the second turn carries on the first.
// The first turn's reply stops at once, the first turn is
// never recorded (so the dialogue commits nothing of it), and the one turn
// recorded answers both turns' words together, as their transcripts say
// (continues=1).
func TestContinuedTurn(t *testing.T) {
	tests := []struct {
		name     string
		second   string // what the recogniser hears in the second turn
		wantText string
	}{
		{name: "words", second: "and the tyres", wantText: "hello there and the tyres"},
		// A cough, or words the recogniser missed: the first turn's
		// words are answered all the same, not dropped.
		{name: "no words", second: "", wantText: "hello there"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				resp := &echoResponder{}
				b := setup(t, pipeline.Config{Responder: resp, Transcriber: &scriptedSTT{texts: []string{"hello there", tt.second}}})
				b.speak(t)
				b.waitState(t, callevent.StateSpeaking, 50)
				b.push(t, silenceFrame, 10) // 14 frames of the reply play
				b.push(t, speechFrame, 3)
				if s := b.call.State(); s != callevent.StateUserSpeaking {
					t.Fatalf("state %s after 3 frames of speech, want USER_SPEAKING", s)
				}
				played, _, turns := b.rec.snapshot()
				if len(turns) != 0 {
					t.Fatalf("turns %+v when the trainee went on, want none", turns)
				}
				if len(played) != 14 {
					t.Errorf("%d frames played before the trainee went on, want 14", len(played))
				}
				b.push(t, speechFrame, 20)
				lastAt := b.now()
				turns = b.waitTurns(t, 1, 200)
				frames, events, _ := b.rec.snapshot()
				if len(turns) != 1 {
					t.Fatalf("turns %+v, want one", turns)
				}
				endAt := lastAt + testSilence
				got := turns[0]
				checkTurn(t, b, got, pipeline.TurnRecord{
					Index: 2, UserText: tt.wantText, ReplyText: "You said: " + tt.wantText + ". " + replyRest,
					Stages: stages(testSilence, 0, 0, 0, 0, testSilence),
				}, endAt)
				if got.Continues != 1 || !got.Resumed {
					t.Errorf("continues %d, resumed %t; want 1, true", got.Continues, got.Resumed)
				}
				// Nothing more of the first reply plays: the next frame is
				// the new reply's first, at the end of the second turn.
				checkPacing(t, frames[14:], endAt, (2+len(strings.Fields(tt.wantText)))*framesPerWord+12*framesPerWord)
				reqs, _ := resp.snapshot()
				if last := reqs[len(reqs)-1]; last.Turn != 2 || last.Text != tt.wantText {
					t.Errorf("last request %+v, want turn 2 %q", last, tt.wantText)
				}
				for _, ev := range events {
					if ev.ev.Turn == 1 && (ev.ev.Type == callevent.TypeTurnLatency || ev.ev.Type == callevent.TypeTurnResult) {
						t.Errorf("event %s of the continued turn", ev)
					}
					if ev.ev.Turn == 2 && (ev.ev.Type == callevent.TypeFinalTranscript || ev.ev.Type == callevent.TypePartialTranscript) &&
						(ev.ev.Continues != 1 || !strings.HasPrefix(ev.ev.Text, "hello there")) {
						t.Errorf("transcript event %s: want continues=1 and the first turn's words first", ev)
					}
				}
				if finals := eventLines(events, callevent.TypeFinalTranscript); len(finals) != 2 {
					t.Errorf("final transcripts %v, want the first turn's and the whole", finals)
				}
			})
		})
	}
}

// TestSpeculativeReplyDroppedOnResume pauses long enough for a speculative
// reply, then speaks on: the reply, still being generated, is cancelled
// with ErrResumed, nothing plays until the real end of the turn, and there
// is one turn, timed from the second burst of speech.
func TestSpeculativeReplyDroppedOnResume(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// The responder holds the second sentence for 200 ms: longer than
		// the 2 frames from the pause to the resumption, shorter than the
		// first sentence's 240 ms of audio, so the real reply plays
		// without a gap.
		resp := &echoResponder{hold: 200 * ms}
		b := setup(t, pipeline.Config{Responder: resp})
		b.push(t, silenceFrame, 10)
		b.push(t, speechFrame, 20)
		b.push(t, silenceFrame, 6) // Pause on the 5th frame (Tentative), short of the endpoint
		b.push(t, speechFrame, 20)
		lastAt := b.now() // 1.12 s
		if frames, _, turns := b.rec.snapshot(); len(frames) != 0 || len(turns) != 0 {
			t.Fatalf("during the turn: %d frames played, %d turns", len(frames), len(turns))
		}
		if s := b.call.State(); s != callevent.StateUserSpeaking {
			t.Fatalf("state %s, want USER_SPEAKING", s)
		}
		if _, causes := resp.snapshot(); !slices.Equal(causes, []error{pipeline.ErrResumed}) {
			t.Errorf("speculative reply cancelled with %v, want [%v]", causes, pipeline.ErrResumed)
		}
		turns := b.waitTurns(t, 1, 200)
		frames, _, _ := b.rec.snapshot()
		endAt := lastAt + testSilence
		if len(turns) != 1 {
			t.Fatalf("turns %+v, want one", turns)
		}
		checkTurn(t, b, turns[0], pipeline.TurnRecord{
			Index: 1, UserText: "hello there", ReplyText: "You said: hello there. " + replyRest,
			Stages: stages(testSilence, 0, 0, 0, 0, testSilence),
		}, endAt)
		checkPacing(t, frames, endAt, 16*framesPerWord)
		reqs, causes := resp.snapshot()
		if len(reqs) != 2 {
			t.Errorf("%d requests, want 2 (the dropped one and the reply)", len(reqs))
		}
		if len(causes) != 1 {
			t.Errorf("replies cancelled with %v, want only the first", causes)
		}
	})
}

// TestStopCancelsReply hangs up while a reply is being generated: its
// context ends with ErrHangUp and Stop returns once every goroutine of the
// call has (synctest.Test fails on any left behind).
func TestStopCancelsReply(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		resp := &echoResponder{hold: time.Minute}
		b := setup(t, pipeline.Config{Responder: resp})
		b.speak(t)
		b.waitState(t, callevent.StateSpeaking, 50)
		b.call.Stop()
		if _, causes := resp.snapshot(); !slices.Equal(causes, []error{pipeline.ErrHangUp}) {
			t.Errorf("reply cancelled with %v, want [%v]", causes, pipeline.ErrHangUp)
		}
		if _, _, turns := b.rec.snapshot(); len(turns) != 0 {
			t.Errorf("turns %+v after hang-up, want none", turns)
		}
	})
}
