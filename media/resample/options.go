package resample

import "fmt"

// Defaults of the filter design.
const (
	// DefaultAttenuationDB is the designed stop-band attenuation in decibels.
	// The measured rejection of 48 kHz ↔ 16 kHz is above 60 dB everywhere at
	// or beyond 8 kHz (see the package tests).
	DefaultAttenuationDB = 70
	// DefaultPassband is the edge of the flat passband as a fraction of the
	// lower rate's Nyquist frequency: 0.875 puts it at 7 kHz for 16 kHz.
	DefaultPassband = 0.875
	// MaxFactor is the largest integer ratio between the two rates.
	MaxFactor = 12
)

// Option configures a Resampler's filter. Options check their value and make
// New fail with ErrInvalidOption when it is out of range.
type Option func(*config) error

type config struct {
	attenDB  float64
	passband float64
}

// WithAttenuation sets the designed stop-band attenuation in decibels, 40 to
// 140 (default DefaultAttenuationDB). Each 10 dB more costs about 15% more
// filter taps, hence CPU.
func WithAttenuation(dB float64) Option {
	return func(c *config) error {
		if !(dB >= 40 && dB <= 140) {
			return fmt.Errorf("%w: attenuation %g dB, want 40..140", ErrInvalidOption, dB)
		}
		c.attenDB = dB
		return nil
	}
}

// WithPassband sets the edge of the passband as a fraction of the lower
// rate's Nyquist frequency, 0.5 to 0.97 (default DefaultPassband). The stop
// band always starts at that Nyquist frequency; a wider passband means a
// narrower transition and a longer, costlier filter.
func WithPassband(fraction float64) Option {
	return func(c *config) error {
		if !(fraction >= 0.5 && fraction <= 0.97) {
			return fmt.Errorf("%w: passband %g, want 0.5..0.97", ErrInvalidOption, fraction)
		}
		c.passband = fraction
		return nil
	}
}
