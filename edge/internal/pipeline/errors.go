package pipeline

import "errors"

// ErrBargeIn is the cause with which a reply's context is cancelled when the
// trainee speaks over it.
var ErrBargeIn = errors.New("pipeline: barge-in")

// ErrResumed is the cause with which a speculative reply's context is
// cancelled when the trainee goes on speaking after a pause.
var ErrResumed = errors.New("pipeline: speech resumed")

// ErrContinued is the cause with which a reply's context is cancelled when
// the trainee carries on the turn it answers (TurnRecord.Continues).
var ErrContinued = errors.New("pipeline: turn continued")

// ErrHangUp is the cause with which the call's work is cancelled by Stop.
var ErrHangUp = errors.New("pipeline: call ended")

// ErrFrameSize is returned by Push for a frame that is not 20 ms of 16 kHz
// audio.
var ErrFrameSize = errors.New("pipeline: frame is not 320 samples")

// ErrConfig is returned by New, wrapped with the field's name, for a missing
// dependency or an invalid setting.
var ErrConfig = errors.New("pipeline: invalid config")
