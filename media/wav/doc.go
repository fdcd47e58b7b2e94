// Package wav reads and writes WAV files holding 16-bit signed little-endian
// PCM, mono or stereo, at any sample rate from 1 Hz to MaxSampleRate.
//
// Anything else (8/24/32-bit or float samples, compressed formats, more than
// two channels) is rejected with ErrUnsupported and a message that says what
// the file holds. Headers come from untrusted uploads, so sizes are checked
// before anything is allocated: the data chunk is capped (DefaultMaxDataBytes,
// WithMaxDataBytes) and the bytes skipped in unknown chunks are capped too.
//
// Samples are interleaved []int16: for stereo, left then right.
package wav
