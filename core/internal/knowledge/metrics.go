package knowledge

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Knowledge metrics; labels are bounded sets.
var (
	cacheRequests = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "avatar_knowledge_search_cache_requests_total",
		Help: "Search cache look-ups by result (hit, miss, error).",
	}, []string{"result"})
	searchDuration = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "avatar_knowledge_search_duration_seconds",
		Help:    "Search time by cache result (hit, miss).",
		Buckets: []float64{.0002, .0005, .001, .0025, .005, .01, .015, .025, .05, .1, .25, 1},
	}, []string{"cache"})
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
	webhookDeliveries = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "avatar_knowledge_webhook_deliveries_total",
		Help: "Webhook deliveries by result (ok, retry, failed, refused).",
	}, []string{"result"})
)
