package speechcorpus

import "errors"

// ErrNotFound is returned by Dir and Load when the speech directory cannot be
// found.
var ErrNotFound = errors.New("speechcorpus: speech data directory not found")

// ErrBadLabels is returned for a voice-activity label file that cannot be
// parsed.
var ErrBadLabels = errors.New("speechcorpus: malformed label file")
