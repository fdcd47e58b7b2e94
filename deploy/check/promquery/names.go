package promquery

import (
	"fmt"
	"slices"

	"github.com/VictoriaMetrics/metricsql"
)

// Names returns the metric names the selectors of the PromQL query expr select, sorted
// and without repeats. It fails when expr does not parse, when a selector matches names
// with a regular expression (ErrNameRegexp), or names none (ErrNoMetric).
func Names(expr string) ([]string, error) {
	e, err := metricsql.Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("parse %q: %w", expr, err)
	}
	var names []string
	var firstErr error
	metricsql.VisitAll(e, func(x metricsql.Expr) {
		me, ok := x.(*metricsql.MetricExpr)
		if !ok || firstErr != nil {
			return
		}
		for _, group := range me.LabelFilterss {
			name := ""
			for _, lf := range group {
				if lf.Label != "__name__" {
					continue
				}
				if lf.IsRegexp || lf.IsNegative {
					firstErr = fmt.Errorf("%w: %s", ErrNameRegexp, me.AppendString(nil))
					return
				}
				name = lf.Value
			}
			if name == "" {
				firstErr = fmt.Errorf("%w: %s", ErrNoMetric, me.AppendString(nil))
				return
			}
			names = append(names, name)
		}
	})
	if firstErr != nil {
		return nil, firstErr
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}
