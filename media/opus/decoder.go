package opus

import (
	"fmt"

	libopus "gopkg.in/hraban/opus.v2"
)

// Decoder decodes Opus packets into mono PCM and conceals lost packets, either
// by packet loss concealment (PLC, extrapolated from the audio before the gap)
// or by forward error correction (FEC, from the redundant copy of the lost
// frame that the encoder put into the next packet).
//
// Feed a Decoder every packet in sequence order: for each missing sequence
// number call Decode with nil (PLC) or, when the next packet is already at
// hand, DecodeFEC with that packet, then Decode the next packet as usual.
//
// A Decoder is not safe for concurrent use.
type Decoder struct {
	dec          *libopus.Decoder
	sampleRate   int
	frameSamples int
	last         int // samples in the last packet decoded or concealed
}

// NewDecoder returns a Decoder for mono PCM at 48 kHz, or at the rate set by
// WithSampleRate.
func NewDecoder(opts ...DecoderOption) (*Decoder, error) {
	cfg := decoderConfig{sampleRate: DefaultSampleRate}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o.applyDecoder(&cfg); err != nil {
			return nil, err
		}
	}
	dec, err := libopus.NewDecoder(cfg.sampleRate, 1)
	if err != nil {
		return nil, fmt.Errorf("%w: create decoder: %w", ErrCodec, err)
	}
	return &Decoder{dec: dec, sampleRate: cfg.sampleRate, frameSamples: FrameSamples(cfg.sampleRate)}, nil
}

// SampleRate returns the PCM sample rate in hertz.
func (d *Decoder) SampleRate() int { return d.sampleRate }

// FrameSamples returns the number of samples in a 20 ms frame at the
// decoder's rate.
func (d *Decoder) FrameSamples() int { return d.frameSamples }

// Decode decodes one packet into pcm and returns the number of samples
// written. pcm must hold the packet's duration: FrameSamples for the 20 ms
// packets that WebRTC sends, up to 6 times that for 120 ms packets.
//
// A nil or empty packet means the packet was lost: Decode then writes one
// concealment frame (PLC) as long as the last packet decoded (20 ms before the
// first one). Decode allocates nothing.
func (d *Decoder) Decode(packet []byte, pcm []int16) (int, error) {
	if len(packet) == 0 {
		return d.conceal(pcm)
	}
	if len(pcm) < d.frameSamples/8 { // 2.5 ms, the shortest Opus frame
		return 0, fmt.Errorf("%w: decode into %d samples", ErrFrameSize, len(pcm))
	}
	n, err := d.dec.Decode(packet, pcm[:len(pcm):len(pcm)])
	if err != nil {
		return 0, wrapLibopus("decode", err)
	}
	d.last = n
	return n, nil
}

// DecodeFEC recovers the frame lost just before next, using the FEC data that
// next carries, and writes it into pcm. It returns the number of samples
// written: the duration of the last packet decoded (20 ms before the first
// one). When next carries no FEC data, libopus falls back to PLC, so the
// result is always usable.
//
// DecodeFEC does not consume next: decode next with Decode afterwards.
// It allocates nothing.
func (d *Decoder) DecodeFEC(next []byte, pcm []int16) (int, error) {
	if len(next) == 0 {
		return d.conceal(pcm)
	}
	n := d.lostSamples()
	if len(pcm) < n {
		return 0, fmt.Errorf("%w: FEC into %d samples, need %d", ErrFrameSize, len(pcm), n)
	}
	if err := d.dec.DecodeFEC(next, pcm[:n:n]); err != nil {
		return 0, wrapLibopus("decode FEC", err)
	}
	return n, nil
}

// conceal writes one PLC frame into pcm.
func (d *Decoder) conceal(pcm []int16) (int, error) {
	n := d.lostSamples()
	if len(pcm) < n {
		return 0, fmt.Errorf("%w: PLC into %d samples, need %d", ErrFrameSize, len(pcm), n)
	}
	if err := d.dec.DecodePLC(pcm[:n:n]); err != nil {
		return 0, wrapLibopus("conceal", err)
	}
	return n, nil
}

// lostSamples is the duration to conceal for one lost packet: the last
// packet's duration, or one 20 ms frame before any packet was decoded. It is
// tracked here rather than asked of libopus, whose getter allocates.
func (d *Decoder) lostSamples() int {
	if d.last <= 0 {
		return d.frameSamples
	}
	return d.last
}

// Reset returns the decoder to its freshly initialised state, for example when
// the sender restarts its stream (new SSRC).
func (d *Decoder) Reset() error {
	dec, err := libopus.NewDecoder(d.sampleRate, 1)
	if err != nil {
		return fmt.Errorf("%w: reset decoder: %w", ErrCodec, err)
	}
	d.dec = dec
	d.last = 0
	return nil
}
