package pocketsphinx

import "errors"

// ErrInit is returned by New and NewStream when a decoder cannot be created,
// usually because a model file is missing; the message names the files.
var ErrInit = errors.New("pocketsphinx: decoder init failed")

// ErrClosed is returned by NewStream after the Transcriber is closed.
var ErrClosed = errors.New("pocketsphinx: transcriber closed")
