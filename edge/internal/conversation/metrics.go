package conversation

import "github.com/avatar-fi/avatar/edge/internal/metrics"

var rateLimitedRequests = metrics.RateLimited
