// Package app is the core's composition root: it reads the configuration, opens every
// dependency, applies migrations, wires the services onto one HTTP server and runs it
// until the context ends. Each service area adds itself in a wire_<area>.go file.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/trace"

	"github.com/avatar-fi/avatar/core/internal/config"
	"github.com/avatar-fi/avatar/core/internal/events"
	"github.com/avatar-fi/avatar/core/internal/health"
	"github.com/avatar-fi/avatar/core/internal/server"
	"github.com/avatar-fi/avatar/core/internal/store"
	"github.com/avatar-fi/avatar/core/internal/telemetry"
	"github.com/avatar-fi/avatar/core/internal/webui"
)

// Deps are the opened dependencies every service area may use.
type Deps struct {
	Config config.Config
	Log    *slog.Logger
	Store  *store.Store
	Redis  *redis.Client
	// Bus is open but maybe not ready: the core starts while NATS is away. Background
	// work of an area listed with needsBus starts only once Bus.Ready() is closed; a
	// handler that publishes treats a failure like any NATS outage.
	Bus    *events.Bus
	Tracer trace.TracerProvider
	// Ready is closed when the server is listening; wiring may start workers on it.
	Ready chan struct{}
}

// area is one bounded context's wiring: it mounts handlers on srv and may return a
// function that runs background work until ctx ends (nil when there is none).
type area func(ctx context.Context, d *Deps, srv *server.Server) (run func(context.Context) error, err error)

// wiring is one area in the list, and whether its background work needs the NATS
// streams (then it starts once the bus is ready, not before).
type wiring struct {
	wire     area
	needsBus bool
}

// areas lists every service area in wiring order. Identity comes first: it installs the
// authentication interceptor the others' handlers are built with. Knowledge's ingest
// workers consume the AVATAR_INGEST stream.
func areas() []wiring {
	return []wiring{
		{wire: wireIdentity},
		{wire: wireKnowledge, needsBus: true},
		{wire: wireScenario},
		{wire: wireAnalytics, needsBus: true},
		{wire: wireRegion, needsBus: true},
	}
}

// Run starts the core and blocks until ctx ends and the drain finishes. It returns the
// process exit code: 0 after a clean shutdown, 2 for bad configuration, 1 otherwise.
// Messages for a person go to stderr as one line.
func Run(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, err := config.Load(getenv)
	if err != nil {
		_, _ = fmt.Fprintf(stderr, "avatar-core: %v\n", err) // nowhere else to report it
		return 2
	}
	log := telemetry.NewLogger(stdout, cfg.LogLevel)
	if err := run(ctx, cfg, log); err != nil {
		log.Error("core stopped", "error", err.Error())
		_, _ = fmt.Fprintf(stderr, "avatar-core: %v\n", err) // logged above too
		return 1
	}
	return 0
}

func run(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	tp, shutdownTracing, err := telemetry.NewTracerProvider(ctx, "avatar-core", cfg.OTLPEndpoint)
	if err != nil {
		return err
	}
	defer func() { _ = shutdownTracing(context.WithoutCancel(ctx)) }()

	st, err := store.Open(ctx, store.Config{URL: cfg.DatabaseURL, ReadURL: cfg.DatabaseReadURL, MaxConns: cfg.DatabaseMaxConns, Log: log})
	if err != nil {
		return fmt.Errorf("AVATAR_DATABASE_URL: %w", err)
	}
	defer st.Close()
	// The pools' gauges; a test process runs several cores in turn, so the
	// collector leaves the registry with its core.
	poolMetrics := st.Collector()
	if err := prometheus.Register(poolMetrics); err != nil {
		log.Warn("database pool metrics not registered", "error", err.Error())
	}
	defer prometheus.Unregister(poolMetrics)
	if err := migrateWithRetry(ctx, st, log, 30*time.Second); err != nil {
		return err
	}

	ropts, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return fmt.Errorf("AVATAR_REDIS_URL: %w", err)
	}
	rdb := redis.NewClient(ropts)
	defer rdb.Close()

	// Open does not wait for NATS: it connects and declares the streams in the
	// background, and the "nats" readiness check fails until both are done. Only an
	// embedded server that cannot start is final.
	bus, err := events.Open(ctx, events.Config{
		URL: cfg.NATSURL, EmbeddedAddr: cfg.NATSEmbeddedAddr, StoreDir: cfg.NATSStoreDir, Name: "avatar-core", Replicas: cfg.NATSStreamReplicas,
	}, log)
	if err != nil {
		if cfg.NATSURL == "" {
			return fmt.Errorf("AVATAR_NATS_EMBEDDED_ADDR, AVATAR_NATS_STORE_DIR: %w", err)
		}
		return fmt.Errorf("AVATAR_NATS_URL: %w", err)
	}
	defer bus.Close()

	srv, err := server.New(server.Config{
		Addr:            cfg.Addr,
		MaxRequestBytes: cfg.MaxRequestBytes,
		ShutdownTimeout: cfg.ShutdownTimeout,
		CORSOrigins:     cfg.CORSOrigins,
		TracerProvider:  tp,
		Checks: map[string]health.Check{
			"postgres": st.Ping,
			"redis":    func(ctx context.Context) error { return rdb.Ping(ctx).Err() },
			"nats":     bus.Ping,
		},
	}, log)
	if err != nil {
		return fmt.Errorf("AVATAR_CORE_ADDR: %w", err)
	}

	d := &Deps{Config: cfg, Log: log, Store: st, Redis: rdb, Bus: bus, Tracer: tp, Ready: make(chan struct{})}
	var runners []func(context.Context) error
	for _, a := range areas() {
		r, err := a.wire(ctx, d, srv)
		if err != nil {
			return err
		}
		if r != nil && a.needsBus {
			r = afterBus(bus, log, r)
		}
		if r != nil {
			runners = append(runners, r)
		}
	}

	srv.Handle("/", webui.New(webui.Config{EdgeURL: cfg.WebEdgeURL})) // the web app, SPA fallback, /config.json

	wctx, cancelWorkers := context.WithCancel(ctx)
	defer cancelWorkers()
	errc := make(chan error, len(runners))
	for _, r := range runners {
		go func() { errc <- r(wctx) }()
	}
	log.Info("core listening", "addr", srv.Addr().String(), "public_url", cfg.PublicURL)
	close(d.Ready)
	serveErr := srv.Serve(ctx)
	cancelWorkers()
	for range runners {
		if err := <-errc; err != nil && !errors.Is(err, context.Canceled) {
			log.Warn("worker stopped with error", "error", err.Error())
		}
	}
	log.Info("core stopped")
	return serveErr
}

// afterBus returns run delayed until the bus is ready (or ctx ends first).
func afterBus(bus *events.Bus, log *slog.Logger, run func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error {
		select {
		case <-bus.Ready():
		default:
			log.InfoContext(ctx, "background work waits for NATS")
			select {
			case <-bus.Ready():
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return run(ctx)
	}
}

// migrateWithRetry waits up to limit for PostgreSQL to accept the migration, so a core
// started together with its database does not fail on the first attempt.
func migrateWithRetry(ctx context.Context, st *store.Store, log *slog.Logger, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		applied, err := store.Migrate(ctx, st.Primary(), log)
		if err == nil {
			log.Info("database migrated", "applied", len(applied))
			return nil
		}
		if errors.Is(err, store.ErrMigrationChanged) || time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("migrate database: %w", err)
		}
		log.Warn("database not ready, retrying migration", "error", err.Error())
		select {
		case <-ctx.Done():
			return fmt.Errorf("migrate database: %w", ctx.Err())
		case <-time.After(time.Second):
		}
	}
}
