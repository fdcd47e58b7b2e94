package notconst

import "github.com/prometheus/client_golang/prometheus"

// NewCounter registers a counter under a name known at run time only.
func NewCounter(name string) prometheus.Counter {
	return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: "Dynamic."})
}
