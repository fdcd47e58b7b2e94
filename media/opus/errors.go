package opus

import "errors"

// ErrInvalidOption is returned by NewEncoder and NewDecoder, wrapped with the
// option's name, when an option's value is out of range.
var ErrInvalidOption = errors.New("opus: invalid option")

// ErrFrameSize is returned when a PCM buffer does not hold exactly one frame
// (Encode) or is too small for the decoded frame (Decode, DecodeFEC).
var ErrFrameSize = errors.New("opus: wrong frame size")

// ErrBufferTooSmall is returned by Encode when the destination cannot hold the
// encoded packet. A buffer of MaxPacketBytes always suffices.
var ErrBufferTooSmall = errors.New("opus: destination buffer too small")

// ErrInvalidPacket is returned by Decode and DecodeFEC for data that is not a
// valid Opus packet. The caller can treat that packet as lost and conceal it.
var ErrInvalidPacket = errors.New("opus: invalid packet")

// ErrCodec wraps any other error reported by libopus.
var ErrCodec = errors.New("opus: codec error")
