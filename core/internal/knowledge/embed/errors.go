package embed

import "errors"

// ErrInvalidOption wraps every rejected option or configuration value.
var ErrInvalidOption = errors.New("embed: invalid option")

// ErrProvider means the embeddings server answered with an error or a malformed reply;
// the wrapped text says which.
var ErrProvider = errors.New("embed: provider error")

// ErrDimension means the provider returned vectors of a dimension other than configured.
var ErrDimension = errors.New("embed: unexpected vector dimension")
