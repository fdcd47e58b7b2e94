package events

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Backoff of the background work: a reconnect or a stream declaration is retried after
// minRetry, doubling up to its cap, plus up to a fifth of jitter.
const (
	minRetry = 250 * time.Millisecond
	// maxDialRetry caps the wait between connection attempts: a dial to an absent
	// server is cheap, and the bus should be back within seconds of the server.
	maxDialRetry = 2 * time.Second
	// maxDeclareRetry caps the wait between stream declarations on a connected but
	// struggling server.
	maxDeclareRetry = 5 * time.Second
	// declareTimeout bounds one declaration attempt; a slow server is asked again.
	declareTimeout = 30 * time.Second
	// embeddedStartTimeout bounds the start of the embedded server.
	embeddedStartTimeout = 30 * time.Second
)

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
// Conn and JS are set from the start; until Ready is closed a request on them may fail
// (the server is away, or a stream is missing), so callers either wait for Ready or
// treat such a failure like any other NATS outage. Its methods are safe for concurrent
// use.
type Bus struct {
	// Conn is the NATS connection; it reconnects by itself for ever.
	Conn *nats.Conn
	// JS is JetStream over Conn.
	JS jetstream.JetStream
	// Names are the streams and subjects this bus declares and uses.
	Names Names

	srv         *server.Server
	log         *slog.Logger
	replicas    int // of each stream
	ready       chan struct{}
	connected   chan struct{} // the connection came up (first time or again)
	reconnected chan struct{} // the connection came up again after an outage
	cancel      context.CancelFunc
	done        chan struct{}
	close       sync.Once

	mu      sync.Mutex
	connErr error // the last connection failure
	declErr error // the last stream declaration failure
}

// Config says how to reach NATS.
type Config struct {
	// URL of the server, or several comma-separated; empty starts an embedded server.
	URL string
	// EmbeddedAddr is host:port for the embedded server.
	EmbeddedAddr string
	// StoreDir is the embedded server's JetStream directory.
	StoreDir string
	// Name is the client connection name.
	Name string
	// Names are the streams and subjects; zero means DefaultNames.
	Names Names
	// Replicas is how many servers keep each stream (1 to 5; 3 in a NATS
	// cluster); zero means 1.
	Replicas int
}

// Open returns a Bus at once, without waiting for NATS: it starts the embedded server
// when cfg.URL is empty (an error here is final: the address is taken, or the store is
// unusable), then connects and declares the streams in the background, retrying each
// with backoff and logging every failure. Ping fails and Ready stays open until both
// succeed. After a reconnect the streams are declared again, so a server that lost its
// store gets them back. Close ends the background work.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*Bus, error) {
	b, err := dial(ctx, cfg, log, true)
	if err != nil {
		return nil, err
	}
	b.start(ctx, false)
	return b, nil
}

// Connect dials NATS (or starts the embedded server) and declares the streams before it
// returns, and fails when either fails: for tools and tests, which want a usable bus or
// one clear error. Like Open's, the connection then retries for ever in the background,
// so a NATS restart does not need a restart of the caller.
func Connect(ctx context.Context, cfg Config, log *slog.Logger) (*Bus, error) {
	b, err := dial(ctx, cfg, log, false)
	if err != nil {
		return nil, err
	}
	if err := b.EnsureStreams(ctx); err != nil {
		b.Close()
		return nil, err
	}
	b.start(ctx, true)
	return b, nil
}

// dial starts the embedded server when there is one and creates the connection; with
// retry, a server that is not there yet is not an error.
func dial(ctx context.Context, cfg Config, log *slog.Logger, retry bool) (*Bus, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Names == (Names{}) {
		cfg.Names = DefaultNames()
	}
	b := &Bus{
		Names:       cfg.Names,
		replicas:    max(cfg.Replicas, 1),
		log:         log,
		ready:       make(chan struct{}),
		connected:   make(chan struct{}, 1),
		reconnected: make(chan struct{}, 1),
		done:        make(chan struct{}),
	}
	url := cfg.URL
	if url == "" {
		srv, err := startEmbedded(ctx, cfg.EmbeddedAddr, cfg.StoreDir)
		if err != nil {
			return nil, err
		}
		b.srv = srv
		url = srv.ClientURL()
		log.InfoContext(ctx, "embedded NATS server started", "url", url)
	}
	nc, err := nats.Connect(url,
		nats.Name(cfg.Name),
		nats.RetryOnFailedConnect(retry),
		nats.MaxReconnects(-1),
		nats.CustomReconnectDelay(func(attempts int) time.Duration { return backoff(attempts, maxDialRetry) }),
		nats.Timeout(3*time.Second),
		nats.ConnectHandler(func(c *nats.Conn) {
			log.Info("NATS connected", "url", c.ConnectedUrlRedacted())
			b.setConnErr(nil)
			signal(b.connected)
		}),
		nats.ReconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("NATS not reachable, retrying", "error", err.Error())
				b.setConnErr(err)
			}
		}),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("NATS disconnected", "error", err.Error())
				b.setConnErr(err)
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			log.Info("NATS reconnected", "url", c.ConnectedUrlRedacted())
			b.setConnErr(nil)
			signal(b.connected)
			signal(b.reconnected)
		}),
	)
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("connect to NATS: %w", err)
	}
	b.Conn = nc
	js, err := jetstream.New(nc)
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	b.JS = js
	return b, nil
}

