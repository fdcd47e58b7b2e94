// Package callpath is the per-call media path of an edge, wired as the edge wires it, for
// the module's tests and benchmarks: inbound RTP payloads through the jitter buffer, Opus
// decoder, 48→16 kHz resampler, a VAD, its hysteresis gate and the endpointer; outbound
// 16 kHz reply audio through the 16→48 kHz resampler and the Opus encoder. Native16k runs
// libopus at 16 kHz instead of the separate resamplers. It also builds the fixtures (real
// speech as browser-like Opus packets) and reads the calling thread's CPU clock, so every
// benchmark of the path measures the same thing.
package callpath

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/avatar-fi/avatar/media"
	"github.com/avatar-fi/avatar/media/endpoint"
	"github.com/avatar-fi/avatar/media/internal/speechcorpus"
	"github.com/avatar-fi/avatar/media/jitter"
	"github.com/avatar-fi/avatar/media/opus"
	"github.com/avatar-fi/avatar/media/resample"
	"github.com/avatar-fi/avatar/media/vad"
)

// Path is one call's media state. Its fields are exported so a test can time each stage;
// it is not safe for concurrent use.
type Path struct {
	Native16k bool
	JB        *jitter.Buffer
	Dec       *opus.Decoder
	Down, Up  *resample.Resampler
	Det       vad.Detector
	Gate      *vad.Gate
	EP        *endpoint.Endpointer
	Enc       *opus.Encoder

	Payload []byte  // jitter buffer output
	PCMIn   []int16 // decoded frame (48 or 16 kHz)
	Speech  []int16 // 16 kHz frame for the VAD
	ReplyUp []int16 // 48 kHz reply frame
	Packet  []byte  // encoded reply
	// Events counts endpoint events (speech start and end).
	Events int
}

// New builds a path around det.
func New(det vad.Detector, native16k bool, encOpts ...opus.EncoderOption) (*Path, error) {
	rate := media.RTCRate
	if native16k {
		rate = media.SpeechRate
	}
	p := &Path{Native16k: native16k, Det: det}
	var errs [7]error
	p.JB, errs[0] = jitter.New()
	p.Dec, errs[1] = opus.NewDecoder(opus.WithSampleRate(rate))
	p.Down, errs[2] = resample.New(media.RTCRate, media.SpeechRate)
	p.Up, errs[3] = resample.New(media.SpeechRate, media.RTCRate)
	p.Gate, errs[4] = vad.NewGate(vad.DefaultOnThreshold, vad.DefaultOffThreshold)
	p.EP, errs[5] = endpoint.New(endpoint.Config{})
	p.Enc, errs[6] = opus.NewEncoder(append([]opus.EncoderOption{opus.WithSampleRate(rate)}, encOpts...)...)
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	p.Payload = make([]byte, jitter.DefaultMaxPayload)
	p.PCMIn = make([]int16, media.RTCFrameSamples)
	p.Speech = make([]int16, media.SpeechFrameSamples)
	p.ReplyUp = make([]int16, media.RTCFrameSamples)
	p.Packet = make([]byte, opus.MaxPacketBytes)
	return p, nil
}

// Inbound handles one received RTP payload and one 20 ms playout tick. A nil rtp means
// the packet was lost: nothing arrives this tick.
func (p *Path) Inbound(seq uint16, rtp []byte) error {
	if rtp != nil {
		_ = p.JB.Push(seq, rtp)
	}
	f, err := p.JB.Pop(p.Payload)
	if err != nil {
		return fmt.Errorf("jitter pop: %w", err)
	}
	var n int
	switch f.Status {
	case jitter.Buffering:
		return nil
	case jitter.Ready:
		n, err = p.Dec.Decode(p.Payload[:f.N], p.PCMIn)
	case jitter.Missing:
		if k, ok, _ := p.JB.Next(p.Payload); ok {
			n, err = p.Dec.DecodeFEC(p.Payload[:k], p.PCMIn)
		} else {
			n, err = p.Dec.Decode(nil, p.PCMIn)
		}
	}
	if err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	frame := p.PCMIn[:n]
	if !p.Native16k {
		k, err := p.Down.Process(p.Speech, frame)
		if err != nil {
			return fmt.Errorf("resample down: %w", err)
		}
		frame = p.Speech[:k]
	}
	prob, err := p.Det.Process(frame)
	if err != nil {
		return fmt.Errorf("vad: %w", err)
	}
	if ev := p.EP.Push(p.Gate.Update(prob)); ev.Type != endpoint.None {
		p.Events++
	}
	return nil
}

// Outbound encodes one 20 ms frame of 16 kHz reply audio and returns the packet, which
// is valid until the next call.
func (p *Path) Outbound(reply []int16) ([]byte, error) {
	frame := reply
	if !p.Native16k {
		k, err := p.Up.Process(p.ReplyUp, reply)
		if err != nil {
			return nil, fmt.Errorf("resample up: %w", err)
		}
		frame = p.ReplyUp[:k]
	}
	n, err := p.Enc.Encode(frame, p.Packet)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return p.Packet[:n], nil
}

// Fixtures returns inbound packets as a browser sends them (48 kHz full band, 32 kb/s,
// complexity 10, FEC) made from the real speech clips, and the same speech at 16 kHz as
// stand-in reply audio, both in 20 ms frames.
func Fixtures() (packets [][]byte, reply [][]int16, err error) {
	clips, err := speechcorpus.Load()
	if err != nil {
		return nil, nil, fmt.Errorf("load speech: %w", err)
	}
	browser, err := opus.NewEncoder(opus.WithMaxBandwidth(opus.Fullband), opus.WithComplexity(10))
	if err != nil {
		return nil, nil, err
	}
	up, err := resample.New(media.SpeechRate, media.RTCRate)
	if err != nil {
		return nil, nil, err
	}
	f48 := make([]int16, media.RTCFrameSamples)
	buf := make([]byte, opus.MaxPacketBytes)
	for _, c := range clips {
		for i := 0; i+media.SpeechFrameSamples <= len(c.Samples); i += media.SpeechFrameSamples {
			f16 := c.Samples[i : i+media.SpeechFrameSamples]
			reply = append(reply, f16)
			if _, err := up.Process(f48, f16); err != nil {
				return nil, nil, err
			}
			n, err := browser.Encode(f48, buf)
			if err != nil {
				return nil, nil, err
			}
			packets = append(packets, append([]byte(nil), buf[:n]...))
		}
	}
	return packets, reply, nil
}

// ThreadCPU returns the CPU time consumed by the calling OS thread, which other load on
// a shared machine does not inflate; lock the goroutine to its thread around a
// measurement.
func ThreadCPU() (int64, error) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0, fmt.Errorf("thread CPU clock: %w", err)
	}
	return ts.Nano(), nil
}
