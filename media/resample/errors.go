package resample

import "errors"

// ErrUnsupportedRatio is returned by New when the rates are not positive or
// not an integer factor (2..MaxFactor) apart.
var ErrUnsupportedRatio = errors.New("resample: unsupported rate ratio")

// ErrInvalidOption is returned by New, wrapped with details, for an option
// value out of range.
var ErrInvalidOption = errors.New("resample: invalid option")

// ErrShortBuffer is returned by Process when dst cannot hold the output that
// src produces (see OutLen).
var ErrShortBuffer = errors.New("resample: destination buffer too short")
