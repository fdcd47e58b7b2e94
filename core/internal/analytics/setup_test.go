package analytics_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/avatar-fi/avatar/core/internal/analytics"
	"github.com/avatar-fi/avatar/core/internal/apitest"
	"github.com/avatar-fi/avatar/core/internal/audit"
	"github.com/avatar-fi/avatar/core/internal/authz"
	"github.com/avatar-fi/avatar/core/internal/dbtest"
	"github.com/avatar-fi/avatar/core/internal/events"
	"github.com/avatar-fi/avatar/core/internal/principal"
	"github.com/avatar-fi/avatar/core/internal/server"
	"github.com/avatar-fi/avatar/protocol/callevent"
	analyticsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/analytics/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/analytics/v1/analyticsv1connect"
	conversationv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1"
	errorsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/errors/v1"
	eventsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/events/v1"
	orgv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1"
	scenariov1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1"
)

// patience bounds every wait for the background work. It is generous on purpose: a busy
// machine makes the consumers slower, never wrong, and a broken one fails the wait.
const patience = 2 * time.Minute

// user is a signed-in user of the test.
type user struct {
	id, dealership string
	role           orgv1.Role
	token          string
}

// bundle is one test's analytics service on its own database and streams, served over
// HTTP/2 behind the real authentication, authz policy and audit interceptors.
type bundle struct {
	t        *testing.T
	pool     *pgxpool.Pool
	bus      *events.Bus
	cfg      analytics.Config
	svc      *analytics.Service
	issuer   *apitest.Issuer
	dealerA  string
	dealerB  string
	adminA   user
	traineeA user
	otherA   user // a second trainee of A
	adminB   user
	traineeB user
	root     user
	connect  analyticsv1connect.AnalyticsServiceClient
	grpc     analyticsv1connect.AnalyticsServiceClient
	edge     *edge
}

// setup builds the bundle; tweak may change the service's configuration first.
func setup(t *testing.T, tweak ...func(*analytics.Config)) *bundle {
	t.Helper()
	ctx := t.Context()
	b := &bundle{t: t, pool: dbtest.NewPool(t), bus: apitest.NewBus(t), issuer: apitest.NewIssuer(t)}
	for _, d := range []*string{&b.dealerA, &b.dealerB} {
		if err := b.pool.QueryRow(ctx, `INSERT INTO dealerships (name) VALUES ($1) RETURNING id::text`, "D-"+apitest.RandHex(4)).Scan(d); err != nil {
			t.Fatal(err)
		}
	}
	b.adminA = b.newUser(b.dealerA, orgv1.Role_ROLE_DEALERSHIP_ADMIN)
	b.traineeA = b.newUser(b.dealerA, orgv1.Role_ROLE_TRAINEE)
	b.otherA = b.newUser(b.dealerA, orgv1.Role_ROLE_TRAINEE)
	b.adminB = b.newUser(b.dealerB, orgv1.Role_ROLE_DEALERSHIP_ADMIN)
	b.traineeB = b.newUser(b.dealerB, orgv1.Role_ROLE_TRAINEE)
	b.root = b.newUser("", orgv1.Role_ROLE_SUPER_ADMIN)

	b.cfg = analytics.Config{
		DB: b.pool, Bus: b.bus, Log: apitest.Logger(t),
		RetryBackoff: []time.Duration{50 * time.Millisecond}, MaxRefusals: 2,
		WebhookBackoff: []time.Duration{50 * time.Millisecond, 50 * time.Millisecond}, WebhookInterval: 50 * time.Millisecond,
		WebhookAllowPrivate: true,
	}
	for _, f := range tweak {
		f(&b.cfg)
	}
	var err error
	if b.svc, err = analytics.New(b.cfg); err != nil {
		t.Fatal(err)
	}
	b.edge = &edge{t: t, js: b.bus.JS, names: b.bus.Names, region: "us-east"}
	b.serve(t)
	return b
}

// newUser stores a user (dealership "" for a super admin) and signs a token for it.
func (b *bundle) newUser(dealership string, role orgv1.Role) user {
	b.t.Helper()
	u := user{dealership: dealership, role: role}
	var did any
	if dealership != "" {
		did = dealership
	}
	if err := b.pool.QueryRow(b.t.Context(), `INSERT INTO users (dealership_id, email, password_hash, role)
		VALUES ($1, $2, 'x', $3) RETURNING id::text`, did, "u-"+apitest.RandHex(4)+"@analytics.test", role.String()).Scan(&u.id); err != nil {
		b.t.Fatal(err)
	}
	u.token = b.issuer.Token(b.t, principal.Principal{UserID: u.id, DealershipID: dealership, Role: role, Email: u.id + "@analytics.test"})
	return u
}

