package events_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"

	"github.com/avatar-fi/avatar/edge/internal/events"
	"github.com/avatar-fi/avatar/protocol/callevent"
	analyticsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/analytics/v1"
	eventsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/events/v1"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func natsURL() string {
	if u := os.Getenv("AVATAR_TEST_NATS_URL"); u != "" {
		return u
	}
	return "nats://127.0.0.1:4222"
}

// TestPublish publishes a turn and a heartbeat to a per-test region and
// reads them back, against the real NATS server.
func TestPublish(t *testing.T) {
	nc, err := nats.Connect(natsURL(), nats.Timeout(2*time.Second))
	if err != nil {
		t.Fatalf("NATS at %s is not reachable (set AVATAR_TEST_NATS_URL): %v", natsURL(), err)
	}
	// Closed after the stream's clean-up below (clean-ups run last first):
	// a deferred Close would run before it, and the stream would be left
	// behind, its subjects blocking the core's AVATAR_EVENTS.
	t.Cleanup(nc.Close)
	var b [6]byte
	_, _ = rand.Read(b[:])
	region := "test" + hex.EncodeToString(b[:])
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	stream := "EDGE_TEST_" + region
	// A per-test stream, unless the core's AVATAR_EVENTS already takes
	// these subjects.
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: stream, Subjects: []string{events.TurnCompletedSubject + region, events.HeartbeatSubject + region}, Storage: jetstream.MemoryStorage}); err == nil {
		t.Cleanup(func() {
			if err := js.DeleteStream(context.WithoutCancel(ctx), stream); err != nil {
				t.Errorf("delete test stream %s: %v", stream, err)
			}
		})
	}
	sub, err := nc.SubscribeSync("avatar.*.*." + region)
	if err != nil {
		t.Fatal(err)
	}
	// The publisher uses its own connection: make sure the server has the
	// subscription before anything is published, or the first event can be missed.
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	pub := events.New(natsURL(), region, nil)
	if err := pub.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer pub.Stop()
	// A session id unique to this run: the message id (<session>:<turn>) is
	// de-duplicated by JetStream across runs within its window.
	session := "s-" + region
	pub.TurnCompleted(&eventsv1.TurnCompleted{SessionId: session, UserId: "u1", DealershipId: "d1", Region: region, EventId: session + ":2",
		Turn: &analyticsv1.Turn{Index: 2, UserText: "hello", ReplyText: "hi", Latencies: []*analyticsv1.StageLatency{{Stage: callevent.StageTurnGap, Milliseconds: 250}}}})
	pub.Heartbeat(&eventsv1.EdgeHeartbeat{EdgeId: "e1", ActiveCalls: 3, Capacity: 100})
	got := map[string][]byte{}
	for len(got) < 2 {
		m, err := sub.NextMsg(5 * time.Second)
		if err != nil {
			t.Fatalf("waiting for events: %v (got %d)", err, len(got))
		}
		got[m.Subject] = m.Data
	}
	var turn eventsv1.TurnCompleted
	if err := proto.Unmarshal(got[events.TurnCompletedSubject+region], &turn); err != nil {
		t.Fatal(err)
	}
	if turn.GetSessionId() != session || turn.GetRegion() != region || turn.GetTurn().GetIndex() != 2 || len(turn.GetTurn().GetLatencies()) != 1 || turn.GetTurn().GetLatencies()[0].GetMilliseconds() != 250 {
		t.Errorf("turn event %v", &turn)
	}
	var hb eventsv1.EdgeHeartbeat
	if err := proto.Unmarshal(got[events.HeartbeatSubject+region], &hb); err != nil {
		t.Fatal(err)
	}
	if hb.GetActiveCalls() != 3 || hb.GetRegion() != region || hb.GetTime() == nil {
		t.Errorf("heartbeat %v", &hb)
	}
}

// TestNATSDown checks that a Publisher without a server neither fails nor
// blocks.
func TestNATSDown(t *testing.T) {
	pub := events.New("nats://127.0.0.1:1", "x", nil)
	if err := pub.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		for range 2000 {
			pub.TurnCompleted(&eventsv1.TurnCompleted{SessionId: "s", EventId: "s:1", Turn: &analyticsv1.Turn{Index: 1}})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("publishing blocked with NATS down")
	}
	pub.Stop()
}
