package conversation_test

import (
	"os"
	"strings"
	"testing"

	"connectrpc.com/connect"

	"github.com/avatar-fi/avatar/edge/internal/coretest"
	"github.com/avatar-fi/avatar/edge/internal/dialogue/coach"
	conversationv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1/conversationv1connect"
	errorsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/errors/v1"
	eventsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/events/v1"
	scenariov1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1"
)

// builtins are the six built-in scenarios: a word of each title, and the
// file of its transcripts.
var builtins = []struct{ title, slug string }{
	{"service contract", "vsc-price-objection"},
	{"payment", "payment-focused-buyer"},
	{"gap", "gap-sceptic"},
	{"rate shopper", "rate-shopper-outside-financing"},
	{"first-time", "first-time-buyer-thin-credit"},
	{"no extras", "no-extras-in-a-hurry"},
}

// TestRolePlayText holds a role-play by text chat on each built-in
// scenario against the real core — over Connect, and once over gRPC: the
// opening, the skilled trainee's turns, the customer buying, the scorecard;
// the events reach the core's stream with unique ids.
func TestRolePlayText(t *testing.T) {
	b := setup(t, edgeOpts{})
	type run struct {
		name, title, slug string
		client            conversationv1connect.ConversationServiceClient
	}
	var runs []run
	for _, sc := range builtins {
		runs = append(runs, run{"connect/" + sc.slug, sc.title, sc.slug, b.client})
	}
	runs = append(runs, run{"grpc/" + builtins[0].slug, builtins[0].title, builtins[0].slug, b.grpc})
	wantEvents := 0
	for _, r := range runs {
		skilled := readLines(t, "../dialogue/customer/testdata/"+r.slug+".txt", "# skilled")
		wantEvents += 1 + 1 + len(skilled) + 1 // started, the opening, the turns, ended
		t.Run(r.name, func(t *testing.T) {
			sc := b.scenarioID(t, r.title)
			start, err := r.client.StartSession(t.Context(), coretest.Authed(&conversationv1.StartSessionRequest{Mode: conversationv1.Mode_MODE_ROLE_PLAY, ScenarioId: sc.GetId()}, b.core.TraineeToken))
			if err != nil {
				t.Fatal(err)
			}
			sid := start.Msg.GetSessionId()
			if start.Msg.GetOpening() == "" || start.Msg.GetScenarioVersion() < 1 || start.Msg.GetPersona().GetName() == "" {
				t.Fatalf("start: %v", start.Msg)
			}
			var last reply
			sawTechnique := false
			for _, line := range skilled {
				last = b.chat(t, r.client, b.core.TraineeToken, sid, line)
				if last.text == "" {
					t.Fatalf("no reply to %q", line)
				}
				sawTechnique = sawTechnique || len(last.done.GetTechniques()) > 0
			}
			if !sawTechnique {
				t.Error("no techniques reported")
			}
			if last.done.GetOutcome() != scenariov1.Outcome_OUTCOME_BOUGHT {
				t.Errorf("outcome %v after the skilled transcript, want bought (last reply %q)", last.done.GetOutcome(), last.text)
			}
			// Another user's session is not found; the owner's ends with a scorecard.
			other := b.core.NewUser(t)
			if _, err := r.client.EndSession(t.Context(), coretest.Authed(&conversationv1.EndSessionRequest{SessionId: sid}, other)); connect.CodeOf(err) != connect.CodeNotFound {
				t.Errorf("another user's EndSession: %v, want NotFound", err)
			}
			end, err := r.client.EndSession(t.Context(), coretest.Authed(&conversationv1.EndSessionRequest{SessionId: sid}, b.core.TraineeToken))
			if err != nil {
				t.Fatal(err)
			}
			card := end.Msg.GetScorecard()
			if card.GetOutcome() != scenariov1.Outcome_OUTCOME_BOUGHT || card.GetOverallScore() < 70 || len(card.GetItems()) == 0 || int(end.Msg.GetTurnCount()) != len(skilled) {
				t.Errorf("scorecard %v, turns %d", card, end.Msg.GetTurnCount())
			}
			if _, err := r.client.EndSession(t.Context(), coretest.Authed(&conversationv1.EndSessionRequest{SessionId: sid}, b.core.TraineeToken)); connect.CodeOf(err) != connect.CodeNotFound {
				t.Errorf("second EndSession: %v, want NotFound", err)
			}
		})
	}
	evs := b.streamEvents(t, wantEvents)
	ids := map[string]bool{}
	ended := 0
	for _, m := range evs {
		var id string
		switch e := m.(type) {
		case *eventsv1.SessionStarted:
			id = e.GetEventId()
		case *eventsv1.TurnCompleted:
			id = e.GetEventId()
			if e.GetTurn().GetIndex() > 0 && (e.GetTurn().GetUserText() == "" || e.GetTurn().GetReplyText() == "" || e.GetTurn().GetChannel() != conversationv1.Channel_CHANNEL_TEXT) {
				t.Errorf("turn event %v", e)
			}
		case *eventsv1.SessionEnded:
			id = e.GetEventId()
			ended++
			if e.GetScorecard().GetOutcome() != scenariov1.Outcome_OUTCOME_BOUGHT || e.GetReason() != "ended" {
				t.Errorf("session ended %v", e)
			}
		}
		if id == "" || ids[id] {
			t.Errorf("event id %q empty or repeated", id)
		}
		ids[id] = true
	}
	if ended != len(runs) {
		t.Errorf("%d SessionEnded events, want %d", ended, len(runs))
	}
}