// serve mounts the handler with the core server's options and the identity area's
// interceptors (authentication with real tokens, the authz table, the audit log) on an
// HTTP/2 httptest server, with a Connect and a gRPC client.
func (b *bundle) serve(t *testing.T) {
	t.Helper()
	record := audit.New(b.pool, authz.Default(), apitest.Logger(t)).Interceptor()
	srv := apitest.Serve(t, server.Config{MaxRequestBytes: 1 << 20, Interceptors: []connect.Interceptor{b.issuer.Authn(t), record}},
		func(opts ...connect.HandlerOption) (string, http.Handler) {
			return analyticsv1connect.NewAnalyticsServiceHandler(analytics.NewHandler(b.svc), opts...)
		}, analyticsv1connect.NewAnalyticsServiceClient)
	b.connect, b.grpc = srv.Connect, srv.GRPC
}

// client is one of the bundle's clients.
type client struct {
	name string
	c    analyticsv1connect.AnalyticsServiceClient
}

// clients are the Connect and the gRPC client, for tests that run over both.
func (b *bundle) clients() []client {
	return []client{{"connect", b.connect}, {"grpc", b.grpc}}
}

// as makes a request from u; a super admin names the dealership in the header.
func as[T any](u user, msg *T, dealership ...string) *connect.Request[T] {
	r := connect.NewRequest(msg)
	apitest.Bearer(r.Header(), u.token)
	if len(dealership) > 0 {
		r.Header().Set(principal.DealershipHeader, dealership[0])
	}
	return r
}

