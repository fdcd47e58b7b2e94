package endpoint

import (
	"fmt"
	"time"
)

// Defaults for Config fields left zero.
const (
	DefaultFrameDuration = 20 * time.Millisecond
	DefaultMinSpeech     = 60 * time.Millisecond
	DefaultSilence       = 250 * time.Millisecond
	DefaultEarlySilence  = 160 * time.Millisecond
	DefaultLateSilence   = 600 * time.Millisecond
)

// Config sets up an Endpointer. Zero fields take their defaults. Durations
// are rounded up to whole frames.
type Config struct {
	// FrameDuration is the audio duration of one Push (default 20 ms).
	FrameDuration time.Duration
	// MinSpeech is how much continuous speech starts a turn (default
	// 60 ms): shorter bursts (clicks, a cough) are ignored.
	MinSpeech time.Duration
	// Silence is the trailing silence that ends a turn when the transcript
	// gives no cue (default 250 ms, the endpointing budget of DESIGN.md).
	Silence time.Duration
	// EarlySilence replaces Silence when the transcript looks complete
	// (default 160 ms). It must not exceed Silence.
	EarlySilence time.Duration
	// LateSilence replaces Silence when the transcript trails off or is
	// empty (default 600 ms). It must not be below Silence.
	LateSilence time.Duration
	// Tentative, when positive, emits a Pause event after this much trailing
	// silence, before the turn is decided, so that the caller can start
	// finalising the transcript and preparing a reply; Resume follows if
	// speech comes back first. Zero (the default) disables both. It must be
	// below EarlySilence.
	Tentative time.Duration
	// Cue judges partial transcripts (default DefaultCue).
	Cue CueFunc
}

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.FrameDuration == 0 {
		c.FrameDuration = DefaultFrameDuration
	}
	if c.MinSpeech == 0 {
		c.MinSpeech = DefaultMinSpeech
	}
	if c.Silence == 0 {
		c.Silence = DefaultSilence
	}
	if c.EarlySilence == 0 {
		c.EarlySilence = min(DefaultEarlySilence, c.Silence)
	}
	if c.LateSilence == 0 {
		c.LateSilence = max(DefaultLateSilence, c.Silence)
	}
	if c.Cue == nil {
		c.Cue = DefaultCue
	}
	return c
}

// validate checks a Config that has its defaults applied.
func (c Config) validate() error {
	switch {
	case c.FrameDuration < time.Millisecond || c.FrameDuration > time.Second:
		return fmt.Errorf("%w: FrameDuration %v, want 1ms..1s", ErrInvalidConfig, c.FrameDuration)
	case c.MinSpeech < 0:
		return fmt.Errorf("%w: MinSpeech %v is negative", ErrInvalidConfig, c.MinSpeech)
	case c.Silence < 0 || c.Silence > time.Minute:
		return fmt.Errorf("%w: Silence %v, want 0..1m", ErrInvalidConfig, c.Silence)
	case c.EarlySilence < 0 || c.EarlySilence > c.Silence:
		return fmt.Errorf("%w: EarlySilence %v, want 0..Silence (%v)", ErrInvalidConfig, c.EarlySilence, c.Silence)
	case c.LateSilence < c.Silence || c.LateSilence > time.Minute:
		return fmt.Errorf("%w: LateSilence %v, want Silence (%v)..1m", ErrInvalidConfig, c.LateSilence, c.Silence)
	case c.Tentative < 0 || (c.Tentative > 0 && c.Tentative >= c.EarlySilence):
		return fmt.Errorf("%w: Tentative %v, want 0 or below EarlySilence (%v)", ErrInvalidConfig, c.Tentative, c.EarlySilence)
	}
	return nil
}

// frames converts d to a whole number of frames, rounding up.
func (c Config) frames(d time.Duration) int64 {
	return int64((d + c.FrameDuration - 1) / c.FrameDuration)
}
