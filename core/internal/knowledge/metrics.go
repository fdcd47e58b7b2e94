package knowledge

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Knowledge metrics of the write path and the webhooks; labels are bounded sets. The
// search metrics are in search/metrics.go.
var (
	ingestJobs = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "avatar_knowledge_ingest_jobs_total",
		Help: "Ingest jobs finished, by kind and result (ready, skipped, retry, failed).",
	}, []string{"kind", "result"})
	ingestStage = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "avatar_knowledge_ingest_stage_duration_seconds",
		Help:    "Time spent per ingest stage.",
		Buckets: prometheus.ExponentialBuckets(0.001, 4, 10),
	}, []string{"stage"})
	ingestChunks = promauto.NewCounter(prometheus.CounterOpts{
		Name: "avatar_knowledge_ingest_chunks_total",
		Help: "Chunks written by ingest jobs.",
	})
	// The ingest work queue, read from its durable consumer every queueInterval:
	// jobs waiting, and jobs delivered but not yet acknowledged (every core replica
	// reports the same queue).
	ingestQueuePending = promauto.NewGauge(prometheus.GaugeOpts{
		Name: "avatar_knowledge_ingest_queue_pending_jobs",
		Help: "Ingest jobs waiting in the work queue.",
	})
	ingestQueueInflight = promauto.NewGauge(prometheus.GaugeOpts{
		Name: "avatar_knowledge_ingest_queue_inflight_jobs",
		Help: "Ingest jobs delivered to a worker and not yet acknowledged.",
	})
	webhookDeliveries = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "avatar_knowledge_webhook_deliveries_total",
		Help: "Webhook deliveries by result (ok, retry, failed, refused).",
	}, []string{"result"})
)
