package catalog

import "errors"

// ErrNotConstant is wrapped by ScanMetrics when a metric name is not a constant
// expression it can evaluate (a variable, a function call, another package's constant).
var ErrNotConstant = errors.New("metric name is not a constant expression")

// ErrConflict is wrapped by Catalog.Add when a name is already listed with another kind.
var ErrConflict = errors.New("metric registered with two kinds")
