// Package resample converts mono 16-bit PCM between sample rates that are an
// integer factor apart, such as 48 kHz (WebRTC Opus) and 16 kHz (speech
// engines), with a polyphase windowed-sinc FIR filter.
//
// The filter is a Kaiser-windowed sinc designed from a stop-band attenuation
// (default 70 dB) and a transition band that ends at the lower rate's Nyquist
// frequency: for 48 kHz ↔ 16 kHz the passband is flat to 7 kHz and everything
// at or above 8 kHz is attenuated by at least 60 dB, so nothing aliases into the
// 16 kHz signal and no images reach the 48 kHz one. Decimation computes only
// the kept outputs; interpolation runs each of its polyphase branches on the
// input rate.
//
// A Resampler is streaming: it keeps the filter history between calls, so a
// stream fed in 20 ms frames (960 samples in → 320 out, or 320 in → 960 out)
// gives the same output as the whole stream in one call. Frames are []int16,
// the format of Opus, WAV and the speech engines, so the call path never
// converts buffers; the arithmetic inside is float32. Process allocates
// nothing. A Resampler is not safe for concurrent use; use one per stream and
// direction.
package resample
