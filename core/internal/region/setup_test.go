package region_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/avatar-fi/avatar/core/internal/authn"
	"github.com/avatar-fi/avatar/core/internal/authz"
	"github.com/avatar-fi/avatar/core/internal/events"
	"github.com/avatar-fi/avatar/core/internal/redistest"
	"github.com/avatar-fi/avatar/core/internal/region"
	"github.com/avatar-fi/avatar/core/internal/server"
	"github.com/avatar-fi/avatar/protocol/accesstoken"
	errorsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/errors/v1"
	eventsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/events/v1"
	orgv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/region/v1/regionv1connect"
)

// patience bounds every wait on asynchronous work (a heartbeat's way through NATS to
// Redis). It is generous so that a loaded machine makes tests slower, not wrong.
const patience = 30 * time.Second

// issuer is the access tokens' issuer in these tests.
const issuer = "http://core.test"

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

type tlogWriter struct{ t testing.TB }

func (w tlogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func testLogger(tb testing.TB) *slog.Logger {
	tb.Helper()
	return slog.New(slog.NewTextHandler(tlogWriter{tb}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// bundle is one test's share of the real services: a Redis key prefix, NATS streams and
// subjects of its own, and the access-token key the replicas' auth interceptors trust.
type bundle struct {
	rdb    *redis.Client
	prefix string
	names  events.Names
	bus    *events.Bus // the edges' side: heartbeats are published on it
	signer *accesstoken.Signer
	keys   *accesstoken.StaticKeySet
	cfg    region.Config // the replicas' configuration, less Redis, Bus and Log
}

func natsURL() string {
	if u := os.Getenv("AVATAR_TEST_NATS_URL"); u != "" {
		return u
	}
	return "nats://127.0.0.1:4222"
}

// setup returns a bundle whose replicas use cfg (KeyPrefix, Redis, Bus and Log are set
// by the bundle).
func setup(t *testing.T, cfg region.Config) *bundle {
	t.Helper()
	b := &bundle{cfg: cfg}
	b.rdb, b.prefix = redistest.New(t)
	tag := strings.ToUpper(randHex(4))
	b.names = events.Names{Prefix: "t" + strings.ToLower(tag), EventsStream: "T" + tag + "_EVENTS", IngestStream: "T" + tag + "_INGEST"}
	b.bus = b.connect(t, "edges")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = b.bus.JS.DeleteStream(ctx, b.names.EventsStream)
		_ = b.bus.JS.DeleteStream(ctx, b.names.IngestStream)
	})
	kid, key, err := accesstoken.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	b.signer, err = accesstoken.NewSigner(kid, key, issuer)
	if err != nil {
		t.Fatal(err)
	}
	b.keys = accesstoken.NewStaticKeySet(b.signer.PublicKey())
	return b
}

// connect opens a bus on the test's streams (declaring them), closed in Cleanup.
func (b *bundle) connect(t *testing.T, name string) *events.Bus {
	t.Helper()
	bus, err := events.Connect(t.Context(), events.Config{URL: natsURL(), Name: t.Name() + "-" + name, Names: b.names}, testLogger(t))
	if err != nil {
		t.Fatalf("NATS is not reachable at %s (run deploy/dev/services.sh): %v", natsURL(), err)
	}
	t.Cleanup(bus.Close)
	return bus
}

// replica is one core replica: a Service following the heartbeats on its own NATS
// connection, served with the core server's options and the real authentication
// interceptor and authz policy on an HTTP/2 httptest server.
type replica struct {
	svc     *region.Service
	connect regionv1connect.RegionServiceClient
	grpc    regionv1connect.RegionServiceClient
}

// replica starts a replica that runs until the test ends.
func (b *bundle) replica(t *testing.T) *replica {
	t.Helper()
	cfg := b.cfg
	cfg.Redis, cfg.KeyPrefix, cfg.Bus, cfg.Log = b.rdb, b.prefix, b.connect(t, "core"), testLogger(t)
	svc, err := region.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	r := &replica{svc: svc}
	r.connect, r.grpc = b.serve(t, svc)
	return r
}

// serve mounts svc's handler behind the real auth interceptor and returns a Connect and
// a gRPC client.
func (b *bundle) serve(t *testing.T, svc *region.Service) (regionv1connect.RegionServiceClient, regionv1connect.RegionServiceClient) {
	t.Helper()
	verifier, err := accesstoken.NewVerifier(b.keys, issuer)
	if err != nil {
		t.Fatal(err)
	}
	log := testLogger(t)
	auth := authn.New(authz.Default(), verifier, nil, log)
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0", Interceptors: []connect.Interceptor{auth}}, log)
	if err != nil {
		t.Fatal(err)
	}
	srv.Handle(regionv1connect.NewRegionServiceHandler(region.NewHandler(svc), srv.HandlerOptions()...))
	hs := httptest.NewUnstartedServer(srv.Handler())
	hs.EnableHTTP2 = true
	hs.StartTLS()
	t.Cleanup(hs.Close)
	return regionv1connect.NewRegionServiceClient(hs.Client(), hs.URL),
		regionv1connect.NewRegionServiceClient(hs.Client(), hs.URL, connect.WithGRPC())
}

// token returns an access token for role; dealership users get a dealership.
func (b *bundle) token(t *testing.T, role orgv1.Role) string {
	t.Helper()
	c := accesstoken.Claims{Role: role.String()}
	c.Subject = "u-" + randHex(4)
	if role != orgv1.Role_ROLE_SUPER_ADMIN {
		c.DealershipID = "d-" + randHex(4)
	}
	tok, err := b.signer.Sign(c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// req returns a request carrying token ("" for an anonymous call).
func req[T any](msg *T, token string) *connect.Request[T] {
	r := connect.NewRequest(msg)
	if token != "" {
		r.Header().Set("Authorization", "Bearer "+token)
	}
	return r
}

// fakeEdge is an edge as the fleet sees it: its heartbeats, published on NATS the way
// avatar-edge publishes them (a JetStream publish of an EdgeHeartbeat on
// <prefix>.edge.heartbeat.<region>).
type fakeEdge struct {
	id, region string
	active     int32
	capacity   int32
	cpu        float64
	draining   bool
}

func (e fakeEdge) url() string { return "https://" + e.id + ".edge.test" }

func (e fakeEdge) heartbeat(at time.Time) *eventsv1.EdgeHeartbeat {
	return &eventsv1.EdgeHeartbeat{
		EdgeId: e.id, Region: e.region, Url: e.url(), ActiveCalls: e.active, Capacity: e.capacity,
		CpuLoad: e.cpu, Draining: e.draining, Time: timestamppb.New(at), Version: "v-test",
	}
}

// beat publishes one heartbeat of e, sent at; it is safe to call from any goroutine.
func (b *bundle) beat(t *testing.T, e fakeEdge, at time.Time) {
	t.Helper()
	data, err := proto.Marshal(e.heartbeat(at))
	if err != nil {
		t.Fatal(err)
	}
	// Errorf, not Fatalf: a heartbeat loop calls it from its own goroutine.
	if _, err := b.bus.JS.Publish(t.Context(), b.names.Subject("edge", "heartbeat", e.region), data); err != nil {
		t.Errorf("publish heartbeat of %s: %v", e.id, err)
	}
}

// beatUntilSeen publishes a heartbeat of each edge, and again every second as a live
// edge would (a replica may not have subscribed yet), until every replica lists each
// edge with the last heartbeat published. Heartbeats still on their way then are older
// and change nothing.
func (b *bundle) beatUntilSeen(t *testing.T, rs []*replica, edges ...fakeEdge) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for {
		at := time.Now()
		for _, e := range edges {
			b.beat(t, e, at)
		}
		for range 50 {
			if b.allSeen(t, rs, at, edges) {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		if time.Now().After(deadline) {
			t.Fatalf("edges not in the fleet view after %s: %+v", patience, edges)
		}
	}
}

func (b *bundle) allSeen(t *testing.T, rs []*replica, at time.Time, edges []fakeEdge) bool {
	t.Helper()
	for _, r := range rs {
		list, err := r.svc.List(t.Context())
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		for _, e := range edges {
			if got, ok := find(list, e.id); !ok || !got.Sent.Equal(at) {
				return false
			}
		}
	}
	return true
}

func find(list []region.Edge, id string) (region.Edge, bool) {
	for _, e := range list {
		if e.ID == id {
			return e, true
		}
	}
	return region.Edge{}, false
}

// eventually polls f every 50 ms until it holds, or fails after patience.
func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %s", what, patience)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// wantError fails unless err is a Connect error with code and an ErrorDetail of reason;
// it returns the detail.
func wantError(t *testing.T, err error, code connect.Code, reason string) *errorsv1.ErrorDetail {
	t.Helper()
	var ce *connect.Error
	if !errors.As(err, &ce) {
		t.Fatalf("got %v, want a Connect error %v / %s", err, code, reason)
	}
	for _, d := range ce.Details() {
		v, derr := d.Value()
		if derr != nil {
			continue
		}
		if ed, ok := v.(*errorsv1.ErrorDetail); ok {
			if ce.Code() != code || ed.Reason != reason {
				t.Fatalf("got %v / %s (%v), want %v / %s", ce.Code(), ed.Reason, err, code, reason)
			}
			return ed
		}
	}
	t.Fatalf("error without ErrorDetail: %v", err)
	return nil
}

// client is one of a replica's clients, named for its protocol.
type client struct {
	name string
	c    regionv1connect.RegionServiceClient
}

// clients returns the replica's Connect and gRPC clients, for a t.Run over each.
func (r *replica) clients() []client {
	return []client{{"connect", r.connect}, {"grpc", r.grpc}}
}

// describe is an edge list for failure messages.
func describe(list []region.Edge) string {
	var sb strings.Builder
	for _, e := range list {
		fmt.Fprintf(&sb, "[%s %s %s active %d/%d placed %d cpu %.2f age %s] ", e.ID, e.Region, e.State, e.ActiveCalls, e.Capacity, e.PlacedCalls, e.CPULoad, e.Age)
	}
	return sb.String()
}
