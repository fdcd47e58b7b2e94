package jitter

import "errors"

// ErrLate is returned by Push for a packet whose turn to play has passed. It
// is counted in Stats.Late and dropped.
var ErrLate = errors.New("jitter: late packet")

// ErrDuplicate is returned by Push for a packet already buffered or played.
// It is counted in Stats.Duplicate and dropped.
var ErrDuplicate = errors.New("jitter: duplicate packet")

// ErrTooLarge is returned by Push for a payload larger than the slot size
// (WithMaxPayload). The packet is dropped.
var ErrTooLarge = errors.New("jitter: payload too large")

// ErrShortBuffer is returned by Pop and Next when dst cannot hold the
// payload. The packet stays buffered.
var ErrShortBuffer = errors.New("jitter: destination buffer too short")

// ErrInvalidOption is returned by New, wrapped with details, for an option
// value out of range.
var ErrInvalidOption = errors.New("jitter: invalid option")