// start runs the background work until Close. declared says the streams are already
// there (Connect); otherwise they are declared first and Ready is closed then.
func (b *Bus) start(ctx context.Context, declared bool) {
	ctx, b.cancel = context.WithCancel(context.WithoutCancel(ctx))
	if declared {
		close(b.ready)
	}
	go func() {
		defer close(b.done)
		b.run(ctx, declared)
	}()
}

func (b *Bus) run(ctx context.Context, declared bool) {
	for {
		if !declared {
			if !b.declare(ctx) {
				return
			}
			if isClosed(b.ready) {
				b.log.InfoContext(ctx, "NATS streams declared again after a reconnect")
			} else {
				close(b.ready)
				b.log.InfoContext(ctx, "NATS streams declared", "events", b.Names.EventsStream, "ingest", b.Names.IngestStream)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-b.reconnected:
			declared = false // declare again on the new connection
		}
	}
}

// declare waits for the connection and declares the streams, retrying with backoff,
// until it succeeds (true) or ctx ends (false).
func (b *Bus) declare(ctx context.Context) bool {
	for attempt := 1; ; attempt++ {
		for !b.Conn.IsConnected() {
			select {
			case <-ctx.Done():
				return false
			case <-b.connected:
			}
		}
		actx, cancel := context.WithTimeout(ctx, declareTimeout)
		err := b.EnsureStreams(actx)
		cancel()
		if err == nil {
			b.setDeclErr(nil)
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		b.setDeclErr(err)
		wait := backoff(attempt, maxDeclareRetry)
		b.log.WarnContext(ctx, "NATS streams not declared, retrying", "error", err.Error(), "retry_in", wait.String())
		select {
		case <-ctx.Done():
			return false
		case <-time.After(wait):
		}
	}
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
		Replicas:   b.replicas,
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
		Replicas:   b.replicas,
		Duplicates: 2 * time.Minute,
	})
	if err != nil {
		return fmt.Errorf("declare stream %s: %w", n.IngestStream, err)
	}
	return nil
}

// Ready is closed once the connection is up and the streams are declared for the first
// time. It stays closed through later outages, which Ping reports.
func (b *Bus) Ready() <-chan struct{} { return b.ready }

// Ping checks the bus for the readiness probe: before Ready it fails with ErrNotReady
// and the reason (no connection yet, with the last dial error, or streams not declared
// yet, with the last declaration error); after it, it checks the connection with a round
// trip to the server.
func (b *Bus) Ping(ctx context.Context) error {
	b.mu.Lock()
	connErr, declErr := b.connErr, b.declErr
	b.mu.Unlock()
	if !b.Conn.IsConnected() {
		if connErr != nil {
			return fmt.Errorf("%w: not connected: %w", ErrNotReady, connErr)
		}
		return fmt.Errorf("%w: not connected", ErrNotReady)
	}
	if !isClosed(b.ready) {
		if declErr != nil {
			return fmt.Errorf("%w: streams not declared: %w", ErrNotReady, declErr)
		}
		return fmt.Errorf("%w: streams not declared yet", ErrNotReady)
	}
	timeout := 2 * time.Second
	if deadline, ok := ctx.Deadline(); ok {
		timeout = time.Until(deadline)
	}
	if err := b.Conn.FlushTimeout(timeout); err != nil {
		return fmt.Errorf("flush: %w", err)
	}
	return nil
}

// Close stops the background work, drains the connection and stops the embedded server.
// It is safe to call more than once.
func (b *Bus) Close() {
	b.close.Do(func() {
		if b.cancel != nil {
			b.cancel()
			<-b.done
		}
		if b.Conn != nil {
			_ = b.Conn.Drain()
			b.Conn.Close()
		}
		if b.srv != nil {
			b.srv.Shutdown()
			b.srv.WaitForShutdown()
		}
	})
}

// signal wakes the one waiter of c without blocking; a pending signal is enough.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

func (b *Bus) setConnErr(err error) {
	b.mu.Lock()
	b.connErr = err
	b.mu.Unlock()
}

func (b *Bus) setDeclErr(err error) {
	b.mu.Lock()
	b.declErr = err
	b.mu.Unlock()
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// backoff is the wait before retry number attempt (from 1): minRetry doubling up to
// limit, plus up to a fifth of jitter so that many clients do not retry in step.
func backoff(attempt int, limit time.Duration) time.Duration {
	d := limit
	if attempt < 16 {
		d = min(minRetry<<(max(attempt, 1)-1), limit)
	}
	return d + rand.N(d/5+1)
}

func startEmbedded(ctx context.Context, addr, dir string) (*server.Server, error) {
	host, portS, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("embedded NATS address %q: %w", addr, err)
	}
	port, err := strconv.Atoi(portS)
	if err != nil {
		return nil, fmt.Errorf("embedded NATS port %q: %w", portS, err)
	}
	// The server does not report a failed listen (it waits for a logger that we do not
	// give it), so a taken address is found here rather than after the start timeout.
	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEmbeddedStart, err)
	}
	_ = ln.Close()
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
	if !srv.ReadyForConnections(embeddedStartTimeout) {
		srv.Shutdown()
		return nil, fmt.Errorf("%w at %s within %s", ErrEmbeddedStart, addr, embeddedStartTimeout)
	}
	return srv, nil
}
