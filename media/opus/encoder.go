package opus

import (
	"errors"
	"fmt"

	libopus "gopkg.in/hraban/opus.v2"
)

// MaxPacketBytes is the largest Opus packet for one 20 ms mono frame (RFC 6716
// caps a frame at 1275 bytes). A destination buffer of this size never makes
// Encode fail with ErrBufferTooSmall.
const MaxPacketBytes = 1275

// FrameSamples returns the number of mono samples in a 20 ms frame at the
// given sample rate: 960 at 48 kHz, 320 at 16 kHz.
func FrameSamples(sampleRate int) int { return sampleRate / 50 }

// Encoder encodes 20 ms mono PCM frames into Opus packets, configured for
// speech (VOIP application, in-band FEC, packet-loss hint).
//
// An Encoder is not safe for concurrent use. Its memory belongs to the Go heap;
// there is nothing to close.
type Encoder struct {
	enc          *libopus.Encoder
	sampleRate   int
	frameSamples int
}

// NewEncoder returns an Encoder with the defaults (48 kHz, DefaultBitrate,
// DefaultComplexity, DefaultBandwidth, FEC on, DefaultPacketLossPercent)
// changed by opts.
func NewEncoder(opts ...EncoderOption) (*Encoder, error) {
	cfg := encoderConfig{
		sampleRate: DefaultSampleRate,
		bitrate:    DefaultBitrate,
		complexity: DefaultComplexity,
		packetLoss: DefaultPacketLossPercent,
		fec:        true,
		bandwidth:  DefaultBandwidth,
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o.applyEncoder(&cfg); err != nil {
			return nil, err
		}
	}
	enc, err := libopus.NewEncoder(cfg.sampleRate, 1, libopus.AppVoIP)
	if err != nil {
		return nil, fmt.Errorf("%w: create encoder: %w", ErrCodec, err)
	}
	steps := []struct {
		name string
		set  func() error
	}{
		{"bitrate", func() error { return enc.SetBitrate(cfg.bitrate) }},
		{"complexity", func() error { return enc.SetComplexity(cfg.complexity) }},
		{"in-band FEC", func() error { return enc.SetInBandFEC(cfg.fec) }},
		{"packet loss", func() error { return enc.SetPacketLossPerc(cfg.packetLoss) }},
		{"max bandwidth", func() error { return enc.SetMaxBandwidth(libopus.Bandwidth(cfg.bandwidth)) }},
	}
	for _, s := range steps {
		if err := s.set(); err != nil {
			return nil, fmt.Errorf("%w: set %s: %w", ErrCodec, s.name, err)
		}
	}
	return &Encoder{enc: enc, sampleRate: cfg.sampleRate, frameSamples: FrameSamples(cfg.sampleRate)}, nil
}

// SampleRate returns the PCM sample rate in hertz.
func (e *Encoder) SampleRate() int { return e.sampleRate }

// FrameSamples returns the number of samples Encode takes: one 20 ms frame.
func (e *Encoder) FrameSamples() int { return e.frameSamples }

// Encode encodes one 20 ms frame of mono PCM (exactly FrameSamples samples)
// into dst and returns the packet length. A dst of MaxPacketBytes always
// suffices. It allocates nothing.
func (e *Encoder) Encode(pcm []int16, dst []byte) (int, error) {
	if len(pcm) != e.frameSamples {
		return 0, fmt.Errorf("%w: encode got %d samples, want %d", ErrFrameSize, len(pcm), e.frameSamples)
	}
	if len(dst) == 0 {
		return 0, fmt.Errorf("%w: empty destination", ErrBufferTooSmall)
	}
	// The binding uses cap(dst) as the output size; never let libopus write
	// past len(dst).
	n, err := e.enc.Encode(pcm, dst[:len(dst):len(dst)])
	if err != nil {
		return 0, wrapLibopus("encode", err)
	}
	return n, nil
}

// SetBitrate changes the target bitrate in bits per second (6000..510000),
// for example after congestion feedback.
func (e *Encoder) SetBitrate(bps int) error {
	if bps < 6000 || bps > 510000 {
		return fmt.Errorf("%w: bitrate %d b/s, want 6000..510000", ErrInvalidOption, bps)
	}
	if err := e.enc.SetBitrate(bps); err != nil {
		return wrapLibopus("set bitrate", err)
	}
	return nil
}

// SetPacketLoss changes the expected packet loss hint in percent (0..100), for
// example from RTCP receiver reports, which resizes the FEC data.
func (e *Encoder) SetPacketLoss(percent int) error {
	if percent < 0 || percent > 100 {
		return fmt.Errorf("%w: packet loss %d%%, want 0..100", ErrInvalidOption, percent)
	}
	if err := e.enc.SetPacketLossPerc(percent); err != nil {
		return wrapLibopus("set packet loss", err)
	}
	return nil
}

// Reset returns the encoder to its freshly initialised state, keeping its
// settings, for example when a new talk spurt starts after a long pause.
func (e *Encoder) Reset() error {
	if err := e.enc.Reset(); err != nil {
		return wrapLibopus("reset", err)
	}
	return nil
}

// wrapLibopus maps a libopus error onto this package's sentinels.
func wrapLibopus(op string, err error) error {
	var code libopus.Error
	if errors.As(err, &code) {
		switch code {
		case libopus.ErrInvalidPacket:
			return fmt.Errorf("%w: %s: %w", ErrInvalidPacket, op, err)
		case libopus.ErrBufferTooSmall:
			return fmt.Errorf("%w: %s: %w", ErrBufferTooSmall, op, err)
		}
	}
	return fmt.Errorf("%w: %s: %w", ErrCodec, op, err)
}
