package silero

import "errors"

// ErrRuntime is returned by New, wrapped with details, when the ONNX Runtime
// library cannot be found or loaded, or was already loaded from another path.
var ErrRuntime = errors.New("silero: onnx runtime unavailable")

// ErrModel is returned by New, wrapped with details, when the model file cannot
// be read or ONNX Runtime cannot build a session from it.
var ErrModel = errors.New("silero: model unavailable")

// ErrInvalidOption is returned, wrapped with details, for an option value out
// of range.
var ErrInvalidOption = errors.New("silero: invalid option")

// ErrClosed is returned by Stream.Process and Model.NewStream after the Model
// was closed.
var ErrClosed = errors.New("silero: model closed")

// ErrInference is returned by Stream.Process, wrapped with ONNX Runtime's
// message, when a run of the model fails. The stream stays usable.
var ErrInference = errors.New("silero: inference failed")

// ErrBatch is returned by ProcessBatch, wrapped with details, when its slices
// do not match or a stream belongs to another Model.
var ErrBatch = errors.New("silero: malformed batch")