// TestCoach asks the coach about an uploaded document: it answers from it
// and cites it; an off-topic question gets no citation.
func TestCoach(t *testing.T) {
	b := setup(t, edgeOpts{})
	data, err := os.ReadFile("../../../deploy/dev/demo/gap-insurance.md")
	if err != nil {
		t.Fatal(err)
	}
	docID := b.core.Upload(t, "GAP insurance", "gap-insurance.md", data)
	start, err := b.client.StartSession(t.Context(), coretest.Authed(&conversationv1.StartSessionRequest{Mode: conversationv1.Mode_MODE_TRAINING}, b.core.TraineeToken))
	if err != nil {
		t.Fatal(err)
	}
	sid := start.Msg.GetSessionId()
	if start.Msg.Opening != nil {
		t.Errorf("the coach opened with %q", start.Msg.GetOpening())
	}
	on := b.chat(t, b.client, b.core.TraineeToken, sid, "What does GAP not cover?")
	t.Logf("on topic: %q %v", on.text, on.citations)
	if len(on.citations) == 0 || on.citations[0].GetDocumentId() != docID || !strings.Contains(strings.ToLower(on.text), "deductible") {
		t.Errorf("answer %q citing %v; want the exclusions, citing %s", on.text, on.citations, docID)
	}
	off := b.chat(t, b.client, b.core.TraineeToken, sid, "Who won the football game last night?")
	t.Logf("off topic: %q %v", off.text, off.citations)
	if len(off.citations) != 0 || off.text != coach.NotFound {
		t.Errorf("off-topic answer %q citing %v; want %q and no citation", off.text, off.citations, coach.NotFound)
	}
}

