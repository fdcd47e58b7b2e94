// Package catalog lists what the Avatar binaries expose to operators: the Prometheus
// metrics they export and the AVATAR_* environment variables they read, found in their
// Go sources rather than typed by hand.
//
// ScanMetrics parses Go files with go/ast and collects every metric registered through
// client_golang: the Namespace, Subsystem and Name of each prometheus.CounterOpts,
// GaugeOpts, HistogramOpts, SummaryOpts, UntypedOpts or Opts literal, joined as
// prometheus.BuildFQName joins them, and the name of each prometheus.NewDesc call. A name
// must be a constant expression (string literals, constants of the same package, and +
// between them); anything else is an error, so a metric can never slip past the check
// unseen. AddGathered adds what a prometheus.Gatherer reports, which is how the Go
// runtime and process collectors of client_golang's default registry, and promhttp's own
// counters, are listed from the library itself. ScanEnv collects the AVATAR_* names the
// Go files spell out as string literals.
//
// Catalog.Lookup answers for a series name as a query spells it, so a histogram is
// found through its _bucket, _sum and _count series, and not through its bare name,
// which selects nothing.
package catalog
