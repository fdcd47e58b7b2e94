package technique

import "errors"

// ErrLabels is returned by ReadLabelled for a malformed labelled file.
var ErrLabels = errors.New("technique: malformed labelled file")
