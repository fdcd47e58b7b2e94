package catalog

import (
	"fmt"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Kind is the type of a metric, which decides the series names it exports.
type Kind int

// The kinds of metrics. KindUnknown is a prometheus.NewDesc, whose type the source does
// not say; it is looked up as leniently as a histogram and a gauge together.
const (
	KindUnknown Kind = iota
	KindCounter
	KindGauge
	KindHistogram
	KindSummary
	KindUntyped
)

// String returns the kind's name, as in the exposition format's TYPE line.
func (k Kind) String() string {
	switch k {
	case KindCounter:
		return "counter"
	case KindGauge:
		return "gauge"
	case KindHistogram:
		return "histogram"
	case KindSummary:
		return "summary"
	case KindUntyped:
		return "untyped"
	default:
		return "unknown"
	}
}

// Metric is one metric family a binary exports.
type Metric struct {
	// Name is the family's full name, as exported.
	Name string
	// Kind is the family's type.
	Kind Kind
	// Origin says where it was found: file:line of a Go source, or the gatherer's name.
	Origin string
}

// Catalog is a set of metric families by name. The zero value is not usable; call New.
// It is not safe for concurrent use.
type Catalog struct {
	byName map[string]Metric
}

// New returns an empty catalog.
func New() *Catalog {
	return &Catalog{byName: map[string]Metric{}}
}

// Add lists m. Adding a name again with the same kind keeps the first origin (a metric
// registered by two binaries, such as the rate limiter's); with another kind it fails
// with ErrConflict, unless one of the two is KindUnknown, which the known kind replaces.
func (c *Catalog) Add(m Metric) error {
	old, ok := c.byName[m.Name]
	switch {
	case !ok || old.Kind == KindUnknown && m.Kind != KindUnknown:
		c.byName[m.Name] = m
	case old.Kind != m.Kind && m.Kind != KindUnknown:
		return fmt.Errorf("%w: %s is a %s at %s and a %s at %s", ErrConflict, m.Name, old.Kind, old.Origin, m.Kind, m.Origin)
	}
	return nil
}

// Merge adds every metric of other to c.
func (c *Catalog) Merge(other *Catalog) error {
	for _, m := range other.Metrics() {
		if err := c.Add(m); err != nil {
			return err
		}
	}
	return nil
}

// Len returns the number of metric families listed.
func (c *Catalog) Len() int { return len(c.byName) }

// Metrics returns every listed family, sorted by name.
func (c *Catalog) Metrics() []Metric {
	out := make([]Metric, 0, len(c.byName))
	for _, m := range c.byName {
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b Metric) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Lookup returns the family that exports the series name, as a PromQL selector spells
// it: a counter, gauge or untyped metric by its own name; a histogram only by its
// _bucket, _sum and _count series; a summary by its own name (the quantiles), _sum and
// _count; a KindUnknown family by any of these.
func (c *Catalog) Lookup(series string) (Metric, bool) {
	if m, ok := c.byName[series]; ok && m.Kind != KindHistogram {
		return m, true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		base, ok := strings.CutSuffix(series, suffix)
		if !ok {
			continue
		}
		m, ok := c.byName[base]
		if !ok {
			return Metric{}, false
		}
		switch m.Kind {
		case KindHistogram, KindUnknown:
			return m, true
		case KindSummary:
			return m, suffix != "_bucket"
		}
		return Metric{}, false
	}
	return Metric{}, false
}

// AddGathered lists every family g gathers, with origin as their Origin. Pass a
// registry with the collectors a binary registers, such as prometheus.DefaultGatherer
// after promhttp.Handler has added its own counters.
func (c *Catalog) AddGathered(g prometheus.Gatherer, origin string) error {
	families, err := g.Gather()
	if err != nil {
		return fmt.Errorf("gather %s: %w", origin, err)
	}
	for _, f := range families {
		if err := c.Add(Metric{Name: f.GetName(), Kind: kindOf(f.GetType()), Origin: origin}); err != nil {
			return err
		}
	}
	return nil
}

func kindOf(t dto.MetricType) Kind {
	switch t {
	case dto.MetricType_COUNTER:
		return KindCounter
	case dto.MetricType_GAUGE:
		return KindGauge
	case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
		return KindHistogram
	case dto.MetricType_SUMMARY:
		return KindSummary
	case dto.MetricType_UNTYPED:
		return KindUntyped
	default:
		return KindUnknown
	}
}