// run runs the service's consumers and upkeep until the returned stop is called (or
// the test ends); stop waits for Run to return.
func (b *bundle) run(t *testing.T) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	done := make(chan error, 1)
	go func() { done <- b.svc.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil && !errors.Is(err, context.Canceled) {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(patience):
				t.Error("Run did not return")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// eventually polls f until it returns nil.
func eventually(tb testing.TB, what string, f func() error) {
	tb.Helper()
	deadline := time.Now().Add(patience)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s: still %v after %s", what, err, patience)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// count runs a count query as the pool's (owner) role, outside tenant scope.
func count(tb testing.TB, pool *pgxpool.Pool, query string, args ...any) int {
	tb.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
	return n
}

// waitTurns waits until session id has n turn rows.
func waitTurns(tb testing.TB, pool *pgxpool.Pool, id string, n int) {
	tb.Helper()
	eventually(tb, fmt.Sprintf("%d turns of %s", n, id), func() error {
		if got := count(tb, pool, `SELECT count(*) FROM analytics_turns WHERE session_id = $1`, id); got != n {
			return fmt.Errorf("%d turn rows", got)
		}
		return nil
	})
}

// waitEnded waits until session id has ended with reason.
func waitEnded(tb testing.TB, pool *pgxpool.Pool, id, reason string) {
	tb.Helper()
	eventually(tb, "session "+id+" ended ("+reason+")", func() error {
		var got string
		err := pool.QueryRow(context.Background(), `SELECT end_reason FROM analytics_sessions WHERE id = $1`, id).Scan(&got)
		if err != nil {
			return err
		}
		if got != reason {
			return fmt.Errorf("end reason %q", got)
		}
		return nil
	})
}

// edge publishes session events as an edge does (events.Publisher in the edge
// module): protobuf payloads on <prefix>.session.started|ended.<region> and
// <prefix>.turn.completed.<region>, each under its event id as Nats-Msg-Id.
type edge struct {
	t      testing.TB
	js     jetstream.JetStream
	names  events.Names
	region string
}

func (e *edge) publish(subject, msgID string, m proto.Message) {
	e.t.Helper()
	data, err := proto.Marshal(m)
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := e.js.Publish(ctx, subject, data, jetstream.WithMsgID(msgID)); err != nil {
		e.t.Fatalf("publish %s: %v", subject, err)
	}
}

func (e *edge) start(s *session) {
	e.t.Helper()
	m := s.startedEvent(e.region)
	e.publish(e.names.Subject("session", "started", e.region), m.EventId, m)
}

func (e *edge) turn(s *session, t *analyticsv1.Turn) {
	e.t.Helper()
	m := s.turnEvent(e.region, t)
	e.publish(e.names.Subject("turn", "completed", e.region), m.EventId, m)
}

func (e *edge) end(s *session, card *scenariov1.Scorecard, reason string) {
	e.t.Helper()
	m := s.endedEvent(e.region, card, reason)
	e.publish(e.names.Subject("session", "ended", e.region), m.EventId, m)
}

// session is a session as an edge sees it.
type session struct {
	id, dealership, user string
	mode                 conversationv1.Mode
	scenario             string
	start                time.Time
	turns                int32 // trainee turns so far
}

func newSession(u user, mode conversationv1.Mode, start time.Time) *session {
	s := &session{id: apitest.RandHex(16), dealership: u.dealership, user: u.id, mode: mode, start: start.UTC().Truncate(time.Microsecond)}
	if mode == conversationv1.Mode_MODE_ROLE_PLAY {
		s.scenario = "6a1f3c52-0c55-5b6e-9e4e-3a4c8f0b2d11"
	}
	return s
}

func (s *session) startedEvent(region string) *eventsv1.SessionStarted {
	return &eventsv1.SessionStarted{SessionId: s.id, UserId: s.user, DealershipId: s.dealership, Mode: s.mode,
		ScenarioId: s.scenario, ScenarioVersion: 3, Region: region, EdgeId: "edge-" + region,
		Time: timestamppb.New(s.start), EventId: s.id + ":started"}
}

func (s *session) turnEvent(region string, t *analyticsv1.Turn) *eventsv1.TurnCompleted {
	return &eventsv1.TurnCompleted{SessionId: s.id, UserId: s.user, DealershipId: s.dealership, Region: region,
		Turn: t, EventId: fmt.Sprintf("%s:%d", s.id, t.GetIndex()), EdgeId: "edge-" + region}
}

func (s *session) endedEvent(region string, card *scenariov1.Scorecard, reason string) *eventsv1.SessionEnded {
	return &eventsv1.SessionEnded{SessionId: s.id, UserId: s.user, DealershipId: s.dealership, Region: region,
		TurnCount: s.turns, Scorecard: card, Time: timestamppb.New(s.at(s.turns + 1)), EventId: s.id + ":ended",
		Mode: s.mode, ScenarioId: s.scenario, ScenarioVersion: 3, EdgeId: "edge-" + region, Reason: reason}
}

// at is the time of turn i: a turn every 10 seconds from the start.
func (s *session) at(i int32) time.Time { return s.start.Add(time.Duration(i) * 10 * time.Second) }

// opening is the role-play customer's turn 0.
func (s *session) opening(text string) *analyticsv1.Turn {
	return &analyticsv1.Turn{Index: 0, ReplyText: text, Speaker: "customer", Time: timestamppb.New(s.at(0)),
		Channel: conversationv1.Channel_CHANNEL_TEXT}
}

// text is the next trainee text turn.
func (s *session) text(user, reply string, tech ...scenariov1.Technique) *analyticsv1.Turn {
	s.turns++
	return &analyticsv1.Turn{Index: s.turns, UserText: user, ReplyText: reply, Time: timestamppb.New(s.at(s.turns)),
		Channel: conversationv1.Channel_CHANNEL_TEXT, Techniques: tech,
		Latencies: []*analyticsv1.StageLatency{{Stage: callevent.StageFirstText, Milliseconds: 12}}}
}

// voice is the next trainee voice turn with the given stage latencies.
func (s *session) voice(user, reply string, bargeIn bool, speechMs float64, stages map[string]float64) *analyticsv1.Turn {
	s.turns++
	t := &analyticsv1.Turn{Index: s.turns, UserText: user, ReplyText: reply, BargeIn: bargeIn, UserSpeechMs: speechMs,
		Time: timestamppb.New(s.at(s.turns)), Channel: conversationv1.Channel_CHANNEL_VOICE}
	for _, st := range callevent.Stages {
		if v, ok := stages[st]; ok {
			t.Latencies = append(t.Latencies, &analyticsv1.StageLatency{Stage: st, Milliseconds: v})
		}
	}
	return t
}

// card is a scorecard with one item per technique: full marks for those in got, none
// for the rest.
func card(score float64, got []scenariov1.Technique, missed []scenariov1.Technique) *scenariov1.Scorecard {
	c := &scenariov1.Scorecard{OverallScore: score, Outcome: scenariov1.Outcome_OUTCOME_BOUGHT, Summary: "test"}
	for _, t := range got {
		c.Items = append(c.Items, &scenariov1.ScorecardItem{Criterion: t.String(), Score: 10, MaxScore: 10, Technique: t})
	}
	for _, t := range missed {
		c.Items = append(c.Items, &scenariov1.ScorecardItem{Criterion: t.String(), Score: 0, MaxScore: 10, Technique: t})
	}
	return c
}

// wantCode fails unless err is a Connect error with code and reason.
func wantCode(t *testing.T, err error, code connect.Code, reason string) {
	t.Helper()
	var ce *connect.Error
	if !errors.As(err, &ce) {
		t.Fatalf("got %v, want %v / %s", err, code, reason)
	}
	var got string
	for _, d := range ce.Details() {
		if v, derr := d.Value(); derr == nil {
			if ed, ok := v.(*errorsv1.ErrorDetail); ok {
				got = ed.Reason
			}
		}
	}
	if ce.Code() != code || got != reason {
		t.Fatalf("got %v / %s (%v), want %v / %s", ce.Code(), got, err, code, reason)
	}
}
