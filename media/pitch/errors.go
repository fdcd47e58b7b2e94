package pitch

import "errors"

// ErrFrameSize is returned by Process and Skip for an empty frame or one
// longer than MaxFrameSamples.
var ErrFrameSize = errors.New("pitch: unsupported frame size")

// ErrInvalidOption is returned by New, wrapped with details, for an option
// out of range.
var ErrInvalidOption = errors.New("pitch: invalid option")
