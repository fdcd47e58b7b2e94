package manifest

import "errors"

// ErrDecode is wrapped by Decode for a document that does not decode strictly.
var ErrDecode = errors.New("manifest does not decode strictly")

// ErrPolicy is wrapped by every finding of Check.
var ErrPolicy = errors.New("manifest breaks policy")
