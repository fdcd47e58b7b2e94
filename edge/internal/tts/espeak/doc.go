// Package espeak is the embedded text-to-speech engine of the edge: eSpeak NG
// (Debian libespeak-ng) through cgo, in synchronous mode with a synthesis
// callback, so that audio streams out in short chunks while a sentence is
// being synthesised. Its native 22.05 kHz output is resampled to 48 kHz.
//
// eSpeak NG keeps global state and is not re-entrant: the process has one
// engine, and a Synthesizer serialises syntheses behind a mutex (a sentence
// takes a few tens of milliseconds). ForVoice returns a Synthesizer for
// another voice, mapping the persona voice names of package tts (slt, rms,
// awb, kal) to eSpeak NG voices. Building needs pkg-config and
// libespeak-ng-dev; running needs espeak-ng-data.
package espeak
