package analytics_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/avatar-fi/avatar/core/internal/analytics"
	"github.com/avatar-fi/avatar/core/internal/events"
	"github.com/avatar-fi/avatar/core/internal/store"
	analyticsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/analytics/v1"
	conversationv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1"
	eventsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/events/v1"
	scenariov1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1"
)

// consumerNames are the durable consumers of the default ConsumerPrefix.
var consumerNames = []string{"analytics-session-started", "analytics-turn-completed", "analytics-session-ended"}

// caughtUp waits until every consumer exists, has delivered every event of its subject
// and has had every delivery acknowledged (a write is acknowledged after it commits).
func caughtUp(tb testing.TB, bus *events.Bus) {
	tb.Helper()
	eventually(tb, "consumers caught up", func() error {
		for _, name := range consumerNames {
			c, err := bus.JS.Consumer(context.Background(), bus.Names.EventsStream, name)
			if err != nil {
				return fmt.Errorf("consumer %s: %w", name, err)
			}
			info, err := c.Info(context.Background())
			if err != nil {
				return err
			}
			if info.NumPending > 0 || info.NumAckPending > 0 {
				return fmt.Errorf("%s: %d pending, %d unacknowledged", name, info.NumPending, info.NumAckPending)
			}
		}
		return nil
	})
}

// rowVersions lists every analytics row with its xmin, the id of the transaction that
// last wrote it: equal lists mean nothing was written in between.
func rowVersions(tb testing.TB, pool *pgxpool.Pool) string {
	tb.Helper()
	var s string
	if err := pool.QueryRow(context.Background(), `SELECT
		(SELECT COALESCE(string_agg(id || '@' || xmin::text, ',' ORDER BY id), '') FROM analytics_sessions) || '|' ||
		(SELECT COALESCE(string_agg(event_id || '@' || xmin::text, ',' ORDER BY event_id), '') FROM analytics_turns) || '|' ||
		(SELECT COALESCE(string_agg(session_id || position || '@' || xmin::text, ',' ORDER BY session_id, position), '') FROM analytics_scorecard_items)`).Scan(&s); err != nil {
		tb.Fatal(err)
	}
	return s
}

