package tts

import "errors"

// ErrEngine wraps a failure reported by a text-to-speech engine or provider.
var ErrEngine = errors.New("tts: engine error")

// ErrRatio is returned by NewResampler for rates it cannot convert between.
var ErrRatio = errors.New("tts: unsupported resampling ratio")
