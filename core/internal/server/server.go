package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/otelconnect"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/avatar-fi/avatar/core/internal/apierror"
	"github.com/avatar-fi/avatar/core/internal/health"
	"github.com/avatar-fi/avatar/core/internal/telemetry"
	"github.com/avatar-fi/avatar/platform/cors"
)

// Config is the HTTP server's configuration.
type Config struct {
	// Addr is the listen address, e.g. ":8080"; ":0" picks a free port.
	Addr string
	// MaxRequestBytes caps one request message; larger ones fail with ResourceExhausted.
	MaxRequestBytes int64
	// ShutdownTimeout bounds the drain of in-flight calls.
	ShutdownTimeout time.Duration
	// CORSOrigins are the browser origins allowed to call; empty allows none.
	CORSOrigins []string
	// Checks are the readiness probes by dependency name.
	Checks map[string]health.Check
	// Interceptors run after the shared ones (tracing, metrics, errors), e.g. auth.
	Interceptors []connect.Interceptor
	// TracerProvider traces every RPC; nil means no tracing.
	TracerProvider trace.TracerProvider
}

// Server is the core's HTTP server. Mount handlers with Handle before Serve.
type Server struct {
	cfg      Config
	log      *slog.Logger
	mux      *http.ServeMux
	ln       net.Listener
	srv      *http.Server
	draining atomic.Bool
	base     []connect.Interceptor
	extra    []connect.Interceptor
}

// New binds the listener (so the address is known and taken before anything serves) and
// prepares the mux with /healthz, /readyz and /metrics.
func New(cfg Config, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 20 * time.Second
	}
	if cfg.MaxRequestBytes <= 0 {
		cfg.MaxRequestBytes = 1 << 20
	}
	// New(ctx, cfg, log) once core/internal/knowledge, mid-restructure, can take the change.
	ln, err := net.Listen("tcp", cfg.Addr) //nolint:noctx // New has no context yet (see above)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	s := &Server{cfg: cfg, log: log, mux: http.NewServeMux(), ln: ln}

	checks := map[string]health.Check{"draining": func(context.Context) error {
		if s.draining.Load() {
			return errors.New("shutting down")
		}
		return nil
	}}
	for k, v := range cfg.Checks {
		checks[k] = v
	}
	health.New(2*time.Second, checks).Register(s.mux)
	s.mux.Handle("GET /metrics", promhttp.Handler())

	tp := cfg.TracerProvider
	otel, err := otelconnect.NewInterceptor(
		otelconnect.WithTracerProvider(orNoop(tp)),
		otelconnect.WithPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})),
		otelconnect.WithoutMetrics(),
		otelconnect.WithTrustRemote(),
	)
	if err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("otelconnect: %w", err)
	}
	s.base = []connect.Interceptor{otel, telemetry.MetricsInterceptor{}, apierror.NewInterceptor(log)}
	s.extra = append(s.extra, cfg.Interceptors...)
	return s, nil
}

// Use appends interceptors (such as authentication) that run inside the shared ones for
// every handler built with HandlerOptions afterwards. Call it before building handlers.
func (s *Server) Use(i ...connect.Interceptor) { s.extra = append(s.extra, i...) }

// HandlerOptions are the options every Connect handler must be built with: the shared
// interceptors, then those added with Use, the request size cap and panic recovery.
func (s *Server) HandlerOptions() []connect.HandlerOption {
	chain := append(append([]connect.Interceptor{}, s.base...), s.extra...)
	log := s.log
	return []connect.HandlerOption{
		connect.WithInterceptors(chain...),
		connect.WithReadMaxBytes(int(s.cfg.MaxRequestBytes)),
		connect.WithRecover(func(ctx context.Context, spec connect.Spec, _ http.Header, p any) error {
			log.ErrorContext(ctx, "panic in handler", "procedure", spec.Procedure, "panic", fmt.Sprint(p))
			return apierror.Internal()
		}),
	}
}

// Handle mounts a handler (typically from a generated New…Handler) at path.
func (s *Server) Handle(path string, h http.Handler) { s.mux.Handle(path, h) }

// Addr is the bound address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Handler is the full middleware chain around the mux; exposed for tests.
func (s *Server) Handler() http.Handler {
	return telemetry.RequestIDMiddleware(securityHeaders(cors.Handler(cors.Config{
		Origins:       s.cfg.CORSOrigins,
		AllowHeaders:  []string{telemetry.RequestIDHeader},
		ExposeHeaders: []string{telemetry.RequestIDHeader},
	}, apierror.HTTPMiddleware(s.mux))))
}

// Serve serves until ctx is cancelled, then drains: /readyz turns 503, the listener
// closes, and in-flight calls get ShutdownTimeout to finish before they are cut.
func (s *Server) Serve(ctx context.Context) error {
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	s.srv = &http.Server{
		Handler:           s.Handler(),
		Protocols:         &protocols,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(s.ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.draining.Store(true)
	s.log.Info("draining", "timeout", s.cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := s.srv.Shutdown(sctx); err != nil {
		_ = s.srv.Close()
		return fmt.Errorf("drain: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

func orNoop(tp trace.TracerProvider) trace.TracerProvider {
	if tp == nil {
		return noopProvider()
	}
	return tp
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		next.ServeHTTP(w, r)
	})
}
