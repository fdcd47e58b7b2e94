package conversation_test

import (
	"context"
	"testing"
	"time"

	"github.com/avatar-fi/avatar/edge/internal/coretest"
	"github.com/avatar-fi/avatar/edge/internal/pipeline"
	"github.com/avatar-fi/avatar/edge/internal/stt/pocketsphinx"
	"github.com/avatar-fi/avatar/edge/internal/tts/flite"
	"github.com/avatar-fi/avatar/loadtest/caller"
	"github.com/avatar-fi/avatar/media/speechset"
	"github.com/avatar-fi/avatar/protocol/callevent"
	conversationv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1"
	eventsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/events/v1"
)

// voiceEngines returns the embedded speech engines the edge runs.
func voiceEngines(t *testing.T) edgeOpts {
	t.Helper()
	stt, err := pocketsphinx.New(pocketsphinx.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stt.Close() })
	tts, err := flite.New(flite.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return edgeOpts{transcriber: stt, synthesizer: tts, voices: func(v string) (pipeline.Synthesizer, error) { return tts.ForVoice(v) }}
}

func isType(typ string) func(*conversationv1.CallEvent) bool {
	return func(ev *conversationv1.CallEvent) bool { return ev.GetType() == typ }
}

// TestVoiceRolePlay holds a role-play by voice through the edge with the
// embedded engines: the customer's opening arrives as audio before the
// trainee says anything, a spoken turn gets the persona's reply, and a
// second call in the same session goes on with the session's turn
// numbering, so its turn is not dropped as a duplicate of the first call's.
func TestVoiceRolePlay(t *testing.T) {
	b := setup(t, voiceEngines(t))
	clips, err := speechset.Load(speechset.SharedDir())
	if err != nil {
		t.Fatal(err)
	}
	sc := b.scenarioID(t, "first-time")
	start, err := b.client.StartSession(t.Context(), coretest.Authed(&conversationv1.StartSessionRequest{Mode: conversationv1.Mode_MODE_ROLE_PLAY, ScenarioId: sc.GetId()}, b.core.TraineeToken))
	if err != nil {
		t.Fatal(err)
	}
	sid := start.Msg.GetSessionId()
	api, err := caller.NewAPI()
	if err != nil {
		t.Fatal(err)
	}
	speak := func(c *caller.Caller, name string, skip int) (final, reply caller.Event, next int) {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
		defer cancel()
		clip, ok := speechset.Find(clips, name)
		if !ok {
			t.Fatalf("no clip %s", name)
		}
		c.Say(make([]int16, 8000))
		c.Say(clip.PCM)
		c.Say(make([]int16, 16000))
		final, i, err := c.WaitEvent(ctx, skip, isType(callevent.TypeFinalTranscript))
		if err != nil {
			t.Fatal(err)
		}
		reply, _, err = c.WaitEvent(ctx, i, func(ev *conversationv1.CallEvent) bool {
			return ev.GetType() == callevent.TypeReplyText && ev.GetTurn() == final.GetTurn()
		})
		if err != nil {
			t.Fatal(err)
		}
		res, j, err := c.WaitEvent(ctx, i, isType(callevent.TypeTurnResult))
		if err != nil {
			t.Fatal(err)
		}
		if res.GetTurn() != final.GetTurn() {
			t.Errorf("turn_result for turn %d, want %d", res.GetTurn(), final.GetTurn())
		}
		return final, reply, j + 1
	}

	// Call 1: the customer speaks first.
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	c1, err := caller.Dial(ctx, api, b.http.URL, b.core.TraineeToken, caller.Options{SessionID: sid, HTTPClient: b.http.Client()})
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	opening, i, err := c1.WaitEvent(ctx, 0, isType(callevent.TypeReplyText))
	if err != nil {
		t.Fatal(err)
	}
	if opening.GetTurn() != 0 || opening.GetText() == "" {
		t.Errorf("first reply_text %v, want the opening as turn 0", opening.CallEvent)
	}
	if _, _, err := c1.WaitEvent(ctx, i, func(ev *conversationv1.CallEvent) bool {
		return ev.GetType() == callevent.TypeState && ev.GetState() == callevent.StateListening
	}); err != nil {
		t.Fatal(err)
	}
	packets, _, spurts := c1.Audio()
	if packets < 50 || len(spurts) == 0 {
		t.Fatalf("opening audio: %d packets before the trainee spoke, want over a second", packets)
	}
	t.Logf("opening %q: %d packets", opening.GetText(), packets)
	final1, reply1, _ := speak(c1, "sense_and_sensibility_01_austen_64kb-0880.wav", i)
	t.Logf("call 1 turn %d: %q -> %q", final1.GetTurn(), final1.GetText(), reply1.GetText())
	if err := c1.Hangup(ctx); err != nil {
		t.Fatal(err)
	}

	// Call 2, same session: no opening again; its turn 1 is the session's turn 2.
	c2, err := caller.Dial(ctx, api, b.http.URL, b.core.TraineeToken, caller.Options{SessionID: sid, HTTPClient: b.http.Client()})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	final2, reply2, _ := speak(c2, "goforward.wav", 0)
	t.Logf("call 2 turn %d: %q -> %q", final2.GetTurn(), final2.GetText(), reply2.GetText())
	if final2.GetTurn() != 1 {
		t.Errorf("call 2's first turn is %d in the call", final2.GetTurn())
	}
	for _, ev := range c2.Events() {
		if ev.GetType() == callevent.TypeReplyText && ev.GetTurn() == 0 {
			t.Errorf("the second call replayed the opening: %q", ev.GetText())
		}
	}
	if err := c2.Hangup(ctx); err != nil {
		t.Fatal(err)
	}

	// The stream holds started, the opening, and one turn per call with
	// distinct ids.
	evs := b.streamEvents(t, 4)
	var turns []*eventsv1.TurnCompleted
	for _, m := range evs {
		if tc, ok := m.(*eventsv1.TurnCompleted); ok && tc.GetTurn().GetIndex() > 0 {
			turns = append(turns, tc)
		}
	}
	if len(turns) != 2 {
		t.Fatalf("%d trainee turn events, want 2 (one per call)", len(turns))
	}
	if turns[0].GetEventId() == turns[1].GetEventId() || turns[0].GetCallId() == turns[1].GetCallId() ||
		turns[0].GetTurn().GetIndex() != 1 || turns[1].GetTurn().GetIndex() != 2 {
		t.Errorf("turn events %v and %v: want session turns 1 and 2 with distinct ids and calls", turns[0], turns[1])
	}
	for _, tc := range turns {
		tu := tc.GetTurn()
		if tu.GetChannel() != conversationv1.Channel_CHANNEL_VOICE || tu.GetUserText() == "" || tu.GetReplyText() == "" || len(tu.GetLatencies()) == 0 {
			t.Errorf("voice turn event %v", tc)
		}
	}
}
