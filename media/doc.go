// Package media is the root of the audio toolkit shared by the edge and the
// load tester: Opus coding, resampling, voice activity detection, end-of-turn
// detection, pitch tracking and WAV files, each in its own package.
//
// The module does no networking and starts no goroutines. Every per-frame hot
// path works on caller-owned buffers and allocates nothing in steady state; the
// benchmarks in this directory measure the whole per-call media path.
//
// Audio travels as interleaved signed 16-bit PCM ([]int16) in 20 ms frames:
// 960 samples at 48 kHz on the WebRTC side, 320 samples at 16 kHz on the speech
// side (VAD, endpointing, speech-to-text).
package media

import "time"

// FrameDuration is the duration of one media frame on every path of a call.
const FrameDuration = 20 * time.Millisecond

// Sample rates used on a call: WebRTC Opus runs at 48 kHz, speech engines at
// 16 kHz.
const (
	// RTCRate is the sample rate of the Opus side of a call, in hertz.
	RTCRate = 48000
	// SpeechRate is the sample rate of the speech side of a call, in hertz.
	SpeechRate = 16000
)

// Samples per mono 20 ms frame at each rate.
const (
	// RTCFrameSamples is the number of samples in a 20 ms frame at RTCRate.
	RTCFrameSamples = RTCRate / 50
	// SpeechFrameSamples is the number of samples in a 20 ms frame at SpeechRate.
	SpeechFrameSamples = SpeechRate / 50
)
