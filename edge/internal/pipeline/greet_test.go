package pipeline_test

import (
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/avatar-fi/avatar/edge/internal/pipeline"
	"github.com/avatar-fi/avatar/protocol/callevent"
)

// opening is the customer's first words in the Greet tests: two sentences,
// 6 and 4 words, 18 and 12 frames of fakeTTS audio.
const opening = "Hi, I'm here about the warranty. What do you offer?"

// greetAt is when the Greet tests call Greet: after leadFrames of silence.
const greetAt = leadFrames * pipeline.FrameDuration // 200 ms

// TestGreet plays the opening as turn 0 when the call connects. It starts
// playing at once, one frame per 20 ms, and the turn is recorded on the
// tick after its 30th frame, with no stages and no turn_latency event; the
// Responder is not asked. Greet does nothing without an Opening, a second
// time, or once the trainee has started speaking.
func TestGreet(t *testing.T) {
	tests := []struct {
		name       string
		opening    string
		speakFirst bool // the trainee's turn starts before Greet
		again      bool // Greet is called again while and after the opening plays
		wantPlayed bool
	}{
		{name: "plays the opening", opening: opening, wantPlayed: true},
		{name: "plays once", opening: opening, again: true, wantPlayed: true},
		{name: "no opening", opening: ""},
		{name: "trainee spoke first", opening: opening, speakFirst: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				resp := &echoResponder{}
				b := setup(t, pipeline.Config{Opening: tt.opening, Responder: resp})
				b.push(t, silenceFrame, leadFrames)
				then := silenceFrame
				if tt.speakFirst {
					// The turn starts on the third frame of speech.
					b.push(t, speechFrame, 3)
					if s := b.call.State(); s != callevent.StateUserSpeaking {
						t.Fatalf("state %s, want USER_SPEAKING", s)
					}
					then = func(k int) []int16 { return speechFrame(k + 3) }
				}
				b.call.Greet(b.ctx)
				synctest.Wait()
				if tt.again {
					b.call.Greet(b.ctx)
					synctest.Wait()
				}
				b.push(t, then, 20)
				if !tt.wantPlayed {
					frames, events, turns := b.rec.snapshot()
					if len(frames) != 0 || len(turns) != 0 {
						t.Errorf("%d frames played, turns %+v; want none", len(frames), turns)
					}
					if got := eventLines(events, callevent.TypeReplyText); len(got) != 0 {
						t.Errorf("reply_text events %q, want none", got)
					}
					return
				}
				if tt.again {
					b.call.Greet(b.ctx) // while it plays
					synctest.Wait()
				}
				b.waitTurns(t, 1, 50)
				if tt.again {
					b.call.Greet(b.ctx) // after it played
					b.push(t, silenceFrame, 40)
				}
				frames, events, turns := b.rec.snapshot()
				const openingFrames = (6 + 4) * framesPerWord
				doneAt := greetAt + openingFrames*pipeline.FrameDuration // 800 ms
				if len(turns) != 1 {
					t.Fatalf("turns %+v, want the opening", turns)
				}
				checkTurn(t, b, turns[0], pipeline.TurnRecord{Index: 0, Opening: true, ReplyText: opening}, greetAt)
				checkPacing(t, frames, greetAt, openingFrames)
				checkLines(t, "events", eventLines(events), []string{
					"0s state LISTENING",
					fmt.Sprintf("%v state SPEAKING", greetAt),
					fmt.Sprintf("%v reply_text 0 %q", greetAt, "Hi, I'm here about the warranty."),
					fmt.Sprintf("%v reply_text 0 %q", greetAt+6*framesPerWord*pipeline.FrameDuration, "What do you offer?"),
					fmt.Sprintf("%v state LISTENING", doneAt),
				})
				if reqs, _ := resp.snapshot(); len(reqs) != 0 {
					t.Errorf("responder asked %+v for the opening", reqs)
				}
			})
		})
	}
}

// TestGreetBargeIn speaks over the opening: it stops at once, its turn 0 is
// recorded as barged in with the words played, still without a
// turn_latency event, and the trainee's turn that cut it is turn 1.
func TestGreetBargeIn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		resp := &echoResponder{}
		b := setup(t, pipeline.Config{Opening: opening, Responder: resp})
		b.push(t, silenceFrame, leadFrames)
		b.call.Greet(b.ctx)
		synctest.Wait()
		b.push(t, silenceFrame, 20)
		// The trainee's turn starts on the third frame of speech, at
		// 660 ms: by then 24 frames have played, the first sentence (18)
		// and 6 of the second's 12, so 2 of its 4 words.
		b.push(t, speechFrame, 3)
		bargeAt := b.now()
		if s := b.call.State(); s != callevent.StateUserSpeaking {
			t.Fatalf("state %s after 3 frames of speech, want USER_SPEAKING", s)
		}
		b.push(t, func(k int) []int16 { return speechFrame(k + 3) }, speechFrames-3)
		lastAt := b.now() // 1.4 s
		turns := b.waitTurns(t, 2, 200)
		frames, events, _ := b.rec.snapshot()

		endAt := lastAt + testSilence // 1.64 s
		const replyFrames = (4 + 12) * framesPerWord
		doneAt := endAt + replyFrames*pipeline.FrameDuration // 2.6 s
		if len(turns) != 2 {
			t.Fatalf("turns %+v, want the opening and one", turns)
		}
		checkTurn(t, b, turns[0], pipeline.TurnRecord{
			Index: 0, Opening: true, BargeIn: true, ReplyText: "Hi, I'm here about the warranty. What do",
		}, greetAt)
		checkTurn(t, b, turns[1], pipeline.TurnRecord{
			Index: 1, UserText: "hello there", ReplyText: "You said: hello there. " + replyRest,
			Stages: stages(testSilence, 0, 0, 0, 0, testSilence),
		}, endAt)
		i := slices.IndexFunc(frames, func(at time.Duration) bool { return at > bargeAt })
		if i != 24 {
			t.Errorf("%d frames of the opening played, want 24", i)
		}
		if i >= 0 {
			checkPacing(t, frames[:i], greetAt, 24)
			checkPacing(t, frames[i:], endAt, replyFrames)
		}
		checkLines(t, "reply and latency events", eventLines(events, callevent.TypeReplyText, callevent.TypeTurnLatency), []string{
			fmt.Sprintf("%v reply_text 0 %q", greetAt, "Hi, I'm here about the warranty."),
			fmt.Sprintf("%v reply_text 0 %q", greetAt+6*framesPerWord*pipeline.FrameDuration, "What do you offer?"),
			fmt.Sprintf("%v reply_text 1 %q", endAt, "You said: hello there."),
			fmt.Sprintf("%v reply_text 1 %q", endAt+4*framesPerWord*pipeline.FrameDuration, replyRest),
			fmt.Sprintf("%v turn_latency 1 barge_in=false endpoint=240 first_audio=0 first_packet=0 first_text=0 stt_final=0 turn_gap=240", doneAt),
		})
		reqs, _ := resp.snapshot()
		if want := (pipeline.Request{SessionID: "s1", Turn: 1, Text: "hello there"}); len(reqs) != 1 || reqs[0] != want {
			t.Errorf("requests %+v, want [%+v]", reqs, want)
		}
	})
}
