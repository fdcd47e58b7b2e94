package pitch

import (
	"fmt"
	"math"
)

// SampleRate is the sample rate a Tracker takes, in hertz.
const SampleRate = 16000

// MaxFrameSamples is the longest frame Process accepts (100 ms).
const MaxFrameSamples = SampleRate / 10

// Defaults of a Tracker; see the options of the same names.
const (
	DefaultMinHz     = 60
	DefaultMaxHz     = 400
	DefaultThreshold = 0.2
)

const (
	rate   = SampleRate / 2 // analysis rate after decimation
	window = rate * 30 / 1000
)

// Estimate is the pitch of the latest 30 ms.
type Estimate struct {
	// Hz is the fundamental frequency, or 0 when the audio is not periodic
	// enough (unvoiced sounds, silence, noise).
	Hz float32
	// Aperiodicity is YIN's normalised difference at the chosen lag: near 0
	// for a clean periodic signal, 1 for noise. It is set for unvoiced
	// frames too (the lowest dip found).
	Aperiodicity float32
}

// Option configures a Tracker.
type Option func(*Tracker) error

// WithRange sets the lowest and highest F0 searched, in hertz (default
// DefaultMinHz to DefaultMaxHz, adult speech). 40 ≤ minHz < maxHz ≤ 1000.
func WithRange(minHz, maxHz float64) Option {
	return func(t *Tracker) error {
		if !(minHz >= 40 && minHz < maxHz && maxHz <= 1000) {
			return fmt.Errorf("%w: range %g..%g Hz, want 40 <= min < max <= 1000", ErrInvalidOption, minHz, maxHz)
		}
		t.minLag = int(math.Floor(rate / maxHz))
		t.maxLag = int(math.Ceil(rate / minHz))
		return nil
	}
}

// WithThreshold sets the YIN threshold on the normalised difference under
// which a lag counts as the period (default DefaultThreshold). Lower is
// stricter about voicing. 0 < th < 1.
func WithThreshold(th float64) Option {
	return func(t *Tracker) error {
		if !(th > 0 && th < 1) {
			return fmt.Errorf("%w: threshold %g, want (0, 1)", ErrInvalidOption, th)
		}
		t.threshold = float32(th)
		return nil
	}
}

// Tracker estimates the pitch of one stream of 16 kHz mono audio.
type Tracker struct {
	minLag, maxLag int
	threshold      float32

	buf  []float32 // 8 kHz samples; the latest span are buf[end-span:end]
	end  int
	span int     // window+maxLag+1: the samples one estimate reads
	n    int     // samples seen, up to span
	odd  bool    // a sample is pending for the decimator
	x1   float32 // decimator state: the previous input samples
	x2   float32
	d    []float32 // difference function scratch, by lag
}

// New returns a Tracker with opts applied.
func New(opts ...Option) (*Tracker, error) {
	t := &Tracker{threshold: DefaultThreshold}
	if err := WithRange(DefaultMinHz, DefaultMaxHz)(t); err != nil {
		return nil, err
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(t); err != nil {
			return nil, err
		}
	}
	t.span = window + t.maxLag + 1
	t.buf = make([]float32, t.span+MaxFrameSamples)
	t.end = t.span
	t.d = make([]float32, t.maxLag+2)
	return t, nil
}

// Skip takes the next frame into the history without analysing it, for
// frames the caller knows hold no speech.
func (t *Tracker) Skip(frame []int16) error {
	if len(frame) == 0 || len(frame) > MaxFrameSamples {
		return fmt.Errorf("%w: %d samples, want 1..%d", ErrFrameSize, len(frame), MaxFrameSamples)
	}
	t.push(frame)
	return nil
}

// Process takes the next frame (1 to MaxFrameSamples samples, 320 on the
// call path) and returns the pitch of the latest 30 ms. Before 30 ms of
// audio has been seen it reports unvoiced.
func (t *Tracker) Process(frame []int16) (Estimate, error) {
	if err := t.Skip(frame); err != nil {
		return Estimate{}, err
	}
	return t.estimate(), nil
}

// Reset forgets the stream.
func (t *Tracker) Reset() {
	clear(t.buf)
	t.end, t.n, t.odd, t.x1, t.x2 = t.span, 0, false, 0, 0
}

// push decimates frame to 8 kHz (a [1 2 1]/4 low-pass, then every other
// sample) and appends it to the history.
func (t *Tracker) push(frame []int16) {
	if t.end+len(frame)/2+1 > len(t.buf) {
		t.end = copy(t.buf, t.buf[t.end-t.span:t.end])
	}
	for _, v := range frame {
		x := float32(v)
		if t.odd {
			t.buf[t.end] = 0.25*t.x2 + 0.5*t.x1 + 0.25*x
			t.end++
			t.n = min(t.n+1, t.span)
		}
		t.x2, t.x1 = t.x1, x
		t.odd = !t.odd
	}
}

// estimate runs YIN on the latest window.
func (t *Tracker) estimate() Estimate {
	if t.n < t.span {
		return Estimate{Aperiodicity: 1}
	}
	x := t.buf[t.end-t.span : t.end]
	w := window
	// Difference function d(τ) = Σ_j (x_j − x_{j+τ})², j over the window
	// that ends maxLag samples before the newest, so that x_{j+τ} exists.
	base := 0
	var energy float32
	for j := base; j < base+w; j++ {
		energy += x[j] * x[j]
	}
	if energy < float32(w)*100 { // under about -50 dBFS: silence
		return Estimate{Aperiodicity: 1}
	}
	d := t.d
	d[0] = 1
	var sum float32
	best, bestTau := float32(2), 0
	found := false
	for tau := 1; tau <= t.maxLag; tau++ {
		var s float32
		a := x[base : base+w]
		b := x[base+tau : base+tau+w]
		for j := range a {
			e := a[j] - b[j]
			s += e * e
		}
		sum += s
		if sum == 0 {
			d[tau] = 1
			continue
		}
		d[tau] = s * float32(tau) / sum
		if tau < t.minLag+1 {
			continue
		}
		// The first dip under the threshold: its local minimum.
		prev := d[tau-1]
		if !found && tau-1 >= t.minLag && prev < t.threshold && prev <= d[tau] {
			best, bestTau, found = prev, tau-1, true
			break
		}
		if prev < best && tau-1 >= t.minLag {
			best, bestTau = prev, tau-1
		}
	}
	if !found {
		return Estimate{Aperiodicity: min(best, 1)}
	}
	// Parabolic interpolation around the dip.
	tau := float32(bestTau)
	if bestTau > 1 && bestTau < t.maxLag {
		a, b, c := d[bestTau-1], d[bestTau], d[bestTau+1]
		if den := a - 2*b + c; den > 0 {
			tau += 0.5 * (a - c) / den
		}
	}
	return Estimate{Hz: rate / tau, Aperiodicity: best}
}
