package apitest

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/avatar-fi/avatar/core/internal/events"
)

// DefaultNATSURL is used when AVATAR_TEST_NATS_URL is unset.
const DefaultNATSURL = "nats://127.0.0.1:4222"

// NATSURL returns the test NATS server's URL (AVATAR_TEST_NATS_URL).
func NATSURL() string {
	if v := os.Getenv("AVATAR_TEST_NATS_URL"); v != "" {
		return v
	}
	return DefaultNATSURL
}

// NewBus connects to the test NATS server with streams and subjects of the test's own
// (Bus.Names), logging to tb. When the test ends, the streams are deleted and the
// connection closed.
func NewBus(tb testing.TB) *events.Bus {
	tb.Helper()
	tag := "T" + strings.ToUpper(RandHex(4))
	names := events.Names{Prefix: strings.ToLower(tag), EventsStream: tag + "_EVENTS", IngestStream: tag + "_INGEST"}
	b := ConnectBus(tb, names, "")
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = b.JS.DeleteStream(ctx, names.EventsStream)
		_ = b.JS.DeleteStream(ctx, names.IngestStream)
	})
	return b
}

// ConnectBus opens a connection on names (declaring their streams when they are
// missing), named for the test and name, such as another replica's connection to
// NewBus's streams. It is closed when the test ends.
func ConnectBus(tb testing.TB, names events.Names, name string) *events.Bus {
	tb.Helper()
	conn := tb.Name()
	if name != "" {
		conn += "-" + name
	}
	b, err := events.Connect(context.Background(), events.Config{URL: NATSURL(), Name: conn, Names: names}, Logger(tb))
	if err != nil {
		tb.Fatalf("apitest: NATS with JetStream is not reachable at %s (run deploy/dev/services.sh): %v", NATSURL(), err)
	}
	tb.Cleanup(b.Close)
	return b
}
