package auth

import "errors"

// ErrNoSigningKey means the key ring holds no usable signing key.
var ErrNoSigningKey = errors.New("no signing key")

// ErrBootstrapInvalid means the bootstrap email or password is unusable.
var ErrBootstrapInvalid = errors.New("invalid bootstrap credentials")

// ErrInvalidConfig means a Config field is missing or out of range.
var ErrInvalidConfig = errors.New("invalid auth configuration")
