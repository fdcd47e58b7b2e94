package vad

import "errors"

// ErrFrameSize is returned by a Detector for a frame length it does not
// accept (Energy accepts 1 to 100 ms of audio).
var ErrFrameSize = errors.New("vad: unsupported frame size")

// ErrInvalidOption is returned by constructors, wrapped with details, for an
// option value out of range.
var ErrInvalidOption = errors.New("vad: invalid option")
