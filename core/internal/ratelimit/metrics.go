package ratelimit

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

var (
	deniedTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "avatar_ratelimit_denied_total",
		Help: "Requests refused by a rate limit or lockout, by limit name.",
	}, []string{"limit"})
	redisErrorsTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "avatar_ratelimit_redis_errors_total",
		Help: "Rate-limit checks that could not reach Redis and used the fallback, by limit name.",
	}, []string{"limit"})
)
