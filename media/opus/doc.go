// Package opus encodes and decodes mono Opus audio in 20 ms frames over
// libopus (cgo, through gopkg.in/hraban/opus.v2).
//
// The default sample rate is 48 kHz (960 samples per frame), the rate of
// WebRTC Opus. WithSampleRate(16000) makes libopus resample internally so that
// a caller working at 16 kHz can skip a separate resampler; the RTP clock of
// the stream stays 48 kHz either way.
//
// The Encoder is set up for speech over lossy networks: VOIP application,
// in-band forward error correction (FEC) and a packet-loss hint, so that each
// packet carries a low-bitrate copy of the previous frame. The Decoder
// conceals a lost packet (packet loss concealment, PLC) when given no data,
// and recovers it from the following packet's FEC data with DecodeFEC.
//
// Encode and Decode write into caller-provided buffers and allocate nothing.
// An Encoder or Decoder is not safe for concurrent use; use one per stream.
//
// Building needs libopus and pkg-config (Debian: libopus-dev pkg-config). The
// binding also links libopusfile (libopusfile-dev) unless built with the tag
// nolibopusfile; this package does not use it.
package opus
