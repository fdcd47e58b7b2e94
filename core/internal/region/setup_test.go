package region_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/avatar-fi/avatar/core/internal/apitest"
	"github.com/avatar-fi/avatar/core/internal/events"
	"github.com/avatar-fi/avatar/core/internal/principal"
	"github.com/avatar-fi/avatar/core/internal/redistest"
	"github.com/avatar-fi/avatar/core/internal/region"
	"github.com/avatar-fi/avatar/core/internal/server"
	errorsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/errors/v1"
	eventsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/events/v1"
	orgv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/region/v1/regionv1connect"
)

// patience bounds every wait on asynchronous work (a heartbeat's way through NATS to
// Redis). It is generous so that a loaded machine makes tests slower, not wrong.
const patience = 30 * time.Second

// bundle is one test's share of the real services: a Redis key prefix, NATS streams and
// subjects of its own, and the access-token key the replicas' auth interceptors trust.
type bundle struct {
	rdb    *redis.Client
	prefix string
	names  events.Names
	bus    *events.Bus // the edges' side: heartbeats are published on it
	issuer *apitest.Issuer
	cfg    region.Config // the replicas' configuration, less Redis, Bus and Log
}

// setup returns a bundle whose replicas use cfg (KeyPrefix, Redis, Bus and Log are set
// by the bundle).
func setup(t *testing.T, cfg region.Config) *bundle {
	t.Helper()
	b := &bundle{cfg: cfg, issuer: apitest.NewIssuer(t)}
	b.rdb, b.prefix = redistest.New(t)
	b.bus = apitest.NewBus(t)
	b.names = b.bus.Names
	return b
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
	cfg.Redis, cfg.KeyPrefix, cfg.Bus, cfg.Log = b.rdb, b.prefix, apitest.ConnectBus(t, b.names, "core"), apitest.Logger(t)
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
	srv := apitest.Serve(t, server.Config{Interceptors: []connect.Interceptor{b.issuer.Authn(t)}},
		func(opts ...connect.HandlerOption) (string, http.Handler) {
			return regionv1connect.NewRegionServiceHandler(region.NewHandler(svc), opts...)
		}, regionv1connect.NewRegionServiceClient)
	return srv.Connect, srv.GRPC
}

// token returns an access token for role; dealership users get a dealership.
func (b *bundle) token(t *testing.T, role orgv1.Role) string {
	t.Helper()
	p := principal.Principal{UserID: "u-" + apitest.RandHex(4), Role: role}
	if role != orgv1.Role_ROLE_SUPER_ADMIN {
		p.DealershipID = "d-" + apitest.RandHex(4)
	}
	return b.issuer.Token(t, p)
}

// req returns a request carrying token ("" for an anonymous call).
func req[T any](msg *T, token string) *connect.Request[T] {
	r := connect.NewRequest(msg)
	apitest.Bearer(r.Header(), token)
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
