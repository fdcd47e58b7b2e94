// Package stt holds what every speech-to-text engine of the edge shares: the
// Stream a call feeds while the trainee speaks, and word error rate scoring.
//
// Engines live in sub-packages: pocketsphinx (embedded, cgo), openai (an
// OpenAI-compatible /v1/audio/transcriptions server) and deepgram (a
// Deepgram-compatible streaming WebSocket). Each provides a Transcriber whose
// NewStream returns a Stream; the pipeline package consumes them through its
// own small interface.
package stt
