package wav

import "errors"

// ErrNotWAV is returned when the input does not start with a RIFF/WAVE header.
var ErrNotWAV = errors.New("wav: not a RIFF/WAVE file")

// ErrUnsupported is returned, wrapped with a description of the file's
// format, for WAV files that are valid but not 16-bit PCM mono or stereo.
var ErrUnsupported = errors.New("wav: unsupported format")

// ErrMalformed is returned for a header that contradicts itself or the WAV
// specification: a missing or short fmt chunk, data before fmt, a block
// alignment that does not match the channels.
var ErrMalformed = errors.New("wav: malformed file")

// ErrTruncated is returned when the input ends before its header or before
// the data size its header declares.
var ErrTruncated = errors.New("wav: truncated file")

// ErrTooLarge is returned when a chunk exceeds a size cap: the data chunk
// beyond the reader's maximum, unknown chunks beyond MaxSkipBytes, or written
// data beyond what a WAV header can describe.
var ErrTooLarge = errors.New("wav: too large")

// ErrInvalidFormat is returned by writers given a Format they cannot write,
// and by WithMaxDataBytes for a non-positive cap.
var ErrInvalidFormat = errors.New("wav: invalid format")

// ErrClosed is returned by Writer.Write after Close.
var ErrClosed = errors.New("wav: writer closed")
