package conflict

import "github.com/prometheus/client_golang/prometheus"

var (
	a = prometheus.NewCounter(prometheus.CounterOpts{Name: "demo_twice", Help: "A counter."})
	b = prometheus.NewGauge(prometheus.GaugeOpts{Name: "demo_twice", Help: "A gauge."})
)
