package silero

import (
	"fmt"
	"path/filepath"
)

// File names inside the models directory, as deploy/dev/models.sh writes them.
const (
	// ModelFile is the Silero VAD v5 model.
	ModelFile = "silero_vad.onnx"
	// RuntimeFile is the ONNX Runtime 1.30.0 shared library.
	RuntimeFile = "libonnxruntime.so.1"
)

// DefaultDir is where deploy/dev/models.sh puts the model and the runtime
// library unless AVATAR_MODELS_DIR says otherwise. This package never reads
// the environment: cmd/ passes WithDir(os.Getenv(EnvDir)).
const DefaultDir = "/var/cache/avatar-dev/models"

// EnvDir names the environment variable with which deploy/dev/models.sh and the
// binaries override DefaultDir.
const EnvDir = "AVATAR_MODELS_DIR"

// Option configures a Model.
type Option func(*modelConfig) error

type modelConfig struct {
	dir, modelPath, runtimePath string
	maxBatch                    int
}

// DefaultMaxBatch is the default of WithMaxBatch.
const DefaultMaxBatch = 16

// WithMaxBatch sets the largest number of windows ProcessBatch runs at once
// (default DefaultMaxBatch, 1 to 256). The Model makes the tensors of each
// batch size on its first use and keeps them: 4.4 KB per window of the size.
func WithMaxBatch(n int) Option {
	return func(c *modelConfig) error {
		if n < 1 || n > 256 {
			return fmt.Errorf("%w: max batch %d, want 1..256", ErrInvalidOption, n)
		}
		c.maxBatch = n
		return nil
	}
}

// WithDir sets the directory holding ModelFile and RuntimeFile (default
// DefaultDir; "" keeps the default). WithModelPath and WithRuntimePath override
// it file by file.
func WithDir(dir string) Option {
	return func(c *modelConfig) error {
		if dir != "" {
			c.dir = dir
		}
		return nil
	}
}

// WithModelPath sets the path of the Silero VAD v5 ONNX file (default ModelFile
// in the directory).
func WithModelPath(path string) Option {
	return func(c *modelConfig) error {
		if path == "" {
			return fmt.Errorf("%w: empty model path", ErrInvalidOption)
		}
		c.modelPath = path
		return nil
	}
}

// WithRuntimePath sets the path of the ONNX Runtime shared library (default
// RuntimeFile in the directory). The library is loaded once per process: every
// Model must use the same path.
func WithRuntimePath(path string) Option {
	return func(c *modelConfig) error {
		if path == "" {
			return fmt.Errorf("%w: empty runtime path", ErrInvalidOption)
		}
		c.runtimePath = path
		return nil
	}
}

func (c *modelConfig) paths() (model, runtime string) {
	model, runtime = c.modelPath, c.runtimePath
	if model == "" {
		model = filepath.Join(c.dir, ModelFile)
	}
	if runtime == "" {
		runtime = filepath.Join(c.dir, RuntimeFile)
	}
	return model, runtime
}

// Defaults of the energy gate in front of the model; see WithEnergyGate.
const (
	DefaultGateBelow = 0.2
	DefaultGateDecay = 0.8
)

// StreamOption configures a Stream.
type StreamOption func(*Stream) error

// WithEnergyGate sets the energy gate in front of the model. A frame is
// clearly silent when a vad.Energy detector (default options) gives it a
// probability below below (default DefaultGateBelow: the frame's level is
// 6 dB under Energy's threshold, so within 3.5 dB of the noise floor in a
// steady room). A window whose samples all lie in clearly silent frames is not
// run; the stream keeps its model state, takes the window's last 64 samples as
// context, and multiplies its probability by decay (default DefaultGateDecay)
// for each clearly silent frame, so a 0.9 falls under the Gate's 0.35 in five
// frames (100 ms). below = 0 turns the gate off: every window runs.
//
// The defaults were picked on the speech set from a small grid (below
// 0.05..0.4, decay 0.3..0.85): the frame accuracy and the premature turn ends
// of Silero without the gate, and the most windows skipped. A faster decay
// ends turns early in short pauses (0.7 cut one more clip at a 200 ms
// hangover); a higher threshold skips the quiet ends of words.
func WithEnergyGate(below, decay float32) StreamOption {
	return func(s *Stream) error {
		if !(below >= 0 && below < 1) {
			return fmt.Errorf("%w: gate threshold %g, want 0..1", ErrInvalidOption, below)
		}
		if !(decay >= 0 && decay < 1) {
			return fmt.Errorf("%w: gate decay %g, want 0..1", ErrInvalidOption, decay)
		}
		s.gateBelow, s.decay = below, decay
		return nil
	}
}

// WithoutGate runs the model on every window: WithEnergyGate(0, 0).
func WithoutGate() StreamOption { return WithEnergyGate(0, 0) }
