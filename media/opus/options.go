package opus

import (
	"fmt"

	libopus "gopkg.in/hraban/opus.v2"
)

// Defaults applied by NewEncoder and NewDecoder before options.
const (
	// DefaultSampleRate is the PCM sample rate in hertz, the WebRTC Opus rate.
	DefaultSampleRate = 48000
	// DefaultBitrate is the target bitrate in bits per second: enough for
	// full-band speech with in-band FEC at the default loss hint.
	DefaultBitrate = 32000
	// DefaultComplexity is the encoder complexity (0 fastest … 10 best).
	// Encoding is the costliest step of a call's media path: on the
	// project's machines (2 vCPU AMD EPYC, 2.45 GHz) libopus takes about
	// 110 µs per 20 ms frame at complexity 0, 120 µs at 1, 230–300 µs at 5
	// and 500–600 µs at 10, and the whole path must stay within 150 µs
	// (DESIGN.md). For speech at 32 kb/s the quality given up is small next
	// to that of the TTS voice itself; raise it where CPU allows.
	DefaultComplexity = 0
	// DefaultBandwidth caps the encoded audio bandwidth at wideband (8 kHz):
	// the reply audio of a call comes from 16 kHz speech, so nothing above
	// 8 kHz is lost, and the encoder stays in SILK mode, which costs about
	// half of the hybrid mode in CPU (see the benchmarks).
	DefaultBandwidth = Wideband
	// DefaultPacketLossPercent is the expected packet loss hint, which sizes
	// the in-band FEC data.
	DefaultPacketLossPercent = 10
)

// EncoderOption configures an Encoder. Options that take a value check it and
// make NewEncoder fail with ErrInvalidOption when it is out of range.
type EncoderOption interface {
	applyEncoder(*encoderConfig) error
}

// DecoderOption configures a Decoder.
type DecoderOption interface {
	applyDecoder(*decoderConfig) error
}

// Option configures both an Encoder and a Decoder.
type Option interface {
	EncoderOption
	DecoderOption
}

type encoderConfig struct {
	sampleRate int
	bitrate    int
	complexity int
	packetLoss int
	fec        bool
	bandwidth  Bandwidth
}

type decoderConfig struct {
	sampleRate int
}

type encoderOptionFunc func(*encoderConfig) error

func (f encoderOptionFunc) applyEncoder(c *encoderConfig) error { return f(c) }

type sampleRateOption int

func (o sampleRateOption) check() error {
	switch o {
	case 8000, 12000, 16000, 24000, 48000:
		return nil
	default:
		return fmt.Errorf("%w: sample rate %d Hz, want 8000, 12000, 16000, 24000 or 48000", ErrInvalidOption, int(o))
	}
}

func (o sampleRateOption) applyEncoder(c *encoderConfig) error {
	if err := o.check(); err != nil {
		return err
	}
	c.sampleRate = int(o)
	return nil
}

func (o sampleRateOption) applyDecoder(c *decoderConfig) error {
	if err := o.check(); err != nil {
		return err
	}
	c.sampleRate = int(o)
	return nil
}

// WithSampleRate sets the PCM sample rate in hertz: 8000, 12000, 16000, 24000
// or 48000 (the default). A frame is always 20 ms, i.e. rate/50 samples. The
// encoded stream is the same Opus stream whatever the PCM rate.
func WithSampleRate(hz int) Option {
	return sampleRateOption(hz)
}

// WithBitrate sets the target bitrate in bits per second, from 6000 to 510000
// (default DefaultBitrate).
func WithBitrate(bps int) EncoderOption {
	return encoderOptionFunc(func(c *encoderConfig) error {
		if bps < 6000 || bps > 510000 {
			return fmt.Errorf("%w: bitrate %d b/s, want 6000..510000", ErrInvalidOption, bps)
		}
		c.bitrate = bps
		return nil
	})
}

// WithComplexity sets the encoder complexity from 0 (fastest) to 10 (best)
// (default DefaultComplexity).
func WithComplexity(n int) EncoderOption {
	return encoderOptionFunc(func(c *encoderConfig) error {
		if n < 0 || n > 10 {
			return fmt.Errorf("%w: complexity %d, want 0..10", ErrInvalidOption, n)
		}
		c.complexity = n
		return nil
	})
}

// WithPacketLoss sets the expected packet loss in percent, 0 to 100 (default
// DefaultPacketLossPercent). The encoder spends more of the bitrate on FEC data
// as it grows; 0 turns FEC data off in practice.
func WithPacketLoss(percent int) EncoderOption {
	return encoderOptionFunc(func(c *encoderConfig) error {
		if percent < 0 || percent > 100 {
			return fmt.Errorf("%w: packet loss %d%%, want 0..100", ErrInvalidOption, percent)
		}
		c.packetLoss = percent
		return nil
	})
}

// WithFEC turns in-band forward error correction on or off (default on).
func WithFEC(on bool) EncoderOption {
	return encoderOptionFunc(func(c *encoderConfig) error {
		c.fec = on
		return nil
	})
}

// Bandwidth is an Opus audio bandwidth: the highest frequency the encoder
// keeps.
type Bandwidth int

// Opus bandwidths.
const (
	// Narrowband keeps up to 4 kHz.
	Narrowband Bandwidth = Bandwidth(libopus.Narrowband)
	// Mediumband keeps up to 6 kHz.
	Mediumband Bandwidth = Bandwidth(libopus.Mediumband)
	// Wideband keeps up to 8 kHz (16 kHz speech).
	Wideband Bandwidth = Bandwidth(libopus.Wideband)
	// SuperWideband keeps up to 12 kHz.
	SuperWideband Bandwidth = Bandwidth(libopus.SuperWideband)
	// Fullband keeps up to 20 kHz.
	Fullband Bandwidth = Bandwidth(libopus.Fullband)
)

// WithMaxBandwidth caps the audio bandwidth the encoder keeps (default
// DefaultBandwidth). Raise it to Fullband for 48 kHz sources such as music.
func WithMaxBandwidth(b Bandwidth) EncoderOption {
	return encoderOptionFunc(func(c *encoderConfig) error {
		switch b {
		case Narrowband, Mediumband, Wideband, SuperWideband, Fullband:
			c.bandwidth = b
			return nil
		default:
			return fmt.Errorf("%w: bandwidth %d", ErrInvalidOption, int(b))
		}
	})
}
