package silero

import (
	"fmt"

	"github.com/avatar-fi/avatar/media/vad"
)

// MaxFrameSamples is the longest frame Stream.Process accepts: 100 ms at
// 16 kHz, as vad.Energy.
const MaxFrameSamples = sampleRate / 10

// Stats counts a Stream's frames and windows since it was created (Reset
// keeps them).
type Stats struct {
	// Frames is the number of frames processed.
	Frames uint64
	// Windows is the number of complete 512-sample windows.
	Windows uint64
	// Skipped is the number of those windows the energy gate found clearly
	// silent and did not run through the model.
	Skipped uint64
}

// Stream is one call's Silero VAD: a vad.Detector for 16 kHz mono frames of
// 1 to MaxFrameSamples samples (320, 20 ms, on the call path). It buffers
// frames into 512-sample windows, runs each window through its Model with the
// stream's own state and context, and returns for each frame the probability
// of its latest window (0 before the first one, after 32 ms).
//
// A Stream is about 6 KB and allocates nothing per frame. It is not safe for
// concurrent use; the Model it shares may be used by other goroutines'
// Streams at the same time.
type Stream struct {
	m         *Model
	one       [1]*Stream // itself, to run alone without allocating
	energy    *vad.Energy
	gateBelow float32
	decay     float32

	state [StateSize]float32
	ctx   [ContextSamples]float32
	pend  [WindowSamples + MaxFrameSamples]int16
	n     int     // samples pending in pend
	quiet int     // trailing samples of pend in clearly silent frames
	p     float32 // latest probability
	stats Stats

	// Per frame.
	silent bool // the energy gate found this frame clearly silent
	ran    bool // a window of this frame went through the model
	failed bool // begin rejected this frame
}

// NewStream returns a Stream on m with the default energy gate
// (WithEnergyGate(DefaultGateBelow, DefaultGateDecay)) unless opts change it.
func (m *Model) NewStream(opts ...StreamOption) (*Stream, error) {
	s := &Stream{m: m, gateBelow: DefaultGateBelow, decay: DefaultGateDecay}
	s.one[0] = s
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(s); err != nil {
			return nil, err
		}
	}
	if s.gateBelow > 0 {
		e, err := vad.NewEnergy()
		if err != nil {
			return nil, fmt.Errorf("energy gate: %w", err)
		}
		s.energy = e
	}
	m.mu.Lock()
	closed := m.session == nil
	m.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	return s, nil
}

// Process takes the next frame and returns the speech probability of the
// latest window, or, after clearly silent frames, that probability decayed.
// It returns vad.ErrFrameSize (wrapped) for an empty frame or one longer than
// MaxFrameSamples, ErrClosed after the Model was closed, and ErrInference if
// the model fails; the stream stays usable after an error.
func (s *Stream) Process(frame []int16) (float32, error) {
	if err := s.begin(frame); err != nil {
		return s.p, err
	}
	var err error
	for s.next() {
		s.m.mu.Lock()
		rerr := s.m.runLocked(s.one[:])
		s.m.mu.Unlock()
		if rerr != nil {
			s.dropWindow()
			err = rerr
		}
	}
	return s.end(), err
}

// begin checks frame, runs the energy gate on it and appends it.
func (s *Stream) begin(frame []int16) error {
	s.ran, s.silent, s.failed = false, false, true
	if len(frame) == 0 || len(frame) > MaxFrameSamples {
		return fmt.Errorf("%w: %d samples, want 1..%d", vad.ErrFrameSize, len(frame), MaxFrameSamples)
	}
	if s.energy != nil {
		pe, err := s.energy.Process(frame)
		if err != nil {
			return fmt.Errorf("energy gate: %w", err)
		}
		s.silent = pe < s.gateBelow
	}
	s.failed = false
	s.stats.Frames++
	s.n += copy(s.pend[s.n:], frame)
	if s.silent {
		s.quiet = min(s.quiet+len(frame), s.n)
	} else {
		s.quiet = 0
	}
	return nil
}

// next reports whether a complete window waits in pend[:WindowSamples] for
// the model, after passing over the clearly silent ones.
func (s *Stream) next() bool {
	for s.n >= WindowSamples {
		s.stats.Windows++
		if s.quiet < s.n { // some sample of the window is not clearly silent
			return true
		}
		s.stats.Skipped++
		for i, v := range s.pend[WindowSamples-ContextSamples : WindowSamples] {
			s.ctx[i] = float32(v) * (1.0 / 32768)
		}
		s.dropWindow()
	}
	return false
}

// finishWindow takes the model's probability for the pending window.
func (s *Stream) finishWindow(p float32) {
	s.p, s.ran = p, true
	s.dropWindow()
}

// dropWindow removes the first window from pend.
func (s *Stream) dropWindow() {
	s.n = copy(s.pend[:], s.pend[WindowSamples:s.n])
	s.quiet = min(s.quiet, s.n)
}

// end returns the frame's probability.
func (s *Stream) end() float32 {
	if s.silent && !s.ran {
		s.p *= s.decay
	}
	return s.p
}

// Reset forgets the stream, as for a new call: state, context, buffered
// samples, probability and the energy gate's levels. Stats are kept.
func (s *Stream) Reset() {
	s.state = [StateSize]float32{}
	s.ctx = [ContextSamples]float32{}
	s.n, s.quiet, s.p = 0, 0, 0
	if s.energy != nil {
		s.energy.Reset()
	}
}

// Stats returns the stream's counters.
func (s *Stream) Stats() Stats { return s.stats }

var _ vad.Detector = (*Stream)(nil)
