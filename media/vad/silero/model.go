package silero

import (
	"errors"
	"fmt"
	"os"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// Shapes of Silero VAD v5 at 16 kHz.
const (
	// WindowSamples is the number of new samples in one window of the model
	// (32 ms at 16 kHz).
	WindowSamples = 512
	// ContextSamples is the number of samples of the previous window the model
	// reads before each window.
	ContextSamples = 64
	// StateSize is the number of float32 values of the recurrent state carried
	// per stream ([2, 1, 128]).
	StateSize = 2 * stateHalf

	stateHalf  = 128
	rowSamples = ContextSamples + WindowSamples
	sampleRate = 16000
)

// slot holds the tensors, and their binding to the session, for one batch
// size.
type slot struct {
	input, state, output, stateN *ort.Tensor[float32]
	binding                      *ort.IoBinding
	in, st, out, stN             []float32 // the tensors' data
}

// Model is one ONNX Runtime session of Silero VAD v5, with input and output
// tensors for each batch size up to its maximum (WithMaxBatch), made on the
// first batch of that size and reused.
// Streams created by NewStream share it, each swapping its own state in for
// a run; ProcessBatch runs the windows of many streams together.
//
// A Model is safe for concurrent use: runs are serialised by a mutex. Close
// it when no Stream uses it any more.
type Model struct {
	mu       sync.Mutex
	session  *ort.DynamicAdvancedSession
	sr       *ort.Scalar[int64]
	slots    []slot    // slots[b-1] is for b streams
	ready    []*Stream // ProcessBatch scratch, reused
	maxBatch int
	runs     uint64
	windows  uint64
}

// New loads the ONNX Runtime library (once per process) and creates a
// session of the Silero VAD v5 model, on one thread (intra- and inter-op
// thread pools of size 1, no spinning): the calling goroutine's thread runs
// the model. By default both files come from DefaultDir; see WithDir. A
// missing file gives ErrRuntime or ErrModel with a hint to run
// deploy/dev/models.sh.
func New(opts ...Option) (*Model, error) {
	cfg := modelConfig{dir: DefaultDir, maxBatch: DefaultMaxBatch}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	modelPath, runtimePath := cfg.paths()
	if err := loadRuntime(runtimePath); err != nil {
		return nil, err
	}
	onnx, err := os.ReadFile(modelPath)
	if err != nil {
		return nil, fmt.Errorf("%w: %w (run deploy/dev/models.sh)", ErrModel, err)
	}
	m := &Model{maxBatch: cfg.maxBatch}
	if err := m.init(onnx); err != nil {
		m.destroy()
		return nil, fmt.Errorf("%w: %s: %w", ErrModel, modelPath, err)
	}
	return m, nil
}

func (m *Model) init(onnx []byte) error {
	so, err := ort.NewSessionOptions()
	if err != nil {
		return fmt.Errorf("session options: %w", err)
	}
	defer so.Destroy()
	err = errors.Join(
		so.SetIntraOpNumThreads(1),
		so.SetInterOpNumThreads(1),
		so.SetExecutionMode(ort.ExecutionModeSequential),
		so.AddSessionConfigEntry("session.intra_op.allow_spinning", "0"),
		so.AddSessionConfigEntry("session.inter_op.allow_spinning", "0"),
	)
	if err != nil {
		return fmt.Errorf("session options: %w", err)
	}
	m.session, err = ort.NewDynamicAdvancedSessionWithONNXData(onnx,
		[]string{"input", "state", "sr"}, []string{"output", "stateN"}, so)
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	if m.sr, err = ort.NewScalar(int64(sampleRate)); err != nil {
		return fmt.Errorf("sr scalar: %w", err)
	}
	m.slots = make([]slot, m.maxBatch)
	m.ready = make([]*Stream, 0, m.maxBatch)
	// Batches of one serve Stream.Process; larger ones are made on first use.
	if err := m.slots[0].init(m.session, m.sr, 1); err != nil {
		return fmt.Errorf("batch of 1: %w", err)
	}
	return nil
}

func (s *slot) init(session *ort.DynamicAdvancedSession, sr *ort.Scalar[int64], b int64) error {
	var err error
	if s.input, err = ort.NewEmptyTensor[float32](ort.NewShape(b, rowSamples)); err != nil {
		return fmt.Errorf("input tensor: %w", err)
	}
	if s.state, err = ort.NewEmptyTensor[float32](ort.NewShape(2, b, stateHalf)); err != nil {
		return fmt.Errorf("state tensor: %w", err)
	}
	if s.output, err = ort.NewEmptyTensor[float32](ort.NewShape(b, 1)); err != nil {
		return fmt.Errorf("output tensor: %w", err)
	}
	if s.stateN, err = ort.NewEmptyTensor[float32](ort.NewShape(2, b, stateHalf)); err != nil {
		return fmt.Errorf("stateN tensor: %w", err)
	}
	if s.binding, err = session.CreateIoBinding(); err != nil {
		return fmt.Errorf("io binding: %w", err)
	}
	err = errors.Join(
		s.binding.BindInput("input", s.input),
		s.binding.BindInput("state", s.state),
		s.binding.BindInput("sr", sr),
		s.binding.BindOutput("output", s.output),
		s.binding.BindOutput("stateN", s.stateN),
	)
	if err != nil {
		return fmt.Errorf("bind: %w", err)
	}
	s.in, s.st, s.out, s.stN = s.input.GetData(), s.state.GetData(), s.output.GetData(), s.stateN.GetData()
	return nil
}

func (s *slot) destroy() {
	if s.binding != nil {
		_ = s.binding.Destroy()
	}
	for _, t := range []*ort.Tensor[float32]{s.input, s.state, s.output, s.stateN} {
		if t != nil {
			_ = t.Destroy()
		}
	}
	*s = slot{}
}

// destroy releases whatever init created. The caller holds mu or owns m.
func (m *Model) destroy() {
	for i := range m.slots {
		m.slots[i].destroy()
	}
	m.slots = nil
	if m.session != nil {
		_ = m.session.Destroy()
		m.session = nil
	}
	if m.sr != nil {
		_ = m.sr.Destroy()
		m.sr = nil
	}
}

// Close releases the session and its tensors. Streams of a closed Model
// return ErrClosed. Close is safe to call more than once; the runtime library
// stays loaded.
func (m *Model) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.destroy()
	return nil
}

