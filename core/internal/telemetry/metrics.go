package telemetry

import (
	"context"
	"errors"
	"time"

	"connectrpc.com/connect"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// The core's RPC metrics. Metrics are the one global the project allows; labels are
// bounded (procedure names and codes are finite sets).
var (
	rpcRequests = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "avatar_rpc_requests_total",
		Help: "RPCs handled, by procedure and Connect code (ok for success).",
	}, []string{"procedure", "code"})
	rpcDuration = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "avatar_rpc_duration_seconds",
		Help:    "RPC handling time, by procedure and Connect code.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"procedure", "code"})
	rpcInFlight = promauto.NewGauge(prometheus.GaugeOpts{
		Name: "avatar_rpc_in_flight",
		Help: "RPCs being handled now.",
	})
)

// MetricsInterceptor records every handled RPC in Prometheus. Safe for concurrent use.
type MetricsInterceptor struct{}

// WrapUnary implements connect.Interceptor.
func (MetricsInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if req.Spec().IsClient {
			return next(ctx, req)
		}
		start := time.Now()
		rpcInFlight.Inc()
		res, err := next(ctx, req)
		rpcInFlight.Dec()
		observe(req.Spec().Procedure, err, time.Since(start))
		return res, err
	}
}

// WrapStreamingClient implements connect.Interceptor.
func (MetricsInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

// WrapStreamingHandler implements connect.Interceptor.
func (MetricsInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		start := time.Now()
		rpcInFlight.Inc()
		err := next(ctx, conn)
		rpcInFlight.Dec()
		observe(conn.Spec().Procedure, err, time.Since(start))
		return err
	}
}

func observe(procedure string, err error, d time.Duration) {
	code := "ok"
	if err != nil {
		code = connect.CodeUnknown.String()
		var ce *connect.Error
		if errors.As(err, &ce) {
			code = ce.Code().String()
		}
	}
	rpcRequests.WithLabelValues(procedure, code).Inc()
	rpcDuration.WithLabelValues(procedure, code).Observe(d.Seconds())
}
