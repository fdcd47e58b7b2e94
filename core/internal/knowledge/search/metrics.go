package search

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Search metrics, observed by Cache.Search (the production path); labels are bounded
// sets. Searcher.Search alone observes nothing.
var (
	cacheRequests = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "avatar_knowledge_search_cache_requests_total",
		Help: "Search cache look-ups by result (hit, miss, error; stale_replica: a miss not cached because the read replica is behind).",
	}, []string{"result"})
	searchDuration = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "avatar_knowledge_search_duration_seconds",
		Help:    "Search time by cache result (hit, miss).",
		Buckets: []float64{.0002, .0005, .001, .0025, .005, .01, .015, .025, .05, .1, .25, 1},
	}, []string{"cache"})
)
