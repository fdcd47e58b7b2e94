// Package tts holds what every text-to-speech engine of the edge shares: the
// output format (48 kHz mono PCM, the WebRTC Opus rate) and a rational
// resampler that brings an engine's native rate (16 kHz for Flite, 22.05 kHz
// for eSpeak NG, 24 kHz for OpenAI-style PCM) to it.
//
// Engines live in sub-packages: flite (embedded CMU Flite, cgo; the voices
// people listen to), espeak (embedded eSpeak NG, cgo; a fallback) and openai
// (an OpenAI-compatible /v1/audio/speech server). Each has a Synthesize
// method that streams audio to a callback while it is being produced; the
// pipeline package consumes them through its Synthesizer interface.
//
// Each role-play persona speaks with its own voice. Personas name Flite's
// voices, and every engine has a ForVoice(name) method that returns a
// Synthesizer bound to a voice, mapping those names to its nearest voice so
// that a persona sounds alike on any engine; other names pass through as
// the engine's own voice names:
//
//	persona voice  flite                eSpeak NG          OpenAI
//	slt            US female            en-us+f3           nova
//	rms            US male              en-us+m3           onyx
//	awb            Scottish male        en-gb-scotland+m1  echo
//	kal            US male (diphone)    en-us+m1           alloy
//
// Flite knows only these four names; eSpeak NG and OpenAI-style servers
// also take any voice of their own (en-gb-x-rp, shimmer, af_bella…).
package tts

// SampleRate is the rate of the PCM every engine delivers, in hertz.
const SampleRate = 48000