// TestNothingLost publishes a session of 100 turns while the consumers are stopped:
// once they run, exactly 100 turn rows exist. Then every event is delivered again, by a
// reset of the consumers and by the edge publishing them anew (after JetStream's
// deduplication window), and nothing is written: no row is inserted or updated.
func TestNothingLost(t *testing.T) {
	b := setup(t)
	stop := b.run(t)
	caughtUp(t, b.bus) // the consumers exist
	stop()

	s := newSession(b.traineeA, conversationv1.Mode_MODE_ROLE_PLAY, time.Now().Add(-time.Hour))
	var turns []*analyticsv1.Turn
	turns = append(turns, s.opening("I'm here to sign, let's keep it quick."))
	for i := range 99 {
		turns = append(turns, s.text(fmt.Sprintf("Line %d: let me show you the whole menu.", i+1), "Go on.", scenariov1.Technique_TECHNIQUE_FULL_MENU))
	}
	b.edge.start(s)
	for _, tr := range turns {
		b.edge.turn(s, tr)
	}
	b.edge.end(s, card(72, []scenariov1.Technique{scenariov1.Technique_TECHNIQUE_FULL_MENU}, []scenariov1.Technique{scenariov1.Technique_TECHNIQUE_DISCLOSURE}), "ended")
	time.Sleep(200 * time.Millisecond)
	if n := count(t, b.pool, `SELECT count(*) FROM analytics_turns`); n != 0 {
		t.Fatalf("%d turns written with the consumers stopped", n)
	}

	stop = b.run(t)
	waitEnded(t, b.pool, s.id, "ended")
	caughtUp(t, b.bus)
	if n := count(t, b.pool, `SELECT count(*) FROM analytics_turns WHERE session_id = $1`, s.id); n != 100 {
		t.Fatalf("%d turn rows, want exactly 100", n)
	}
	if n := count(t, b.pool, `SELECT count(DISTINCT turn_index) FROM analytics_turns WHERE session_id = $1`, s.id); n != 100 {
		t.Fatalf("%d distinct turn indexes, want 100", n)
	}
	if n := count(t, b.pool, `SELECT recorded_turns FROM analytics_sessions WHERE id = $1`, s.id); n != 99 {
		t.Fatalf("recorded_turns %d, want the 99 trainee turns", n)
	}
	before := rowVersions(t, b.pool)
	stop()

	// The consumers are reset: JetStream delivers every event of the stream again.
	for _, name := range consumerNames {
		if err := b.bus.JS.DeleteConsumer(t.Context(), b.bus.Names.EventsStream, name); err != nil {
			t.Fatal(err)
		}
	}
	stop = b.run(t)
	caughtUp(t, b.bus)
	for _, name := range consumerNames {
		c, err := b.bus.JS.Consumer(t.Context(), b.bus.Names.EventsStream, name)
		if err != nil {
			t.Fatal(err)
		}
		info, _ := c.Info(t.Context())
		if info.Delivered.Consumer == 0 {
			t.Fatalf("%s delivered nothing again", name)
		}
	}
	// The edge publishes everything again under new message ids, as it would after the
	// two-minute deduplication window: the event ids in the payloads are the same.
	republish := func(subject string, m proto.Message, id string) {
		b.edge.publish(subject, id+":again", m)
	}
	st := s.startedEvent(b.edge.region)
	republish(b.bus.Names.Subject("session", "started", b.edge.region), st, st.EventId)
	for _, tr := range turns {
		m := s.turnEvent(b.edge.region, tr)
		republish(b.bus.Names.Subject("turn", "completed", b.edge.region), m, m.EventId)
	}
	en := s.endedEvent(b.edge.region, card(72, nil, nil), "idle")
	republish(b.bus.Names.Subject("session", "ended", b.edge.region), en, en.EventId)
	caughtUp(t, b.bus)
	stop()

	if after := rowVersions(t, b.pool); after != before {
		t.Fatalf("redelivered events wrote rows:\nbefore %.300s…\nafter  %.300s…", before, after)
	}
	if n := count(t, b.pool, `SELECT count(*) FROM analytics_turns`); n != 100 {
		t.Fatalf("%d turn rows after redelivery, want 100", n)
	}
	res, err := b.svc.GetSession(t.Context(), b.dealerA, "", s.id)
	if err != nil {
		t.Fatal(err)
	}
	if res.Session.EndReason != "ended" || res.Scorecard.GetOverallScore() != 72 || len(res.Scorecard.GetItems()) != 2 {
		t.Fatalf("the redelivered end changed the session: %v %v", res.Session, res.Scorecard)
	}
}

