package good

import "github.com/prometheus/client_golang/prometheus"

// otherName uses a constant of another file of the package.
const otherName = namespace + "_other" + suffix

var other = prometheus.NewCounter(prometheus.CounterOpts{Name: otherName, Help: "Other."})
