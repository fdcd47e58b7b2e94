package region_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/avatar-fi/avatar/core/internal/redistest"
	"github.com/avatar-fi/avatar/core/internal/region"
	eventsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/events/v1"
)

func TestNewRejectsBadConfig(t *testing.T) {
	rdb, _ := redistest.New(t)
	tests := []struct {
		name string
		cfg  region.Config
	}{
		{name: "no redis", cfg: region.Config{}},
		{name: "forget before timeout", cfg: region.Config{Redis: rdb, HeartbeatTimeout: time.Minute, ForgetAfter: 30 * time.Second}},
		{name: "negative timeout", cfg: region.Config{Redis: rdb, HeartbeatTimeout: -time.Second}},
		{name: "cpu above 1", cfg: region.Config{Redis: rdb, MaxCPU: 1.5}},
		{name: "negative cpu", cfg: region.Config{Redis: rdb, MaxCPU: -0.5}},
		{name: "bad region in the order", cfg: region.Config{Redis: rdb, Order: []region.Route{{Region: "us east"}}}},
		{name: "two routes of a region", cfg: region.Config{Redis: rdb, Order: []region.Route{{Region: "a"}, {Region: "A"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := region.New(tt.cfg); !errors.Is(err, region.ErrInvalidConfig) {
				t.Fatalf("New: %v, want ErrInvalidConfig", err)
			}
		})
	}
	svc, err := region.New(region.Config{Redis: rdb})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Run(t.Context()); !errors.Is(err, region.ErrInvalidConfig) {
		t.Fatalf("Run without a Bus: %v, want ErrInvalidConfig", err)
	}
}

func TestRecordRejectsBadHeartbeats(t *testing.T) {
	rdb, prefix := redistest.New(t)
	svc, err := region.New(region.Config{Redis: rdb, KeyPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	good := func() *eventsv1.EdgeHeartbeat {
		return fakeEdge{id: "e", region: "us-east", capacity: 10}.heartbeat(time.Now())
	}
	tests := []struct {
		name  string
		tweak func(*eventsv1.EdgeHeartbeat)
	}{
		{name: "no edge id", tweak: func(h *eventsv1.EdgeHeartbeat) { h.EdgeId = " " }},
		{name: "edge id with a newline", tweak: func(h *eventsv1.EdgeHeartbeat) { h.EdgeId = "e\n1" }},
		{name: "edge id too long", tweak: func(h *eventsv1.EdgeHeartbeat) { h.EdgeId = fmt.Sprintf("%0*d", region.MaxEdgeIDLen+1, 0) }},
		{name: "no region", tweak: func(h *eventsv1.EdgeHeartbeat) { h.Region = "" }},
		{name: "bad region", tweak: func(h *eventsv1.EdgeHeartbeat) { h.Region = "us.east" }},
		{name: "no time", tweak: func(h *eventsv1.EdgeHeartbeat) { h.Time = nil }},
		{name: "no url", tweak: func(h *eventsv1.EdgeHeartbeat) { h.Url = "" }},
		{name: "url without a host", tweak: func(h *eventsv1.EdgeHeartbeat) { h.Url = "https:///x" }},
		{name: "url of another scheme", tweak: func(h *eventsv1.EdgeHeartbeat) { h.Url = "udp://edge:8091" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hb := good()
			tt.tweak(hb)
			if err := svc.Record(t.Context(), hb); !errors.Is(err, region.ErrInvalidHeartbeat) {
				t.Fatalf("Record: %v, want ErrInvalidHeartbeat", err)
			}
		})
	}
	list, err := svc.List(t.Context())
	if err != nil || len(list) != 0 {
		t.Fatalf("List = %s, %v: want nothing recorded", describe(list), err)
	}

	// Odd numbers are made sane rather than refused.
	hb := good()
	hb.Region, hb.ActiveCalls, hb.Capacity, hb.CpuLoad, hb.Version = " US-East ", -3, 5, 7, "v\x001"
	if err := svc.Record(t.Context(), hb); err != nil {
		t.Fatal(err)
	}
	list, err = svc.List(t.Context())
	if err != nil || len(list) != 1 {
		t.Fatalf("List = %s, %v", describe(list), err)
	}
	if e := list[0]; e.Region != "us-east" || e.ActiveCalls != 0 || e.CPULoad != 1 || e.Version != "" || e.State != region.StateFull {
		t.Fatalf("recorded %+v", e)
	}
}

// TestOlderHeartbeatChangesNothing: a heartbeat older than the stored one (two replicas
// handling one edge's heartbeats out of order) cannot bring back an old state.
func TestOlderHeartbeatChangesNothing(t *testing.T) {
	rdb, prefix := redistest.New(t)
	svc, err := region.New(region.Config{Redis: rdb, KeyPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	e := fakeEdge{id: "e", region: "local", active: 3, capacity: 10}
	now := time.Now()
	draining := e
	draining.draining = true
	for _, hb := range []*eventsv1.EdgeHeartbeat{draining.heartbeat(now), e.heartbeat(now.Add(-5 * time.Second))} {
		if err := svc.Record(t.Context(), hb); err != nil {
			t.Fatal(err)
		}
	}
	list, err := svc.List(t.Context())
	if err != nil || len(list) != 1 {
		t.Fatalf("List = %s, %v", describe(list), err)
	}
	if got := list[0]; got.State != region.StateDraining || !got.Sent.Equal(now) {
		t.Fatalf("edge %s sent at %s, want draining as sent at %s", got.State, got.Sent, now)
	}
	if _, err := svc.Pick(t.Context(), "local", ""); !errors.Is(err, region.ErrNoEdge) {
		t.Fatalf("Pick with the only edge draining: %v, want ErrNoEdge", err)
	}
	// A later heartbeat (the edge restarted under the same id) counts.
	if err := svc.Record(t.Context(), e.heartbeat(now.Add(time.Second))); err != nil {
		t.Fatal(err)
	}
	if got, err := svc.Pick(t.Context(), "local", ""); err != nil || got.ID != "e" {
		t.Fatalf("Pick after the restart = %v, %v", got.ID, err)
	}
}

// TestRunDropsBadMessages: garbage and invalid heartbeats on the subject are dropped and
// the consumer goes on with the next.
func TestRunDropsBadMessages(t *testing.T) {
	b := setup(t, region.Config{HeartbeatTimeout: time.Minute})
	r := b.replica(t)
	bad := fakeEdge{id: "bad", region: "local", capacity: 10}.heartbeat(time.Now())
	bad.Url = "not a url"
	badData, err := proto.Marshal(bad)
	if err != nil {
		t.Fatal(err)
	}
	// A heartbeat without a region takes the subject's.
	noRegion := fakeEdge{id: "from-subject", region: "eu-central", capacity: 10}.heartbeat(time.Now())
	noRegion.Region = ""
	noRegionData, err := proto.Marshal(noRegion)
	if err != nil {
		t.Fatal(err)
	}
	subject := b.names.Subject("edge", "heartbeat", "eu-central")
	for _, data := range [][]byte{[]byte("\xff\xff not a protobuf"), badData, noRegionData} {
		if _, err := b.bus.JS.Publish(t.Context(), subject, data); err != nil {
			t.Fatal(err)
		}
	}
	b.beatUntilSeen(t, []*replica{r}, fakeEdge{id: "good", region: "local", capacity: 10})
	list, err := r.svc.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := find(list, "bad"); ok {
		t.Fatalf("an invalid heartbeat was recorded: %s", describe(list))
	}
	// The first publishes may have gone before the replica subscribed; published again,
	// the heartbeat without a region must be recorded in the subject's.
	eventually(t, "heartbeat without a region recorded", func() bool {
		noRegion.Time = timestamppb.Now()
		data, _ := proto.Marshal(noRegion)
		if _, err := b.bus.JS.Publish(t.Context(), subject, data); err != nil {
			t.Fatal(err)
		}
		list, err := r.svc.List(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		e, ok := find(list, "from-subject")
		return ok && e.Region == "eu-central"
	})
}
