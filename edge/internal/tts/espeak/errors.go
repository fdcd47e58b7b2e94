package espeak

import "errors"

// ErrInit is returned by New when eSpeak NG cannot start (missing data files)
// or does not know the voice.
var ErrInit = errors.New("espeak: init failed")
