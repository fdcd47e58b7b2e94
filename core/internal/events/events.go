package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ErrEmbeddedStart means the embedded NATS server did not become ready.
var ErrEmbeddedStart = errors.New("embedded NATS server did not start")

// Names are the stream and subject names; tests use a unique prefix per test so they can
// share one server.
type Names struct {
	// Prefix starts every subject: "avatar" in production.
	Prefix string
	// EventsStream is the stream of session, turn, heartbeat and knowledge events.
	EventsStream string
	// IngestStream is the work-queue stream of document ingest jobs.
	IngestStream string
}

// DefaultNames are the names pinned in DESIGN.md.
func DefaultNames() Names {
	return Names{Prefix: "avatar", EventsStream: "AVATAR_EVENTS", IngestStream: "AVATAR_INGEST"}
}

// Subject joins the prefix and the parts: Subject("session", "started", "eu") is
// "avatar.session.started.eu".
func (n Names) Subject(parts ...string) string {
	s := n.Prefix
	for _, p := range parts {
		s += "." + p
	}
	return s
}

// Bus is a NATS connection with JetStream, and the embedded server when there is one.
type Bus struct {
	Conn  *nats.Conn
	JS    jetstream.JetStream
	Names Names
	srv   *server.Server
}

// Config says how to reach NATS.
type Config struct {
	// URL of the server; empty starts an embedded server.
	URL string
	// EmbeddedAddr is host:port for the embedded server.
	EmbeddedAddr string
	// StoreDir is the embedded server's JetStream directory.
	StoreDir string
	// Name is the client connection name.
	Name  string
	Names Names
}

// Connect dials NATS (or starts the embedded server) and declares the streams. The
// connection retries forever in the background after the first success, so a NATS
// restart does not need a core restart.
func Connect(ctx context.Context, cfg Config, log *slog.Logger) (*Bus, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Names == (Names{}) {
		cfg.Names = DefaultNames()
	}
	b := &Bus{Names: cfg.Names}
	url := cfg.URL
	if url == "" {
		srv, err := startEmbedded(cfg.EmbeddedAddr, cfg.StoreDir)
		if err != nil {
			return nil, err
		}
		b.srv = srv
		url = srv.ClientURL()
		log.InfoContext(ctx, "embedded NATS server started", "url", url)
	}
	nc, err := nats.Connect(url,
		nats.Name(cfg.Name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(500*time.Millisecond),
		nats.Timeout(3*time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("NATS disconnected", "error", err.Error())
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) { log.Info("NATS reconnected", "url", c.ConnectedUrl()) }),
	)
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("connect to NATS at %s: %w", url, err)
	}
	b.Conn = nc
	js, err := jetstream.New(nc)
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	b.JS = js
	if err := b.EnsureStreams(ctx); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// EnsureStreams creates or updates the two streams.
func (b *Bus) EnsureStreams(ctx context.Context) error {
	n := b.Names
	_, err := b.JS.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: n.EventsStream,
		Subjects: []string{
			n.Subject("session", ">"),
			n.Subject("turn", ">"),
			n.Subject("edge", "heartbeat", ">"),
			n.Subject("knowledge", "changed", ">"),
		},
		Storage:    jetstream.FileStorage,
		Duplicates: 2 * time.Minute,
		MaxAge:     7 * 24 * time.Hour,
	})
	if err != nil {
		return fmt.Errorf("declare stream %s: %w", n.EventsStream, err)
	}
	_, err = b.JS.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:       n.IngestStream,
		Subjects:   []string{n.Subject("ingest", ">")},
		Retention:  jetstream.WorkQueuePolicy,
		Storage:    jetstream.FileStorage,
		Duplicates: 2 * time.Minute,
	})
	if err != nil {
		return fmt.Errorf("declare stream %s: %w", n.IngestStream, err)
	}
	return nil
}

// Ping checks the connection with a round trip to the server.
func (b *Bus) Ping(ctx context.Context) error {
	if b.Conn == nil || !b.Conn.IsConnected() {
		return errors.New("not connected")
	}
	deadline, ok := ctx.Deadline()
	timeout := 2 * time.Second
	if ok {
		timeout = time.Until(deadline)
	}
	if err := b.Conn.FlushTimeout(timeout); err != nil {
		return fmt.Errorf("flush: %w", err)
	}
	return nil
}

// Close drains the connection and stops the embedded server.
func (b *Bus) Close() {
	if b.Conn != nil {
		_ = b.Conn.Drain()
		b.Conn.Close()
	}
	if b.srv != nil {
		b.srv.Shutdown()
		b.srv.WaitForShutdown()
	}
}

func startEmbedded(addr, dir string) (*server.Server, error) {
	host, portS, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("embedded NATS address %q: %w", addr, err)
	}
	port, err := strconv.Atoi(portS)
	if err != nil {
		return nil, fmt.Errorf("embedded NATS port %q: %w", portS, err)
	}
	srv, err := server.NewServer(&server.Options{
		Host:      host,
		Port:      port,
		JetStream: true,
		StoreDir:  dir,
		NoSigs:    true,
	})
	if err != nil {
		return nil, fmt.Errorf("embedded NATS: %w", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		return nil, ErrEmbeddedStart
	}
	return srv, nil
}