// MaxBatch returns the largest number of windows the Model runs at once.
func (m *Model) MaxBatch() int { return m.maxBatch }

// Runs returns how many times the Model has run and how many windows those
// runs held, over all its streams: windows/runs is the mean batch size.
func (m *Model) Runs() (runs, windows uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.runs, m.windows
}

// runLocked infers the pending window of each stream (1 to maxBatch of
// them) in one run, with each stream's context and state swapped in, and
// hands each its probability. The caller holds mu.
func (m *Model) runLocked(streams []*Stream) error {
	if m.session == nil {
		return ErrClosed
	}
	b := len(streams)
	sl := &m.slots[b-1]
	if sl.binding == nil {
		if err := sl.init(m.session, m.sr, int64(b)); err != nil {
			sl.destroy()
			return fmt.Errorf("%w: tensors for a batch of %d: %w", ErrInference, b, err)
		}
	}
	half := b * stateHalf // one of the two [b, 128] halves of the state
	for i, s := range streams {
		row := sl.in[i*rowSamples : (i+1)*rowSamples]
		copy(row, s.ctx[:])
		x := row[ContextSamples:]
		for j, v := range s.pend[:WindowSamples] {
			x[j] = float32(v) * (1.0 / 32768)
		}
		copy(s.ctx[:], x[WindowSamples-ContextSamples:])
		copy(sl.st[i*stateHalf:(i+1)*stateHalf], s.state[:stateHalf])
		copy(sl.st[half+i*stateHalf:half+(i+1)*stateHalf], s.state[stateHalf:])
	}
	if err := m.session.RunWithBinding(sl.binding); err != nil {
		return fmt.Errorf("%w: %w", ErrInference, err)
	}
	m.runs++
	m.windows += uint64(b)
	for i, s := range streams {
		copy(s.state[:stateHalf], sl.stN[i*stateHalf:(i+1)*stateHalf])
		copy(s.state[stateHalf:], sl.stN[half+i*stateHalf:half+(i+1)*stateHalf])
		s.finishWindow(sl.out[i])
	}
	return nil
}
