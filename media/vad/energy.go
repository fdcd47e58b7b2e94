package vad

import (
	"fmt"
	"math"
	"time"
)

// Defaults of the Energy detector; see the options of the same names. They
// were chosen on the labelled clips of shared/data/speech (see README.md).
const (
	DefaultPeakFraction = 0.05
	DefaultNoiseFactor  = 3.0
	DefaultMinLevel     = 60.0 // RMS in int16 units, about -55 dBFS
	DefaultPeakDecay    = 3 * time.Second
	DefaultNoiseRise    = 1.5 // dB per second
)

// EnergyOption configures an Energy detector.
type EnergyOption func(*Energy) error

// WithPeakFraction sets the fraction of the running peak RMS that a frame must
// exceed to count as speech (default DefaultPeakFraction, 5%, i.e. 26 dB below
// the loudest recent speech). Range 0 to 1.
func WithPeakFraction(f float64) EnergyOption {
	return func(e *Energy) error {
		if !(f >= 0 && f < 1) {
			return fmt.Errorf("%w: peak fraction %g, want 0..1", ErrInvalidOption, f)
		}
		e.peakFrac = f
		return nil
	}
}

// WithNoiseFactor sets how many times the noise-floor RMS a frame must exceed
// to count as speech (default DefaultNoiseFactor). At least 1.
func WithNoiseFactor(m float64) EnergyOption {
	return func(e *Energy) error {
		if !(m >= 1 && m < 1000) {
			return fmt.Errorf("%w: noise factor %g, want 1..1000", ErrInvalidOption, m)
		}
		e.noiseFactor = m
		return nil
	}
}

// WithMinLevel sets the RMS (in int16 units) below which a frame is never
// speech, whatever the noise floor (default DefaultMinLevel).
func WithMinLevel(rms float64) EnergyOption {
	return func(e *Energy) error {
		if !(rms >= 0 && rms < 32768) {
			return fmt.Errorf("%w: min level %g, want 0..32767", ErrInvalidOption, rms)
		}
		e.minLevel = rms
		return nil
	}
}

// WithPeakDecay sets the time constant with which the running peak decays
// when speech gets quieter (default DefaultPeakDecay).
func WithPeakDecay(d time.Duration) EnergyOption {
	return func(e *Energy) error {
		if d < 100*time.Millisecond || d > time.Hour {
			return fmt.Errorf("%w: peak decay %v, want 100ms..1h", ErrInvalidOption, d)
		}
		e.peakDecay = d
		return nil
	}
}

// WithNoiseRise sets how fast, in dB per second, the noise floor may rise
// while the signal stays above it (default DefaultNoiseRise). It falls at once
// to any quieter frame. Faster tracks rising noise sooner but lets long
// speech raise its own threshold.
func WithNoiseRise(dBPerSecond float64) EnergyOption {
	return func(e *Energy) error {
		if !(dBPerSecond > 0 && dBPerSecond <= 60) {
			return fmt.Errorf("%w: noise rise %g dB/s, want (0, 60]", ErrInvalidOption, dBPerSecond)
		}
		e.noiseRise = dBPerSecond
		return nil
	}
}

// Energy is a Detector that compares each frame's RMS level with an adaptive
// threshold: the larger of a fraction of the running speech peak, a multiple
// of the running noise floor, and a fixed minimum. It returns a soft
// probability p = P/(P+T) from the frame power P and the threshold power T,
// so p = 0.5 at the threshold and p = 0.35 at 2.7 dB below it, which gives
// Gate's default hysteresis a meaning in level.
//
// Energy accepts frames of 1 to 100 ms at 16 kHz and works with any length,
// adapting its time constants; it allocates nothing. Its state is a few
// numbers per stream. It is not safe for concurrent use.
type Energy struct {
	peakFrac, noiseFactor, minLevel float64
	peakDecay                       time.Duration
	noiseRise                       float64

	started bool
	frameN  int     // frame length the factors below are for
	riseMul float64 // noise-floor rise per frame
	decMul  float64 // peak decay per frame
	noise   float64 // running noise-floor RMS
	peak    float64 // running peak RMS
	level   float64 // RMS of the last frame
	thresh  float64 // threshold RMS used for the last frame
}

// NewEnergy returns an Energy detector with the defaults changed by opts.
func NewEnergy(opts ...EnergyOption) (*Energy, error) {
	e := &Energy{
		peakFrac:    DefaultPeakFraction,
		noiseFactor: DefaultNoiseFactor,
		minLevel:    DefaultMinLevel,
		peakDecay:   DefaultPeakDecay,
		noiseRise:   DefaultNoiseRise,
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(e); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// Process returns the speech probability of frame; see Energy.
func (e *Energy) Process(frame []int16) (float32, error) {
	n := len(frame)
	if n == 0 || n > SampleRate/10 {
		return 0, fmt.Errorf("%w: %d samples, want 1..%d", ErrFrameSize, n, SampleRate/10)
	}
	var sum int64
	for _, s := range frame {
		sum += int64(s) * int64(s)
	}
	rms := math.Sqrt(float64(sum) / float64(n))
	if n != e.frameN {
		dt := float64(n) / SampleRate // seconds in a frame
		e.frameN = n
		e.riseMul = math.Pow(10, e.noiseRise*dt/20)
		e.decMul = math.Exp(-dt / e.peakDecay.Seconds())
	}
	if !e.started {
		e.started = true
		e.noise = max(rms, 1)
		e.peak = rms
	}
	// Noise floor: down at once, up slowly.
	if rms < e.noise {
		e.noise = max(rms, 1)
	} else {
		e.noise = min(rms, e.noise*e.riseMul)
	}
	// Peak: up at once, decaying exponentially towards the noise floor.
	if rms > e.peak {
		e.peak = rms
	} else {
		e.peak = e.noise + (e.peak-e.noise)*e.decMul
	}
	t := max(e.peakFrac*e.peak, e.noiseFactor*e.noise, e.minLevel, 1)
	e.level, e.thresh = rms, t
	p := rms * rms
	return float32(p / (p + t*t)), nil
}

// Level returns the RMS of the last frame and the threshold RMS it was
// compared with, in int16 units, for metrics and debugging.
func (e *Energy) Level() (rms, threshold float64) { return e.level, e.thresh }

// Reset forgets the noise floor and peak, as for a new call.
func (e *Energy) Reset() {
	e.started = false
	e.noise, e.peak, e.level, e.thresh = 0, 0, 0, 0
}
