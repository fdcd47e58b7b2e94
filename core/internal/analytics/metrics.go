package analytics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Analytics metrics; labels are bounded sets.
var (
	eventsRecorded = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "avatar_analytics_events_total",
		Help: "Session events consumed, by kind (started, turn, ended) and result (written, duplicate, retry, refused, malformed).",
	}, []string{"kind", "result"})
	writeBatch = promauto.NewHistogram(prometheus.HistogramOpts{
		Name:    "avatar_analytics_write_batch_events",
		Help:    "Events per write transaction.",
		Buckets: prometheus.ExponentialBuckets(1, 2, 11),
	})
	writeDuration = promauto.NewHistogram(prometheus.HistogramOpts{
		Name:    "avatar_analytics_write_duration_seconds",
		Help:    "Time per write transaction of session events.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
	})
	sessionsClosed = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "avatar_analytics_sessions_closed_total",
		Help: "Sessions closed or removed by the core, by reason (abandoned, retention, deleted).",
	}, []string{"reason"})
	webhookDeliveries = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "avatar_analytics_webhook_deliveries_total",
		Help: "session.ended webhook deliveries by result (ok, retry, failed, refused).",
	}, []string{"result"})
)
