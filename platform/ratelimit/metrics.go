package ratelimit

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics counts refusals and Redis fallbacks in Prometheus, by limit name:
// avatar_ratelimit_denied_total and avatar_ratelimit_redis_errors_total. A nil *Metrics
// counts nothing. Its methods are safe for concurrent use.
type Metrics struct {
	denied      *prometheus.CounterVec
	redisErrors *prometheus.CounterVec
}

// NewMetrics registers the counters on reg, which the caller owns (the package
// registers nothing by itself). Calling it again with the same registerer returns the
// counters the first call registered, so every Limiter of a process (and the core's
// login lockouts) may call it and count in the same series. A service adds constant
// labels, such as an edge's region, with prometheus.WrapRegistererWith; a wrapping
// registerer cannot hand back what it registered, so such a caller calls NewMetrics
// once and shares the result.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	if reg == nil {
		return nil, errors.New("ratelimit: NewMetrics needs a registerer")
	}
	denied, err := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "avatar_ratelimit_denied_total",
		Help: "Requests refused by a rate limit or lockout, by limit name.",
	}, []string{"limit"}))
	if err != nil {
		return nil, err
	}
	redisErrors, err := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "avatar_ratelimit_redis_errors_total",
		Help: "Rate-limit checks that could not reach Redis and used the fallback, by limit name.",
	}, []string{"limit"}))
	if err != nil {
		return nil, err
	}
	return &Metrics{denied: denied, redisErrors: redisErrors}, nil
}

func register(reg prometheus.Registerer, c *prometheus.CounterVec) (*prometheus.CounterVec, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(*prometheus.CounterVec); ok {
			return existing, nil
		}
	}
	return nil, fmt.Errorf("ratelimit: register metrics: %w", err)
}

// Denied counts one request refused by limit (a spent budget or a lockout).
func (m *Metrics) Denied(limit string) {
	if m != nil {
		m.denied.WithLabelValues(limit).Inc()
	}
}

// RedisError counts one check of limit that could not reach Redis and used its
// fallback.
func (m *Metrics) RedisError(limit string) {
	if m != nil {
		m.redisErrors.WithLabelValues(limit).Inc()
	}
}
