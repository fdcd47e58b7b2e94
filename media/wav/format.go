package wav

import "fmt"

// MaxSampleRate is the highest sample rate accepted, in hertz.
const MaxSampleRate = 768000

// MaxChannels is the highest channel count accepted: mono or stereo.
const MaxChannels = 2

// bytesPerSample is fixed: only 16-bit PCM is supported.
const bytesPerSample = 2

// Format describes the PCM samples of a WAV file. Samples are always 16-bit.
type Format struct {
	// SampleRate is the number of frames per second, 1..MaxSampleRate.
	SampleRate int
	// Channels is 1 (mono) or 2 (stereo, interleaved left, right).
	Channels int
}

// Validate reports whether f can be read or written by this package, wrapping
// ErrInvalidFormat when it cannot.
func (f Format) Validate() error {
	if f.Channels < 1 || f.Channels > MaxChannels {
		return fmt.Errorf("%w: %d channels, want 1 or 2", ErrInvalidFormat, f.Channels)
	}
	if f.SampleRate < 1 || f.SampleRate > MaxSampleRate {
		return fmt.Errorf("%w: sample rate %d Hz, want 1..%d", ErrInvalidFormat, f.SampleRate, MaxSampleRate)
	}
	return nil
}

// blockAlign is the size in bytes of one frame (one sample per channel).
func (f Format) blockAlign() int { return f.Channels * bytesPerSample }
