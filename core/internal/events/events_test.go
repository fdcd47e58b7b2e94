package events_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/avatar-fi/avatar/core/internal/events"
)

// patience bounds every wait for the background work. It is generous on purpose: a busy
// machine makes the bus slower, never wrong, and a broken bus fails the test anyway.
const patience = 2 * time.Minute

// testLogger sends the bus's log lines to t.Log.
func testLogger(t *testing.T) *slog.Logger {
	t.Helper()
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// uniqueNames gives each test its own streams and subjects.
func uniqueNames(t *testing.T) events.Names {
	t.Helper()
	tag := fmt.Sprintf("T%d", time.Now().UnixNano())
	return events.Names{Prefix: strings.ToLower(tag), EventsStream: tag + "_EVENTS", IngestStream: tag + "_INGEST"}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startServer runs a real NATS server in the test process on port, with JetStream
// when js is set, and stops it in Cleanup (stopping it earlier is fine).
func startServer(t *testing.T, port int, js bool) *server.Server {
	t.Helper()
	srv, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: port, JetStream: js, StoreDir: t.TempDir(), NoSigs: true, NoLog: true,
	})
	if err != nil {
		t.Fatalf("NATS server: %v", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(patience) {
		t.Fatalf("NATS server on port %d did not start", port)
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	return srv
}

// waitReady waits for the bus's Ready channel.
func waitReady(t *testing.T, b *events.Bus) {
	t.Helper()
	select {
	case <-b.Ready():
	case <-time.After(patience):
		t.Fatalf("bus not ready after %s: %v", patience, b.Ping(t.Context()))
	}
}

// eventually polls f until it returns nil.
func eventually(t *testing.T, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still %v after %s", what, err, patience)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func isReady(b *events.Bus) bool {
	select {
	case <-b.Ready():
		return true
	default:
		return false
	}
}

// TestOpenWaitsForServer opens a bus on a port where nothing listens: it stays not
// ready, naming the reason, until a server starts there; then it declares the streams,
// and after that server is replaced by one with an empty store, it declares them again.
func TestOpenWaitsForServer(t *testing.T) {
	port := freePort(t)
	names := uniqueNames(t)
	b, err := events.Open(t.Context(), events.Config{URL: fmt.Sprintf("nats://127.0.0.1:%d", port), Name: t.Name(), Names: names}, testLogger(t))
	if err != nil {
		t.Fatalf("Open with NATS absent: %v", err)
	}
	t.Cleanup(b.Close)

	// The first dial has failed once ReconnectErrHandler recorded it.
	eventually(t, "a reason naming the refused dial", func() error {
		err := b.Ping(t.Context())
		if err == nil {
			return errors.New("Ping succeeded with no server")
		}
		if !errors.Is(err, events.ErrNotReady) || !strings.Contains(err.Error(), "not connected: ") || !strings.Contains(err.Error(), "refused") {
			return fmt.Errorf("Ping error: %w", err)
		}
		return nil
	})
	if isReady(b) {
		t.Fatal("Ready closed with no server")
	}

	first := startServer(t, port, true)
	waitReady(t, b)
	if err := b.Ping(t.Context()); err != nil {
		t.Fatalf("Ping after Ready: %v", err)
	}
	for _, s := range []string{names.EventsStream, names.IngestStream} {
		if _, err := b.JS.Stream(t.Context(), s); err != nil {
			t.Fatalf("stream %s after Ready: %v", s, err)
		}
	}
	if _, err := b.JS.Publish(t.Context(), names.Subject("ingest", "job", "d1"), []byte("job")); err != nil {
		t.Fatalf("publish an ingest job: %v", err)
	}

	// The server goes away: Ping says so.
	first.Shutdown()
	first.WaitForShutdown()
	eventually(t, "Ping failing after the server stopped", func() error {
		err := b.Ping(t.Context())
		if err == nil {
			return errors.New("Ping succeeded")
		}
		if !errors.Is(err, events.ErrNotReady) {
			return fmt.Errorf("Ping: %w", err)
		}
		return nil
	})

	// A new server on the same port without the old store: the streams come back.
	startServer(t, port, true)
	eventually(t, "streams declared again after the reconnect", func() error {
		if _, err := b.JS.Stream(t.Context(), names.IngestStream); err != nil {
			return err
		}
		return b.Ping(t.Context())
	})
}

// TestPingNamesUndeclaredStreams connects to a server without JetStream: the bus is
// connected but cannot declare its streams, and Ping says that, with the reason.
func TestPingNamesUndeclaredStreams(t *testing.T) {
	port := freePort(t)
	startServer(t, port, false)
	b, err := events.Open(t.Context(), events.Config{URL: fmt.Sprintf("nats://127.0.0.1:%d", port), Name: t.Name(), Names: uniqueNames(t)}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	eventually(t, "Ping naming the streams", func() error {
		err := b.Ping(t.Context())
		if err == nil {
			return errors.New("Ping succeeded")
		}
		if !errors.Is(err, events.ErrNotReady) || !strings.Contains(err.Error(), "streams not declared: declare stream ") {
			return fmt.Errorf("Ping: %w", err)
		}
		return nil
	})
	if isReady(b) {
		t.Fatal("Ready closed without JetStream")
	}
}

// TestOpenEmbedded starts the embedded server (AVATAR_NATS_URL unset in the core).
func TestOpenEmbedded(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	b, err := events.Open(t.Context(), events.Config{EmbeddedAddr: addr, StoreDir: t.TempDir(), Name: t.Name()}, testLogger(t))
	if err != nil {
		t.Fatalf("Open embedded: %v", err)
	}
	t.Cleanup(b.Close)
	waitReady(t, b)
	if err := b.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if got := b.Conn.ConnectedUrl(); got != "nats://"+addr {
		t.Fatalf("connected to %s, want the embedded server at %s", got, addr)
	}
	if _, err := b.JS.Stream(t.Context(), events.DefaultNames().EventsStream); err != nil {
		t.Fatalf("default events stream: %v", err)
	}
}

// TestOpenEmbeddedFails fails at once when the embedded server cannot start: the core
// exits with the reason rather than waiting for a server that will never come.
func TestOpenEmbeddedFails(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	tests := []struct {
		name    string
		addr    string
		wantErr string
	}{
		{name: "address taken", addr: ln.Addr().String(), wantErr: "embedded NATS server did not start: listen tcp " + ln.Addr().String() + ": bind: address already in use"},
		{name: "port not a number", addr: "127.0.0.1:nats", wantErr: `embedded NATS port "nats"`},
		{name: "no port", addr: "127.0.0.1", wantErr: `embedded NATS address "127.0.0.1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			b, err := events.Open(t.Context(), events.Config{EmbeddedAddr: tt.addr, StoreDir: t.TempDir()}, nil)
			if err == nil {
				b.Close()
				t.Fatalf("Open started an embedded server on %s", tt.addr)
			}
			if !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Fatalf("error %q, want it to start with %q", err, tt.wantErr)
			}
			t.Logf("failed after %s", time.Since(start))
		})
	}
}

// TestConnect declares the streams before it returns, on the shared test server.
func TestConnect(t *testing.T) {
	url := os.Getenv("AVATAR_TEST_NATS_URL")
	if url == "" {
		url = "nats://127.0.0.1:4222"
	}
	names := uniqueNames(t)
	ctx := t.Context()
	b, err := events.Connect(ctx, events.Config{URL: url, Name: t.Name(), Names: names}, testLogger(t))
	if err != nil {
		t.Fatalf("NATS with JetStream is not reachable at %s (run deploy/dev/services.sh): %v", url, err)
	}
	t.Cleanup(func() {
		ctx := context.WithoutCancel(ctx)
		_ = b.JS.DeleteStream(ctx, names.EventsStream)
		_ = b.JS.DeleteStream(ctx, names.IngestStream)
		b.Close()
		b.Close() // twice is safe
	})
	if !isReady(b) {
		t.Fatal("Ready open after Connect returned")
	}
	if err := b.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if _, err := b.JS.Stream(ctx, names.EventsStream); err != nil {
		t.Fatalf("events stream: %v", err)
	}
}

// TestConnectFailsWithoutServer fails at once with the dial error.
func TestConnectFailsWithoutServer(t *testing.T) {
	_, err := events.Connect(t.Context(), events.Config{URL: fmt.Sprintf("nats://127.0.0.1:%d", freePort(t)), Names: uniqueNames(t)}, nil)
	if err == nil || !strings.Contains(err.Error(), "connect to NATS") {
		t.Fatalf("Connect with no server = %v, want a connect error", err)
	}
}
