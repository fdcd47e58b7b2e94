package lexicon

import "errors"

// ErrPattern is returned by NewPattern for a malformed pattern.
var ErrPattern = errors.New("lexicon: malformed pattern")
