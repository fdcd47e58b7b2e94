package good

// Opts is not client_golang's: no metric.
type Opts struct{ Name string }

var notAMetric = Opts{Name: "demo_not_a_metric"}
