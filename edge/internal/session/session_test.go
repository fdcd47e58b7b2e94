package session_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/avatar-fi/avatar/edge/internal/dialogue/customer"
	"github.com/avatar-fi/avatar/edge/internal/dialogue/technique"
	"github.com/avatar-fi/avatar/edge/internal/pipeline"
	"github.com/avatar-fi/avatar/edge/internal/session"
	conversationv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1"
	eventsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/events/v1"
	scenariov1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1"
)

// recorder keeps the published events.
type recorder struct {
	mu      sync.Mutex
	started []*eventsv1.SessionStarted
	turns   []*eventsv1.TurnCompleted
	ended   []*eventsv1.SessionEnded
}

func (r *recorder) SessionStarted(m *eventsv1.SessionStarted) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.started = append(r.started, m)
}

func (r *recorder) TurnCompleted(m *eventsv1.TurnCompleted) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.turns = append(r.turns, m)
}

func (r *recorder) SessionEnded(m *eventsv1.SessionEnded) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ended = append(r.ended, m)
}

// clock is a settable time.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type bundle struct {
	m     *session.Manager
	ev    *recorder
	clock *clock
	owner session.Owner
}

// setup returns a Manager whose role-plays play a built-in scenario with
// the real customer engine.
func setup(t *testing.T) bundle {
	t.Helper()
	raw, err := os.ReadFile("../../../core/internal/scenario/builtin/vsc-price-objection.json")
	if err != nil {
		t.Fatal(err)
	}
	var sc scenariov1.Scenario
	if err := protojson.Unmarshal(raw, &sc); err != nil {
		t.Fatal(err)
	}
	classifier, err := technique.New()
	if err != nil {
		t.Fatal(err)
	}
	b := bundle{ev: &recorder{}, clock: &clock{now: time.Unix(1_800_000_000, 0)}, owner: session.Owner{UserID: "u1", DealershipID: "d1"}}
	b.m, err = session.New(session.Config{
		NewEngine: func(_ context.Context, spec session.Spec) (session.Built, error) {
			if spec.Mode != conversationv1.Mode_MODE_ROLE_PLAY {
				return session.Built{}, session.ErrInvalid
			}
			e, err := customer.New(customer.Config{Scenario: &sc, Classifier: classifier, Seed: spec.SessionID})
			return session.Built{Engine: e, Scenario: &sc}, err
		},
		Events: b.ev, Region: "r", EdgeID: "e", IdleTimeout: time.Minute, MaxTurns: 3, Now: b.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (b bundle) start(t *testing.T) *session.Session {
	t.Helper()
	s, err := b.m.Start(t.Context(), b.owner, conversationv1.Mode_MODE_ROLE_PLAY, "vsc")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSpeculativeReplyLeavesNoTrace prepares a reply to a pushy partial
// transcript that the trainee then finishes differently: only the final
// words count.
func TestSpeculativeReplyLeavesNoTrace(t *testing.T) {
	b := setup(t)
	s := b.start(t)
	c, err := s.JoinCall("call-1")
	if err != nil {
		t.Fatal(err)
	}
	defer c.End()
	discard := func(string) error { return nil }
	pushy := "You need to decide right now, everybody buys it."
	if err := c.Respond(t.Context(), pipeline.Request{Turn: 1, Text: pushy}, discard); err != nil {
		t.Fatal(err)
	}
	final := "How long do you usually keep your cars?"
	if err := c.Respond(t.Context(), pipeline.Request{Turn: 1, Text: final}, discard); err != nil {
		t.Fatal(err)
	}
	res := c.TurnDone(pipeline.TurnRecord{Index: 1, UserText: final, ReplyText: "Eight or ten years."})
	if len(res.Techniques) == 0 || res.Techniques[0] != scenariov1.Technique_TECHNIQUE_OPEN_QUESTION {
		t.Errorf("techniques %v, want the open question", res.Techniques)
	}
	out, err := b.m.End(b.owner, s.ID())
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range out.Scorecard.GetItems() {
		if it.GetTechnique() == scenariov1.Technique_TECHNIQUE_PRESSURE && it.GetScore() != it.GetMaxScore() {
			t.Errorf("the dropped speculative line counted: %v", it)
		}
	}
	if out.Turns != 1 {
		t.Errorf("%d turns, want 1", out.Turns)
	}
}

// TestTurnIDsAcrossCalls numbers the turns of two calls of one session
// together, so their event ids differ.
func TestTurnIDsAcrossCalls(t *testing.T) {
	b := setup(t)
	s := b.start(t)
	for _, call := range []string{"call-1", "call-2"} {
		c, err := s.JoinCall(call)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Respond(t.Context(), pipeline.Request{Turn: 1, Text: "hello"}, func(string) error { return nil }); err != nil {
			t.Fatal(err)
		}
		c.TurnDone(pipeline.TurnRecord{Index: 1, UserText: "hello", ReplyText: "Okay."})
		c.End()
	}
	b.ev.mu.Lock()
	defer b.ev.mu.Unlock()
	if len(b.ev.turns) != 3 { // the opening and one turn per call
		t.Fatalf("%d turn events, want 3", len(b.ev.turns))
	}
	ids := map[string]bool{}
	for _, tc := range b.ev.turns {
		if ids[tc.GetEventId()] {
			t.Errorf("event id %s repeated", tc.GetEventId())
		}
		ids[tc.GetEventId()] = true
	}
	if b.ev.turns[1].GetCallId() != "call-1" || b.ev.turns[2].GetCallId() != "call-2" || b.ev.turns[2].GetTurn().GetIndex() != 2 {
		t.Errorf("turns %v", b.ev.turns)
	}
}

// TestIdleSessionsEnd ends a session idle past IdleTimeout, unless a call
// holds it.
func TestIdleSessionsEnd(t *testing.T) {
	b := setup(t)
	held, idle := b.start(t), b.start(t)
	c, err := held.JoinCall("c")
	if err != nil {
		t.Fatal(err)
	}
	b.clock.add(2 * time.Minute)
	b.m.Sweep()
	if _, err := b.m.Get(b.owner, idle.ID()); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("idle session: %v, want ended", err)
	}
	if _, err := b.m.Get(b.owner, held.ID()); err != nil {
		t.Errorf("session with a live call ended: %v", err)
	}
	c.End()
	b.clock.add(2 * time.Minute)
	b.m.Sweep()
	if b.m.Len() != 0 {
		t.Errorf("%d sessions left", b.m.Len())
	}
	if len(b.ev.ended) != 2 || b.ev.ended[0].GetReason() != "idle" || b.ev.ended[0].GetScorecard().GetOutcome() != scenariov1.Outcome_OUTCOME_OPEN {
		t.Errorf("ended events %v", b.ev.ended)
	}
}

// TestSessionLimits refuses another user's session, a mode without an
// engine and turns beyond MaxTurns.
func TestSessionLimits(t *testing.T) {
	b := setup(t)
	s := b.start(t)
	if _, err := b.m.Get(session.Owner{UserID: "u2"}, s.ID()); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("another user's Get: %v", err)
	}
	if _, err := b.m.Start(t.Context(), b.owner, conversationv1.Mode_MODE_UNSPECIFIED, ""); !errors.Is(err, session.ErrInvalid) {
		t.Errorf("no mode: %v", err)
	}
	if _, err := b.m.Start(t.Context(), b.owner, conversationv1.Mode_MODE_ROLE_PLAY, ""); !errors.Is(err, session.ErrInvalid) {
		t.Errorf("role-play without scenario: %v", err)
	}
	discard := func(string) error { return nil }
	for i := range 3 {
		if _, err := s.Chat(t.Context(), "hello", discard); err != nil {
			t.Fatalf("turn %d: %v", i+1, err)
		}
	}
	if _, err := s.Chat(t.Context(), "hello", discard); !errors.Is(err, session.ErrTooManyTurns) {
		t.Errorf("fourth turn: %v, want ErrTooManyTurns", err)
	}
	b.m.Close()
	if _, err := b.m.Start(t.Context(), b.owner, conversationv1.Mode_MODE_ROLE_PLAY, "x"); !errors.Is(err, session.ErrFull) {
		t.Errorf("after Close: %v", err)
	}
	if len(b.ev.ended) != 1 || b.ev.ended[0].GetReason() != "shutdown" {
		t.Errorf("ended %v", b.ev.ended)
	}
}
