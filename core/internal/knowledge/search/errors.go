package search

import "errors"

// ErrInvalidConfig wraps every rejected Config or CacheConfig field, and an embedder
// whose ID or dimension the vector index cannot take.
var ErrInvalidConfig = errors.New("search: invalid configuration")
