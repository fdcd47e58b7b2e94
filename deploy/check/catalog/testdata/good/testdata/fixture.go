package fixture

import "github.com/prometheus/client_golang/prometheus"

var hidden = prometheus.NewCounter(prometheus.CounterOpts{Name: "demo_hidden_total", Help: "A fixture's, not a binary's."})
