package noname

import "github.com/prometheus/client_golang/prometheus"

var g = prometheus.NewGauge(prometheus.GaugeOpts{Help: "No name."})
