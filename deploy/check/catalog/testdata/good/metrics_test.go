package good

import "github.com/prometheus/client_golang/prometheus"

var testOnly = prometheus.NewCounter(prometheus.CounterOpts{Name: "demo_test_only_total", Help: "Not exported by a binary."})
