// Package silero detects voice activity with Silero VAD v5, an ONNX model run
// in process through ONNX Runtime (cgo, github.com/yalue/onnxruntime_go), behind
// the vad.Detector interface.
//
// The work is split for density. A Model is one ONNX Runtime session (about
// 10 MB resident, 50–100 ms to create) with input and output tensors
// preallocated for every batch size up to WithMaxBatch; create one per worker
// or process, never per call. A Stream is one call's detector (about 6 KB): the
// model's recurrent state ([2, 1, 128] float32) and the 64 samples of context
// it carries between windows, swapped into the Model's tensors for each run.
// Many Streams share one Model. Stream.Process runs its window alone;
// Model.ProcessBatch takes one frame from each of many streams and runs their
// windows together, which costs about a third as much per window from 8
// streams on.
//
// Silero VAD v5 reads 512-sample (32 ms) windows at 16 kHz. A Stream buffers
// the caller's frames (20 ms, 320 samples, on the call path) and returns, for
// each frame, the probability of its latest complete window, so a window runs
// on five frames out of eight. In front of the model, a vad.Energy detector
// skips windows that are clearly silent and lets the last probability decay
// instead (see WithEnergyGate).
//
// Concurrency: a Model is safe for concurrent use; its runs are serialised by
// a mutex, since its streams share the session's tensors and a run must not
// overwrite another's. Streams on different goroutines may share a Model but
// then take turns on it: for parallelism, give each worker goroutine (one per
// CPU) its own Model and its calls' Streams. A Stream, like every
// vad.Detector, is not safe for concurrent use.
//
// The runtime library (libonnxruntime.so.1) is loaded once per process, on the
// first New, and stays loaded. deploy/dev/models.sh fetches it and the model
// into /var/cache/avatar-dev/models.
package silero
