package silero_test

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/avatar-fi/avatar/media"
	"github.com/avatar-fi/avatar/media/endpoint"
	"github.com/avatar-fi/avatar/media/jitter"
	"github.com/avatar-fi/avatar/media/opus"
	"github.com/avatar-fi/avatar/media/resample"
	"github.com/avatar-fi/avatar/media/vad"
	"github.com/avatar-fi/avatar/media/vad/silero"
)

// callPath is the per-call media path of the module's BenchmarkMediaPath
// (path_test.go at the module root) with a Silero Stream as the VAD: jitter
// buffer, Opus decode, 48→16 kHz, VAD + Gate + endpointer inbound; 16→48 kHz
// and Opus encode outbound. native16k runs libopus at 16 kHz instead of the
// resamplers.
type callPath struct {
	native16k bool
	jb        *jitter.Buffer
	dec       *opus.Decoder
	down, up  *resample.Resampler
	det       vad.Detector
	gate      *vad.Gate
	ep        *endpoint.Endpointer
	enc       *opus.Encoder

	payload, packet []byte
	pcmIn, speech   []int16
	replyUp         []int16
	events          int
}

func newCallPath(tb testing.TB, det vad.Detector, native16k bool) *callPath {
	tb.Helper()
	rate := media.RTCRate
	if native16k {
		rate = media.SpeechRate
	}
	p := &callPath{native16k: native16k, det: det}
	var errs [7]error
	p.jb, errs[0] = jitter.New()
	p.dec, errs[1] = opus.NewDecoder(opus.WithSampleRate(rate))
	p.down, errs[2] = resample.New(media.RTCRate, media.SpeechRate)
	p.up, errs[3] = resample.New(media.SpeechRate, media.RTCRate)
	p.gate, errs[4] = vad.NewGate(vad.DefaultOnThreshold, vad.DefaultOffThreshold)
	p.ep, errs[5] = endpoint.New(endpoint.Config{})
	p.enc, errs[6] = opus.NewEncoder(opus.WithSampleRate(rate))
	for _, err := range errs {
		if err != nil {
			tb.Fatal(err)
		}
	}
	p.payload = make([]byte, jitter.DefaultMaxPayload)
	p.packet = make([]byte, opus.MaxPacketBytes)
	p.pcmIn = make([]int16, media.RTCFrameSamples)
	p.speech = make([]int16, media.SpeechFrameSamples)
	p.replyUp = make([]int16, media.RTCFrameSamples)
	return p
}

// inbound handles one received RTP payload (nil: lost) and one playout tick.
func (p *callPath) inbound(tb testing.TB, seq uint16, rtp []byte) {
	if rtp != nil {
		_ = p.jb.Push(seq, rtp)
	}
	f, err := p.jb.Pop(p.payload)
	if err != nil {
		tb.Fatal(err)
	}
	var n int
	switch f.Status {
	case jitter.Buffering:
		return
	case jitter.Ready:
		n, err = p.dec.Decode(p.payload[:f.N], p.pcmIn)
	case jitter.Missing:
		if k, ok, _ := p.jb.Next(p.payload); ok {
			n, err = p.dec.DecodeFEC(p.payload[:k], p.pcmIn)
		} else {
			n, err = p.dec.Decode(nil, p.pcmIn)
		}
	}
	if err != nil {
		tb.Fatal(err)
	}
	frame := p.pcmIn[:n]
	if !p.native16k {
		k, err := p.down.Process(p.speech, frame)
		if err != nil {
			tb.Fatal(err)
		}
		frame = p.speech[:k]
	}
	prob, err := p.det.Process(frame)
	if err != nil {
		tb.Fatal(err)
	}
	if ev := p.ep.Push(p.gate.Update(prob)); ev.Type != endpoint.None {
		p.events++
	}
}

// outbound encodes one 20 ms frame of 16 kHz reply audio.
func (p *callPath) outbound(tb testing.TB, reply []int16) {
	frame := reply
	if !p.native16k {
		k, err := p.up.Process(p.replyUp, reply)
		if err != nil {
			tb.Fatal(err)
		}
		frame = p.replyUp[:k]
	}
	if _, err := p.enc.Encode(frame, p.packet); err != nil {
		tb.Fatal(err)
	}
}

