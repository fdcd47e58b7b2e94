// Package callpath is the per-call media path of an edge, wired as the edge wires it
// (edge/internal/rtc and pipeline), for the module's tests and benchmarks: each inbound RTP
// payload decoded by libopus straight to 16 kHz in arrival order (a sequence gap concealed
// by PLC and the next packet's FEC, a late packet dropped: there is no jitter buffer, since
// the recogniser needs an ordered stream, not smooth playout, and a playout delay would add
// to every turn gap), then a VAD, its hysteresis gate, the pitch tracker on voiced frames
// and the endpointer; outbound 48 kHz reply audio through the Opus encoder. It also builds
// the fixtures (real speech as browser-like Opus packets) and reads the calling thread's
// CPU clock, so every benchmark of the path measures the same thing.
package callpath

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/avatar-fi/avatar/media"
	"github.com/avatar-fi/avatar/media/endpoint"
	"github.com/avatar-fi/avatar/media/internal/speechcorpus"
	"github.com/avatar-fi/avatar/media/opus"
	"github.com/avatar-fi/avatar/media/pitch"
	"github.com/avatar-fi/avatar/media/resample"
	"github.com/avatar-fi/avatar/media/vad"
)

// maxConceal is the longest sequence gap concealed frame by frame (the edge's).
const maxConceal = 5

// Path is one call's media state. Its fields are exported so a test can time each stage;
// it is not safe for concurrent use.
type Path struct {
	Dec   *opus.Decoder
	Det   vad.Detector
	Gate  *vad.Gate
	Pitch *pitch.Tracker
	EP    *endpoint.Endpointer
	Enc   *opus.Encoder

	PCM    []int16 // decoded 16 kHz audio, up to maxConceal+1 frames
	Packet []byte  // encoded reply
	// Events counts endpoint events (speech start and end); Concealed counts frames
	// made up by PLC or FEC.
	Events, Concealed int

	started bool
	last    uint16
}

// New builds a path around det.
func New(det vad.Detector, encOpts ...opus.EncoderOption) (*Path, error) {
	p := &Path{Det: det}
	var errs [5]error
	p.Dec, errs[0] = opus.NewDecoder(opus.WithSampleRate(media.SpeechRate))
	p.Gate, errs[1] = vad.NewGate(vad.DefaultOnThreshold, vad.DefaultOffThreshold)
	p.Pitch, errs[2] = pitch.New()
	p.EP, errs[3] = endpoint.New(endpoint.Config{Tentative: endpoint.DefaultTentative})
	p.Enc, errs[4] = opus.NewEncoder(encOpts...)
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	p.PCM = make([]int16, (maxConceal+1)*media.SpeechFrameSamples*3) // room for 60 ms packets
	p.Packet = make([]byte, opus.MaxPacketBytes)
	return p, nil
}

// Inbound handles one received RTP payload with its sequence number; a nil payload means
// nothing arrived this 20 ms (the packet was lost), and the gap is concealed when the
// next one comes.
func (p *Path) Inbound(seq uint16, payload []byte) error {
	if payload == nil {
		return nil
	}
	gap := 0
	if p.started {
		d := int16(seq - p.last)
		if d <= 0 {
			return nil // late or duplicate
		}
		gap = int(d) - 1
	}
	p.started, p.last = true, seq
	if gap > 0 && gap <= maxConceal {
		for range gap - 1 {
			n, err := p.Dec.Decode(nil, p.PCM)
			if err != nil {
				return fmt.Errorf("conceal: %w", err)
			}
			p.Concealed++
			if err := p.frames(p.PCM[:n]); err != nil {
				return err
			}
		}
		n, err := p.Dec.DecodeFEC(payload, p.PCM)
		if err != nil {
			return fmt.Errorf("fec: %w", err)
		}
		p.Concealed++
		if err := p.frames(p.PCM[:n]); err != nil {
			return err
		}
	}
	n, err := p.Dec.Decode(payload, p.PCM)
	if err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	return p.frames(p.PCM[:n])
}

// frames runs the speech side on 16 kHz audio, 20 ms at a time.
func (p *Path) frames(pcm []int16) error {
	for ; len(pcm) >= media.SpeechFrameSamples; pcm = pcm[media.SpeechFrameSamples:] {
		frame := pcm[:media.SpeechFrameSamples]
		prob, err := p.Det.Process(frame)
		if err != nil {
			return fmt.Errorf("vad: %w", err)
		}
		f := endpoint.Frame{Voiced: p.Gate.Update(prob)}
		if f.Voiced {
			est, err := p.Pitch.Process(frame)
			if err != nil {
				return fmt.Errorf("pitch: %w", err)
			}
			f.PitchHz = est.Hz
		} else if err := p.Pitch.Skip(frame); err != nil {
			return fmt.Errorf("pitch: %w", err)
		}
		if ev := p.EP.PushFrame(f); ev.Type == endpoint.SpeechStart || ev.Type == endpoint.SpeechEnd {
			p.Events++
		}
	}
	return nil
}

// Outbound encodes one 20 ms frame of 48 kHz reply audio (what the edge's synthesizers
// give) and returns the packet, which is valid until the next call.
func (p *Path) Outbound(reply []int16) ([]byte, error) {
	n, err := p.Enc.Encode(reply, p.Packet)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return p.Packet[:n], nil
}

// Fixtures returns inbound packets as a browser sends them (48 kHz full band, 32 kb/s,
// complexity 10, FEC) made from the real speech clips, and the same speech at 48 kHz as
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
	buf := make([]byte, opus.MaxPacketBytes)
	for _, c := range clips {
		for i := 0; i+media.SpeechFrameSamples <= len(c.Samples); i += media.SpeechFrameSamples {
			f48 := make([]int16, media.RTCFrameSamples)
			if _, err := up.Process(f48, c.Samples[i:i+media.SpeechFrameSamples]); err != nil {
				return nil, nil, err
			}
			reply = append(reply, f48)
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
