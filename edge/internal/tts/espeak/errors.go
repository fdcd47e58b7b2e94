package espeak

import "errors"

// ErrInit is returned by New when eSpeak NG cannot start (missing data files)
// or does not know the voice, and by ForVoice for a voice it does not know.
var ErrInit = errors.New("espeak: init failed")