// fixtures returns browser-like inbound packets (48 kHz full band, 32 kb/s,
// complexity 10) of the 13 clips and the same speech at 16 kHz as reply
// audio, in 20 ms frames, as the module's path_test.go builds them.
func fixtures(tb testing.TB) (packets [][]byte, reply [][]int16) {
	tb.Helper()
	clips, err := loadClipsTB(tb)
	if err != nil {
		tb.Fatalf("load speech: %v", err)
	}
	browser, err := opus.NewEncoder(opus.WithMaxBandwidth(opus.Fullband), opus.WithComplexity(10))
	if err != nil {
		tb.Fatal(err)
	}
	up, err := resample.New(media.SpeechRate, media.RTCRate)
	if err != nil {
		tb.Fatal(err)
	}
	f48 := make([]int16, media.RTCFrameSamples)
	buf := make([]byte, opus.MaxPacketBytes)
	for _, c := range clips {
		for i := 0; i+media.SpeechFrameSamples <= len(c.Samples); i += media.SpeechFrameSamples {
			f16 := c.Samples[i : i+media.SpeechFrameSamples]
			reply = append(reply, f16)
			if _, err := up.Process(f48, f16); err != nil {
				tb.Fatal(err)
			}
			n, err := browser.Encode(f48, buf)
			if err != nil {
				tb.Fatal(err)
			}
			packets = append(packets, append([]byte(nil), buf[:n]...))
		}
	}
	return packets, reply
}

// TestMediaPathSilero runs the call path with Silero over all the speech with
// 3 % loss, checks that the endpointer sees the turns and that the steady
// state allocates nothing.
func TestMediaPathSilero(t *testing.T) {
	m := newModel(t)
	packets, reply := fixtures(t)
	for _, native := range []bool{false, true} {
		t.Run(fmt.Sprintf("native16k=%v", native), func(t *testing.T) {
			p := newCallPath(t, newStream(t, m), native)
			for i, pkt := range packets {
				if i%33 == 5 {
					pkt = nil
				}
				p.inbound(t, uint16(i), pkt)
				p.outbound(t, reply[i])
			}
			t.Logf("%d frames, %d endpoint events", len(packets), p.events)
			// The clips run back to back, a few with under 0.4 s between
			// one's last word and the next one's first: through Opus,
			// Silero holds over two such gaps (measured 12 turns, 24
			// events; the digit clip's 1.3 s pauses still split it).
			if p.events < 2*11 {
				t.Errorf("%d endpoint events over 13 utterances, want at least 22", p.events)
			}
			i := 0
			if a := testing.AllocsPerRun(500, func() {
				k := i % len(packets)
				p.inbound(t, uint16(len(packets)+i), packets[k])
				p.outbound(t, reply[k])
				i++
			}); a != 0 {
				t.Errorf("media path allocates %.1f times per frame, want 0", a)
			}
		})
	}
}

// BenchmarkMediaPathSilero is BenchmarkMediaPath (module root) with Silero,
// gated and not, as the VAD: thread CPU per 20 ms frame of one call, full
// duplex, in cpu-ns/op, and cores/call.
func BenchmarkMediaPathSilero(b *testing.B) {
	m := newModel(b)
	packets, reply := fixtures(b)
	for _, bm := range []struct {
		name   string
		native bool
		opt    silero.StreamOption
	}{
		{name: "48k codec + resamplers, silero gated"},
		{name: "48k codec + resamplers, silero alone", opt: silero.WithoutGate()},
		{name: "16k codec, no resamplers, silero gated", native: true},
	} {
		b.Run(bm.name, func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			p := newCallPath(b, newStream(b, m, bm.opt), bm.native)
			for i := range 10 { // prime the jitter buffer
				p.inbound(b, uint16(i), packets[i])
			}
			i := 10
			b.ReportAllocs()
			cpu0 := threadCPU(b)
			for b.Loop() {
				k := i % len(packets)
				p.inbound(b, uint16(i), packets[k])
				p.outbound(b, reply[k])
				i++
			}
			cpu := float64(threadCPU(b)-cpu0) / float64(b.N)
			b.ReportMetric(cpu, "cpu-ns/op")
			b.ReportMetric(cpu/20e6, "cores/call")
		})
	}
}
