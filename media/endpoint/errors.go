package endpoint

import "errors"

// ErrInvalidConfig is returned by New, wrapped with the field at fault, for a
// Config that fails validation.
var ErrInvalidConfig = errors.New("endpoint: invalid config")
