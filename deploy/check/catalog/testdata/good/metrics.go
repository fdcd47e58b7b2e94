// Package good registers metrics in every way the scanner understands.
package good

import (
	prom "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

const (
	namespace = "demo"
	subsystem = "cache"
	suffix    = "_total"
)

var hits = promauto.NewCounterVec(prom.CounterOpts{
	Namespace: namespace,
	Subsystem: subsystem,
	Name:      "hits" + suffix,
	Help:      "Cache hits.",
}, []string{"result"})

var latency = prom.NewHistogram(prom.HistogramOpts{Name: "demo_latency_seconds", Help: "Latency."})

var quantiles = prom.NewSummary(prom.SummaryOpts{Name: ("demo_quantiles_seconds"), Help: "Quantiles."})

var depth = &prom.GaugeOpts{Namespace: "demo", Name: "queue_depth", Help: "Depth."}

var acquired = prom.NewDesc(prom.BuildFQName(namespace, "pool", "acquired_conns"), "Acquired.", []string{"pool"}, nil)

var raw = prom.NewDesc("demo_raw_desc", "Raw.", nil, nil)