// TestOrderDoesNotMatter delivers one session's events in different orders: a turn
// before its session's start is kept, an end before its turns too, and every order
// records the same session.
func TestOrderDoesNotMatter(t *testing.T) {
	b := setup(t)
	b.run(t)
	base := time.Now().Add(-2 * time.Hour)
	tests := []struct {
		name  string
		order func(start, end func(), turns []func()) []func()
	}{
		{name: "in order", order: func(start, end func(), turns []func()) []func() {
			return append(append([]func(){start}, turns...), end)
		}},
		{name: "turns before start", order: func(start, end func(), turns []func()) []func() {
			return append(append(slices.Clone(turns), start), end)
		}},
		{name: "end first, turns reversed, start last", order: func(start, end func(), turns []func()) []func() {
			r := slices.Clone(turns)
			slices.Reverse(r)
			return append(append([]func(){end}, r...), start)
		}},
	}
	var want *analyticsv1.GetSessionResponse
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSession(b.traineeA, conversationv1.Mode_MODE_ROLE_PLAY, base.Add(time.Duration(i)*time.Minute))
			var ts []*analyticsv1.Turn
			ts = append(ts, s.opening("Hello there."))
			ts = append(ts, s.text("Congratulations on the truck!", "Thanks.", scenariov1.Technique_TECHNIQUE_RAPPORT))
			ts = append(ts, s.text("What matters most to you in the payment?", "Keeping it low.", scenariov1.Technique_TECHNIQUE_OPEN_QUESTION))
			var turns []func()
			for _, tr := range ts {
				turns = append(turns, func() { b.edge.turn(s, tr) })
			}
			c := card(55, []scenariov1.Technique{scenariov1.Technique_TECHNIQUE_RAPPORT}, []scenariov1.Technique{scenariov1.Technique_TECHNIQUE_FULL_MENU})
			for _, f := range tt.order(func() { b.edge.start(s) }, func() { b.edge.end(s, c, "ended") }, turns) {
				f()
			}
			waitTurns(t, b.pool, s.id, 3)
			waitEnded(t, b.pool, s.id, "ended")
			eventually(t, "the start recorded", func() error {
				if n := count(t, b.pool, `SELECT count(*) FROM analytics_sessions WHERE id = $1 AND start_event_id IS NOT NULL`, s.id); n != 1 {
					return fmt.Errorf("no start yet")
				}
				return nil
			})
			got, err := b.svc.GetSession(t.Context(), b.dealerA, b.traineeA.id, s.id)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Session.StartTime.AsTime().Equal(s.start) || !got.Session.EndTime.AsTime().Equal(s.at(3)) {
				t.Fatalf("times %v – %v, want %v – %v", got.Session.StartTime.AsTime(), got.Session.EndTime.AsTime(), s.start, s.at(3))
			}
			if got.Session.Mode != conversationv1.Mode_MODE_ROLE_PLAY || got.Session.ScenarioId != s.scenario ||
				got.Session.ScenarioVersion != 3 || got.Session.Region != "us-east" || got.Session.TurnCount != 2 {
				t.Fatalf("session %v", got.Session)
			}
			for j, tr := range got.Turns {
				if !proto.Equal(tr, ts[j]) {
					t.Fatalf("turn %d:\n got %v\nwant %v", j, tr, ts[j])
				}
			}
			// Every order yields the same record, ids and times aside.
			norm := proto.CloneOf(got)
			norm.Session.Id, norm.Session.StartTime, norm.Session.EndTime = "", nil, nil
			for _, tr := range norm.Turns {
				tr.Time = nil
			}
			if want == nil {
				want = norm
			} else if !proto.Equal(norm, want) {
				t.Fatalf("order %q recorded\n%v\nwhere the first order recorded\n%v", tt.name, norm, want)
			}
		})
	}
}

// TestBadEvents: an event that does not decode, or lacks its ids, is dropped at once;
// one the database refuses (an unknown dealership) is retried MaxRefusals times and then
// dropped; neither holds back the good events around it.
func TestBadEvents(t *testing.T) {
	b := setup(t)
	b.run(t)
	subj := b.bus.Names.Subject("turn", "completed", "us-east")
	b.edge.publish(subj, "garbage", &eventsv1.EdgeHeartbeat{EdgeId: "not a turn", Capacity: -1, CpuLoad: 0.5, Time: timestamppb.Now()})
	ctx := t.Context()
	if _, err := b.bus.JS.Publish(ctx, subj, []byte{0xff, 0xff, 0xff}); err != nil {
		t.Fatal(err)
	}
	ghost := newSession(user{id: "0d3c9a0e-0000-4000-8000-000000000001", dealership: "0d3c9a0e-0000-4000-8000-00000000dead"}, conversationv1.Mode_MODE_TRAINING, time.Now())
	b.edge.turn(ghost, ghost.text("Is anyone there?", "No."))
	noUser := newSession(user{id: "not-a-uuid", dealership: b.dealerA}, conversationv1.Mode_MODE_TRAINING, time.Now())
	b.edge.turn(noUser, noUser.text("Who am I?", "Nobody."))

	good := newSession(b.traineeA, conversationv1.Mode_MODE_TRAINING, time.Now().Add(-time.Minute))
	b.edge.start(good)
	for range 5 {
		b.edge.turn(good, good.text("What does GAP cover?", "The gap between the loan and the value."))
	}
	b.edge.end(good, nil, "ended")
	waitTurns(t, b.pool, good.id, 5)
	waitEnded(t, b.pool, good.id, "ended")
	caughtUp(t, b.bus)
	if n := count(t, b.pool, `SELECT count(*) FROM analytics_turns`); n != 5 {
		t.Fatalf("%d turn rows, want only the good session's 5", n)
	}
	if n := count(t, b.pool, `SELECT count(*) FROM analytics_sessions`); n != 1 {
		t.Fatalf("%d sessions, want 1", n)
	}
}

