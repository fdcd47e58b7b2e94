package stt

import "errors"

// ErrClosed is returned by a Stream's methods after Close, and by Write after
// Final.
var ErrClosed = errors.New("stt: stream closed")

// ErrEngine wraps a failure reported by a speech-to-text engine or provider.
var ErrEngine = errors.New("stt: engine error")
