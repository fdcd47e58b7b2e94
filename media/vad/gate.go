package vad

import "fmt"

// Default Gate thresholds: the hysteresis that ENGINES.md measured for Silero
// VAD v5 (speech from p ≥ 0.5, back to silence when p < 0.35). Energy's
// probabilities are scaled so that the same thresholds suit it.
const (
	DefaultOnThreshold  = 0.5
	DefaultOffThreshold = 0.35
)

// Gate turns speech probabilities into speech/silence decisions with
// hysteresis: it switches to speech when p ≥ on and back to silence only when
// p < off, so a probability wavering around one threshold does not flap.
// The zero Gate is not usable; use NewGate. A Gate is not safe for concurrent
// use.
type Gate struct {
	on, off float32
	speech  bool
}

// NewGate returns a Gate in the silence state with thresholds
// 0 < off ≤ on ≤ 1.
func NewGate(on, off float32) (*Gate, error) {
	if !(off > 0 && off <= on && on <= 1) {
		return nil, fmt.Errorf("%w: gate thresholds on %g, off %g; want 0 < off <= on <= 1", ErrInvalidOption, on, off)
	}
	return &Gate{on: on, off: off}, nil
}

// Update feeds the next probability and returns whether the frame is speech.
func (g *Gate) Update(p float32) bool {
	if g.speech {
		g.speech = p >= g.off
	} else {
		g.speech = p >= g.on
	}
	return g.speech
}

// Speech returns the current decision.
func (g *Gate) Speech() bool { return g.speech }

// Reset returns the gate to silence.
func (g *Gate) Reset() { g.speech = false }