// TestSweeperClosesAbandoned: a session whose edge died without SessionEnded is closed
// as abandoned once it has had no event for AbandonAfter, at its last event's time; a
// session with recent events is left open; a SessionEnded arriving late still ends the
// abandoned one properly.
func TestSweeperClosesAbandoned(t *testing.T) {
	b := setup(t, func(c *analytics.Config) { c.AbandonAfter = time.Second; c.SweepInterval = time.Hour })
	b.run(t)
	dead := newSession(b.traineeA, conversationv1.Mode_MODE_ROLE_PLAY, time.Now().Add(-time.Hour))
	b.edge.start(dead)
	b.edge.turn(dead, dead.opening("Let's get this done."))
	b.edge.turn(dead, dead.text("Thanks for choosing us today.", "Sure."))
	waitTurns(t, b.pool, dead.id, 2)
	caughtUp(t, b.bus)
	time.Sleep(1500 * time.Millisecond)

	live := newSession(b.otherA, conversationv1.Mode_MODE_TRAINING, time.Now())
	b.edge.start(live)
	eventually(t, "the live session recorded", func() error {
		if count(t, b.pool, `SELECT count(*) FROM analytics_sessions WHERE id = $1`, live.id) != 1 {
			return fmt.Errorf("not yet")
		}
		return nil
	})
	caughtUp(t, b.bus)
	n, err := b.svc.Sweep(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("swept %d sessions, want 1", n)
	}
	got, err := b.svc.GetSession(t.Context(), b.dealerA, "", dead.id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Session.EndReason != analytics.EndAbandoned || !got.Session.EndTime.AsTime().Equal(dead.at(1)) {
		t.Fatalf("abandoned session: %v", got.Session)
	}
	if l, _ := b.svc.GetSession(t.Context(), b.dealerA, "", live.id); l.Session.EndTime != nil {
		t.Fatalf("the live session was closed: %v", l.Session)
	}
	if n, _ := b.svc.Sweep(t.Context()); n != 0 {
		t.Fatalf("a second sweep closed %d more", n)
	}

	b.edge.end(dead, card(40, nil, []scenariov1.Technique{scenariov1.Technique_TECHNIQUE_ASK_FOR_BUSINESS}), "shutdown")
	waitEnded(t, b.pool, dead.id, "shutdown")
	got, _ = b.svc.GetSession(t.Context(), b.dealerA, "", dead.id)
	if got.Scorecard.GetOverallScore() != 40 || !got.Session.EndTime.AsTime().Equal(dead.at(2)) {
		t.Fatalf("late end: %v %v", got.Session, got.Scorecard)
	}
}

// TestRetention: the job deletes the sessions whose last event is older than their
// dealership's retention period (365 days by default) with their turns, and keeps the
// rest.
func TestRetention(t *testing.T) {
	b := setup(t)
	b.run(t)
	now := time.Now()
	mk := func(u user, age time.Duration) *session {
		s := newSession(u, conversationv1.Mode_MODE_TRAINING, now.Add(-age))
		b.edge.start(s)
		b.edge.turn(s, s.text("How long is the warranty?", "Three years."))
		b.edge.end(s, nil, "ended")
		waitEnded(t, b.pool, s.id, "ended")
		return s
	}
	day := 24 * time.Hour
	oldA := mk(b.traineeA, 400*day)
	keptA := mk(b.traineeA, 40*day)
	oldB := mk(b.traineeB, 40*day)
	keptB := mk(b.traineeB, 10*day)
	if _, err := b.svc.SetRetention(t.Context(), b.dealerB, 30); err != nil {
		t.Fatal(err)
	}
	n, err := b.svc.EnforceRetention(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// The service's own job runs once as Run starts; on a loaded machine that pass can
	// come after the 400-day session is written and delete it first, so this call deletes
	// the rest of the two, and which sessions are left (below) is what is checked.
	if n > 2 {
		t.Fatalf("deleted %d sessions, want at most 2", n)
	}
	for _, tc := range []struct {
		name string
		s    *session
		kept bool
	}{{"A 400 days", oldA, false}, {"A 40 days", keptA, true}, {"B 40 days (30-day period)", oldB, false}, {"B 10 days", keptB, true}} {
		sessions := count(t, b.pool, `SELECT count(*) FROM analytics_sessions WHERE id = $1`, tc.s.id)
		turns := count(t, b.pool, `SELECT count(*) FROM analytics_turns WHERE session_id = $1`, tc.s.id)
		if (sessions == 1 && turns == 1) != tc.kept || (sessions == 0) != (turns == 0) {
			t.Errorf("%s: %d sessions, %d turns, kept want %v", tc.name, sessions, turns, tc.kept)
		}
	}
	if days, err := b.svc.Retention(t.Context(), b.dealerA); err != nil || days != analytics.DefaultRetentionDays {
		t.Fatalf("A's retention %d (%v), want the default", days, err)
	}
}

// TestRowLevelSecurity: in a dealership's tenant transaction, a query without any
// filter sees none of another dealership's analytics rows, and cannot write them.
func TestRowLevelSecurity(t *testing.T) {
	b := setup(t)
	b.run(t)
	s := b.play(t, b.traineeA, conversationv1.Mode_MODE_ROLE_PLAY, time.Now().Add(-time.Hour), oneTurn,
		card(50, nil, []scenariov1.Technique{scenariov1.Technique_TECHNIQUE_DISCLOSURE}))
	if _, err := b.svc.SetRetention(t.Context(), b.dealerA, 30); err != nil {
		t.Fatal(err)
	}
	tables := []string{"analytics_sessions", "analytics_turns", "analytics_scorecard_items", "analytics_settings"}
	for _, tc := range []struct {
		name       string
		dealership string
		want       int
	}{{"own dealership", b.dealerA, 1}, {"other dealership", b.dealerB, 0}} {
		t.Run(tc.name, func(t *testing.T) {
			err := store.InTenant(t.Context(), b.pool, tc.dealership, func(tx pgx.Tx) error {
				for _, table := range tables {
					var n int
					if err := tx.QueryRow(t.Context(), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
						return err
					}
					if n != tc.want {
						return fmt.Errorf("%s: %d rows visible, want %d", table, n, tc.want)
					}
				}
				tag, err := tx.Exec(t.Context(), `UPDATE analytics_sessions SET end_reason = 'x' WHERE id = $1`, s.id)
				if err != nil {
					return err
				}
				if got := int(tag.RowsAffected()); got != tc.want {
					return fmt.Errorf("updated %d sessions, want %d", got, tc.want)
				}
				return errRollback
			})
			if err != nil && !errors.Is(err, errRollback) {
				t.Fatal(err)
			}
		})
	}
	err := store.InTenant(t.Context(), b.pool, b.dealerB, func(tx pgx.Tx) error {
		_, err := tx.Exec(t.Context(), `INSERT INTO analytics_sessions (id, dealership_id, user_id, started_at, last_event_at)
			VALUES ('forged', $1, $2, now(), now())`, b.dealerA, b.traineeA.id)
		return err
	})
	if err == nil {
		t.Fatal("dealership B wrote a session of dealership A")
	}
}

var errRollback = errors.New("roll back")
