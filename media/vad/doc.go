// Package vad decides, frame by frame, whether 16 kHz mono audio holds
// speech.
//
// A Detector turns each frame into a speech probability; a Gate turns the
// probabilities into speech/silence decisions with hysteresis. Detectors are
// interchangeable behind the Detector interface: Energy, here, is a cheap
// adaptive-threshold detector (no model, ~1 µs per frame) that does well in
// quiet rooms; a model-based detector such as Silero VAD v5 (ONNX) can
// implement the same interface, buffering the 20 ms frames into its own
// 32 ms windows and returning its latest probability.
//
// Detectors keep per-stream state and are not safe for concurrent use: use
// one per call.
package vad
