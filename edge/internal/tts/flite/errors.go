package flite

import "errors"

// ErrConfig is returned by New for a Config field out of range.
var ErrConfig = errors.New("flite: invalid config")

// ErrVoice is returned by New and ForVoice for a voice that is not built in;
// the message lists the voices that are.
var ErrVoice = errors.New("flite: unknown voice")

// ErrInit is returned by New when Flite cannot register its voices.
var ErrInit = errors.New("flite: init failed")
