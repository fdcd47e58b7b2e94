package promquery

import "errors"

// ErrNameRegexp is wrapped by Names when a selector matches metric names by regular
// expression, which no check can compare with the exported names.
var ErrNameRegexp = errors.New("metric name matched by a regular expression")

// ErrNoMetric is wrapped by Names when a selector names no metric at all.
var ErrNoMetric = errors.New("selector names no metric")
