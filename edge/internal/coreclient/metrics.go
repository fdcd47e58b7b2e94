package coreclient

import (
	"github.com/avatar-fi/avatar/edge/internal/metrics"
)

var (
	cacheHits          = metrics.RetrievalCache.WithLabelValues("hit")
	cacheMisses        = metrics.RetrievalCache.WithLabelValues("miss")
	cacheInvalidations = metrics.RetrievalCache.WithLabelValues("invalidation")
	searchSeconds      = metrics.CoreSearch
)
