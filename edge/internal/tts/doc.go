// Package tts holds what every text-to-speech engine of the edge shares: the
// output format (48 kHz mono PCM, the WebRTC Opus rate) and a rational
// resampler that brings an engine's native rate (22.05 kHz for eSpeak NG,
// 24 kHz for OpenAI-style PCM) to it.
//
// Engines live in sub-packages: espeak (embedded eSpeak NG, cgo) and openai
// (an OpenAI-compatible /v1/audio/speech server). Each has a Synthesize
// method that streams audio to a callback while it is being produced; the
// pipeline package consumes them through its Synthesizer interface.
package tts

// SampleRate is the rate of the PCM every engine delivers, in hertz.
const SampleRate = 48000