// TestBadInput checks that every RPC refuses bad input with a Connect code,
// a reason and field violations.
func TestBadInput(t *testing.T) {
	b := setup(t, edgeOpts{})
	tok := b.core.TraineeToken
	long := strings.Repeat("word ", 500)
	tests := []struct {
		name   string
		call   func() error
		code   connect.Code
		reason string
		field  string
	}{
		{"no token", func() error {
			_, err := b.client.StartSession(t.Context(), connect.NewRequest(&conversationv1.StartSessionRequest{Mode: conversationv1.Mode_MODE_TRAINING}))
			return err
		}, connect.CodeUnauthenticated, "UNAUTHENTICATED", ""},
		{"no mode", func() error {
			_, err := b.client.StartSession(t.Context(), coretest.Authed(&conversationv1.StartSessionRequest{}, tok))
			return err
		}, connect.CodeInvalidArgument, "VALIDATION_ERROR", "mode"},
		{"role-play without scenario", func() error {
			_, err := b.client.StartSession(t.Context(), coretest.Authed(&conversationv1.StartSessionRequest{Mode: conversationv1.Mode_MODE_ROLE_PLAY}, tok))
			return err
		}, connect.CodeInvalidArgument, "VALIDATION_ERROR", "scenarioId"},
		{"unknown scenario", func() error {
			_, err := b.client.StartSession(t.Context(), coretest.Authed(&conversationv1.StartSessionRequest{Mode: conversationv1.Mode_MODE_ROLE_PLAY, ScenarioId: "00000000-0000-4000-8000-000000000000"}, tok))
			return err
		}, connect.CodeNotFound, "NOT_FOUND", ""},
		{"unknown session", func() error {
			_, err := b.client.EndSession(t.Context(), coretest.Authed(&conversationv1.EndSessionRequest{SessionId: strings.Repeat("a", 32)}, tok))
			return err
		}, connect.CodeNotFound, "NOT_FOUND", ""},
		{"malformed session id", func() error {
			return sendErr(t, b, tok, "x", "hi")
		}, connect.CodeInvalidArgument, "VALIDATION_ERROR", "sessionId"},
		{"empty message", func() error {
			return sendErr(t, b, tok, strings.Repeat("a", 32), "  ")
		}, connect.CodeInvalidArgument, "VALIDATION_ERROR", "text"},
		{"long message", func() error {
			return sendErr(t, b, tok, strings.Repeat("a", 32), long)
		}, connect.CodeInvalidArgument, "VALIDATION_ERROR", "text"},
		{"empty offer", func() error {
			_, err := b.client.StartCall(t.Context(), coretest.Authed(&conversationv1.StartCallRequest{}, tok))
			return err
		}, connect.CodeInvalidArgument, "VALIDATION_ERROR", "sdpOffer"},
		{"garbage offer", func() error {
			_, err := b.client.StartCall(t.Context(), coretest.Authed(&conversationv1.StartCallRequest{SdpOffer: "garbage"}, tok))
			return err
		}, connect.CodeInvalidArgument, "VALIDATION_ERROR", "sdpOffer"},
		{"call into another's session", func() error {
			start, err := b.client.StartSession(t.Context(), coretest.Authed(&conversationv1.StartSessionRequest{Mode: conversationv1.Mode_MODE_TRAINING}, b.core.NewUser(t)))
			if err != nil {
				return err
			}
			_, err = b.client.StartCall(t.Context(), coretest.Authed(&conversationv1.StartCallRequest{SessionId: start.Msg.GetSessionId(), SdpOffer: offerSDP(t)}, tok))
			return err
		}, connect.CodeNotFound, "NOT_FOUND", ""},
		{"unknown call", func() error {
			_, err := b.client.EndCall(t.Context(), coretest.Authed(&conversationv1.EndCallRequest{CallId: "nope"}, tok))
			return err
		}, connect.CodeNotFound, "NOT_FOUND", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if connect.CodeOf(err) != tc.code {
				t.Fatalf("err %v, want %v", err, tc.code)
			}
			d := detail(t, err)
			if d.GetReason() != tc.reason {
				t.Errorf("reason %q, want %q", d.GetReason(), tc.reason)
			}
			if tc.field != "" && (len(d.GetFieldViolations()) == 0 || d.GetFieldViolations()[0].GetField() != tc.field) {
				t.Errorf("violations %v, want %s", d.GetFieldViolations(), tc.field)
			}
		})
	}
}

func sendErr(t *testing.T, b *testBundle, token, sid, text string) error {
	t.Helper()
	stream, err := b.client.SendMessage(t.Context(), coretest.Authed(&conversationv1.SendMessageRequest{SessionId: sid, Text: text}, token))
	if err != nil {
		return err
	}
	for stream.Receive() {
	}
	return stream.Err()
}

func detail(t *testing.T, err error) *errorsv1.ErrorDetail {
	t.Helper()
	var ce *connect.Error
	if !errorsAs(err, &ce) {
		t.Fatalf("not a connect error: %v", err)
	}
	for _, d := range ce.Details() {
		v, derr := d.Value()
		if derr != nil {
			continue
		}
		if ed, ok := v.(*errorsv1.ErrorDetail); ok {
			return ed
		}
	}
	t.Fatalf("no ErrorDetail in %v", err)
	return nil
}

// readLines reads the lines of section in a transcript file.
func readLines(t *testing.T, path, section string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	in := false
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "#"):
			in = l == section
		case in && l != "":
			out = append(out, l)
		}
	}
	return out
}
