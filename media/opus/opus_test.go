package opus_test

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/avatar-fi/avatar/media/internal/speechcorpus"
	"github.com/avatar-fi/avatar/media/opus"
	"github.com/avatar-fi/avatar/media/resample"
)

const frame48 = 960

// speech48k returns the real-speech clips upsampled to 48 kHz and
// concatenated, cut to whole 20 ms frames. It fails the test when the data is
// missing.
func speech48k(tb testing.TB) []int16 {
	tb.Helper()
	clips, err := speechcorpus.Load()
	if err != nil {
		tb.Fatalf("load speech: %v", err)
	}
	var out []int16
	for _, c := range clips {
		up, err := resample.New(16000, 48000)
		if err != nil {
			tb.Fatal(err)
		}
		buf := make([]int16, up.OutLen(len(c.Samples)))
		n, err := up.Process(buf, c.Samples)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, buf[:n]...)
	}
	return out[:len(out)/frame48*frame48]
}

func newEncoder(tb testing.TB, opts ...opus.EncoderOption) *opus.Encoder {
	tb.Helper()
	e, err := opus.NewEncoder(opts...)
	if err != nil {
		tb.Fatalf("NewEncoder: %v", err)
	}
	return e
}

func newDecoder(tb testing.TB, opts ...opus.DecoderOption) *opus.Decoder {
	tb.Helper()
	d, err := opus.NewDecoder(opts...)
	if err != nil {
		tb.Fatalf("NewDecoder: %v", err)
	}
	return d
}

// encodeAll encodes pcm frame by frame and returns the packets.
func encodeAll(tb testing.TB, e *opus.Encoder, pcm []int16) [][]byte {
	tb.Helper()
	fs := e.FrameSamples()
	var packets [][]byte
	buf := make([]byte, opus.MaxPacketBytes)
	for i := 0; i+fs <= len(pcm); i += fs {
		n, err := e.Encode(pcm[i:i+fs], buf)
		if err != nil {
			tb.Fatalf("Encode frame %d: %v", i/fs, err)
		}
		packets = append(packets, append([]byte(nil), buf[:n]...))
	}
	return packets
}

// bestAlignment returns the delay (0..maxLag) at which got best matches want,
// searched on the first 3 s, and the normalised correlation and SNR there
// over the whole signal.
func bestAlignment(got, want []int16, maxLag, rate int) (lag int, corr, snr float64) {
	best := -2.0
	for l := 0; l <= maxLag; l++ {
		var sgw, sgg, sww float64
		for i := 0; i+l < len(got) && i < min(len(want), 3*rate); i++ {
			g, w := float64(got[i+l]), float64(want[i])
			sgw += g * w
			sgg += g * g
			sww += w * w
		}
		if c := sgw / math.Sqrt(sgg*sww); c > best {
			best, lag = c, l
		}
	}
	var sig, noise, sgw, sgg float64
	for i := 0; i+lag < len(got) && i < len(want); i++ {
		w, g := float64(want[i]), float64(got[i+lag])
		sig += w * w
		noise += (g - w) * (g - w)
		sgw += g * w
		sgg += g * g
	}
	return lag, sgw / math.Sqrt(sgg*sig), 10 * math.Log10(sig/noise)
}

func TestOptions(t *testing.T) {
	tests := []struct {
		name    string
		enc     []opus.EncoderOption
		dec     []opus.DecoderOption
		wantErr error
	}{
		{name: "defaults"},
		{name: "16 kHz both", enc: []opus.EncoderOption{opus.WithSampleRate(16000)}, dec: []opus.DecoderOption{opus.WithSampleRate(16000)}},
		{name: "all encoder options", enc: []opus.EncoderOption{opus.WithBitrate(24000), opus.WithComplexity(10), opus.WithPacketLoss(20), opus.WithFEC(false), opus.WithMaxBandwidth(opus.Fullband)}},
		{name: "bad rate", enc: []opus.EncoderOption{opus.WithSampleRate(44100)}, wantErr: opus.ErrInvalidOption},
		{name: "bad decoder rate", dec: []opus.DecoderOption{opus.WithSampleRate(22050)}, wantErr: opus.ErrInvalidOption},
		{name: "bitrate too low", enc: []opus.EncoderOption{opus.WithBitrate(100)}, wantErr: opus.ErrInvalidOption},
		{name: "complexity 11", enc: []opus.EncoderOption{opus.WithComplexity(11)}, wantErr: opus.ErrInvalidOption},
		{name: "loss 101%", enc: []opus.EncoderOption{opus.WithPacketLoss(101)}, wantErr: opus.ErrInvalidOption},
		{name: "bad bandwidth", enc: []opus.EncoderOption{opus.WithMaxBandwidth(opus.Bandwidth(7))}, wantErr: opus.ErrInvalidOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errE := opus.NewEncoder(tt.enc...)
			_, errD := opus.NewDecoder(tt.dec...)
			err := errors.Join(errE, errD)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Errorf("error = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestEncoderSetters(t *testing.T) {
	e := newEncoder(t)
	if err := e.SetBitrate(16000); err != nil {
		t.Error(err)
	}
	if err := e.SetBitrate(1); !errors.Is(err, opus.ErrInvalidOption) {
		t.Errorf("SetBitrate(1) = %v, want ErrInvalidOption", err)
	}
	if err := e.SetPacketLoss(30); err != nil {
		t.Error(err)
	}
	if err := e.SetPacketLoss(-1); !errors.Is(err, opus.ErrInvalidOption) {
		t.Errorf("SetPacketLoss(-1) = %v, want ErrInvalidOption", err)
	}
	if err := e.Reset(); err != nil {
		t.Error(err)
	}
}

func TestFrameErrors(t *testing.T) {
	e := newEncoder(t)
	d := newDecoder(t)
	pcm := make([]int16, frame48)
	buf := make([]byte, opus.MaxPacketBytes)
	tests := []struct {
		name    string
		call    func() error
		wantErr error
	}{
		{name: "encode short frame", call: func() error { _, err := e.Encode(pcm[:959], buf); return err }, wantErr: opus.ErrFrameSize},
		{name: "encode 10 ms frame", call: func() error { _, err := e.Encode(pcm[:480], buf); return err }, wantErr: opus.ErrFrameSize},
		{name: "encode into nothing", call: func() error { _, err := e.Encode(pcm, nil); return err }, wantErr: opus.ErrBufferTooSmall},
		{name: "decode garbage", call: func() error { _, err := d.Decode([]byte{0xff, 0xff, 0xff}, pcm); return err }, wantErr: opus.ErrInvalidPacket},
		{name: "decode into tiny buffer", call: func() error { _, err := d.Decode([]byte{0x08, 0, 0}, pcm[:10]); return err }, wantErr: opus.ErrFrameSize},
		{name: "PLC into short buffer", call: func() error { _, err := d.Decode(nil, pcm[:100]); return err }, wantErr: opus.ErrFrameSize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, tt.wantErr) {
				t.Errorf("error = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// TestRoundTripSpeech encodes 37 s of real speech at 48 kHz and decodes it:
// the output must line up with the input (Opus is not waveform-exact, so
// the bounds are loose but catch a broken path: silence, noise, wrong rate).
func TestRoundTripSpeech(t *testing.T) {
	pcm := speech48k(t)
	tests := []struct {
		name     string
		rate     int
		opts     []opus.EncoderOption
		minCorr  float64
		minSNR   float64
		maxBytes float64 // mean packet size
	}{
		// Measured: correlation 0.87-0.88, SNR 6.2-6.5 dB, 77-79 bytes.
		{name: "default 48k wideband", rate: 48000, minCorr: 0.80, minSNR: 4, maxBytes: 90},
		{name: "48k fullband complexity 10", rate: 48000, opts: []opus.EncoderOption{opus.WithMaxBandwidth(opus.Fullband), opus.WithComplexity(10)}, minCorr: 0.80, minSNR: 4, maxBytes: 90},
		{name: "16k native", rate: 16000, minCorr: 0.80, minSNR: 4, maxBytes: 90},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := pcm
			if tt.rate == 16000 {
				src = decimate(t, pcm)
			}
			e := newEncoder(t, append([]opus.EncoderOption{opus.WithSampleRate(tt.rate)}, tt.opts...)...)
			d := newDecoder(t, opus.WithSampleRate(tt.rate))
			packets := encodeAll(t, e, src)
			out := make([]int16, 0, len(src))
			buf := make([]int16, e.FrameSamples())
			bytes := 0
			for _, p := range packets {
				bytes += len(p)
				n, err := d.Decode(p, buf)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, buf[:n]...)
			}
			lag, corr, snr := bestAlignment(out, src, tt.rate/100, tt.rate)
			mean := float64(bytes) / float64(len(packets))
			t.Logf("%d frames, mean packet %.1f bytes (%.1f kb/s), delay %d samples, correlation %.3f, SNR %.1f dB",
				len(packets), mean, mean*8*50/1000, lag, corr, snr)
			if corr < tt.minCorr || snr < tt.minSNR || mean > tt.maxBytes {
				t.Errorf("correlation %.3f (want ≥ %.2f), SNR %.1f dB (want ≥ %.0f), mean packet %.1f bytes (want ≤ %.0f)",
					corr, tt.minCorr, snr, tt.minSNR, mean, tt.maxBytes)
			}
		})
	}
}

// decimate converts 48 kHz to 16 kHz for the native 16 kHz variant.
func decimate(tb testing.TB, pcm []int16) []int16 {
	tb.Helper()
	r, err := resample.New(48000, 16000)
	if err != nil {
		tb.Fatal(err)
	}
	out := make([]int16, r.OutLen(len(pcm)))
	n, err := r.Process(out, pcm)
	if err != nil {
		tb.Fatal(err)
	}
	return out[:n]
}

// TestLossConcealment drops every 7th packet of real speech (14% loss) and
// compares, on the lost frames only, the audio rebuilt by PLC and by FEC with
// the audio a loss-free decode gives: FEC must rebuild it clearly better than
// PLC, and both must stay bounded (no bursts of noise).
func TestLossConcealment(t *testing.T) {
	pcm := speech48k(t)
	e := newEncoder(t, opus.WithPacketLoss(15))
	packets := encodeAll(t, e, pcm)
	lost := func(i int) bool { return i%7 == 3 }

	decodeWith := func(mode string) []int16 {
		d := newDecoder(t)
		out := make([]int16, 0, len(pcm))
		buf := make([]int16, frame48)
		for i, p := range packets {
			var n int
			var err error
			switch {
			case !lost(i) || mode == "clean":
				n, err = d.Decode(p, buf)
			case mode == "fec" && i+1 < len(packets):
				n, err = d.DecodeFEC(packets[i+1], buf)
			default:
				n, err = d.Decode(nil, buf)
			}
			if err != nil {
				t.Fatalf("%s frame %d: %v", mode, i, err)
			}
			if n != frame48 {
				t.Fatalf("%s frame %d: %d samples, want %d", mode, i, n, frame48)
			}
			out = append(out, buf[:n]...)
		}
		return out
	}
	clean := decodeWith("clean")
	lostSNR := func(got []int16) float64 {
		var sig, noise float64
		for i := range packets {
			if !lost(i) {
				continue
			}
			for j := i * frame48; j < (i+1)*frame48; j++ {
				c := float64(clean[j])
				e := float64(got[j]) - c
				sig += c * c
				noise += e * e
			}
		}
		return 10 * math.Log10(sig/noise)
	}
	plc, fec := lostSNR(decodeWith("plc")), lostSNR(decodeWith("fec"))
	t.Logf("lost frames vs loss-free decode: PLC %.1f dB, FEC %.1f dB", plc, fec)
	if fec < plc+3 {
		t.Errorf("FEC (%.1f dB) is not clearly better than PLC (%.1f dB)", fec, plc)
	}
	if plc < -3 {
		t.Errorf("PLC output is louder than the error it hides: %.1f dB", plc)
	}
}

// TestPLCBeforeFirstPacket checks that concealment works on a fresh decoder
// and yields one 20 ms frame.
func TestPLCBeforeFirstPacket(t *testing.T) {
	d := newDecoder(t)
	buf := make([]int16, 2*frame48)
	n, err := d.Decode(nil, buf)
	if err != nil || n != frame48 {
		t.Fatalf("Decode(nil) = %d, %v; want %d, nil", n, err, frame48)
	}
	n, err = d.DecodeFEC(nil, buf)
	if err != nil || n != frame48 {
		t.Fatalf("DecodeFEC(nil) = %d, %v; want %d, nil", n, err, frame48)
	}
	if err := d.Reset(); err != nil {
		t.Fatal(err)
	}
}

func TestZeroAllocs(t *testing.T) {
	pcm := speech48k(t)[:50*frame48]
	e := newEncoder(t)
	d := newDecoder(t)
	packets := encodeAll(t, newEncoder(t), pcm)
	pkt := make([]byte, opus.MaxPacketBytes)
	out := make([]int16, frame48)
	i := 0
	tests := []struct {
		name string
		call func()
	}{
		{name: "Encode", call: func() { _, _ = e.Encode(pcm[i%50*frame48:(i%50+1)*frame48], pkt) }},
		{name: "Decode", call: func() { _, _ = d.Decode(packets[i%50], out) }},
		{name: "PLC", call: func() { _, _ = d.Decode(nil, out) }},
		{name: "FEC", call: func() { _, _ = d.DecodeFEC(packets[i%50], out) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if a := testing.AllocsPerRun(200, func() { tt.call(); i++ }); a != 0 {
				t.Errorf("%s allocates %.1f times per frame, want 0", tt.name, a)
			}
		})
	}
}

// benchPackets returns 50 frames of speech and their packets from enc.
func benchPackets(b *testing.B, pcm []int16, enc *opus.Encoder) [][]byte {
	b.Helper()
	return encodeAll(b, enc, pcm)
}

func BenchmarkEncode(b *testing.B) {
	pcm := speech48k(b)
	benchmarks := []struct {
		name string
		rate int
		opts []opus.EncoderOption
	}{
		{name: "48k default", rate: 48000},
		{name: "48k complexity 1", rate: 48000, opts: []opus.EncoderOption{opus.WithComplexity(1)}},
		{name: "48k complexity 5", rate: 48000, opts: []opus.EncoderOption{opus.WithComplexity(5)}},
		{name: "48k complexity 10", rate: 48000, opts: []opus.EncoderOption{opus.WithComplexity(10)}},
		{name: "48k fullband", rate: 48000, opts: []opus.EncoderOption{opus.WithMaxBandwidth(opus.Fullband)}},
		{name: "16k default", rate: 16000},
	}
	for _, bm := range benchmarks {
		b.Run(bm.name, func(b *testing.B) {
			src := pcm
			if bm.rate == 16000 {
				src = decimate(b, pcm)
			}
			e := newEncoder(b, append([]opus.EncoderOption{opus.WithSampleRate(bm.rate)}, bm.opts...)...)
			fs := e.FrameSamples()
			frames := len(src) / fs
			pkt := make([]byte, opus.MaxPacketBytes)
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.Encode(src[i*fs:(i+1)*fs], pkt); err != nil {
					b.Fatal(err)
				}
				i = (i + 1) % frames
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	pcm := speech48k(b)
	// What a browser sends: full band, 32 kb/s, best complexity.
	browser := benchPackets(b, pcm, newEncoder(b, opus.WithMaxBandwidth(opus.Fullband), opus.WithComplexity(10)))
	ours := benchPackets(b, pcm, newEncoder(b))
	benchmarks := []struct {
		name    string
		rate    int
		packets [][]byte
		mode    string
	}{
		{name: "48k browser packets", rate: 48000, packets: browser},
		{name: "48k wideband packets", rate: 48000, packets: ours},
		{name: "16k browser packets", rate: 16000, packets: browser},
		{name: "48k PLC", rate: 48000, packets: ours, mode: "plc"},
		{name: "48k FEC", rate: 48000, packets: ours, mode: "fec"},
	}
	for _, bm := range benchmarks {
		b.Run(bm.name, func(b *testing.B) {
			d := newDecoder(b, opus.WithSampleRate(bm.rate))
			out := make([]int16, frame48)
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				var err error
				switch bm.mode {
				case "plc":
					if i%2 == 0 {
						_, err = d.Decode(nil, out)
					} else {
						_, err = d.Decode(bm.packets[i], out)
					}
				case "fec":
					_, err = d.DecodeFEC(bm.packets[i], out)
				default:
					_, err = d.Decode(bm.packets[i], out)
				}
				if err != nil {
					b.Fatal(err)
				}
				i = (i + 1) % len(bm.packets)
			}
		})
	}
}

func ExampleDecoder_DecodeFEC() {
	enc, _ := opus.NewEncoder()
	dec, _ := opus.NewDecoder()
	pcm := make([]int16, 960)
	var packets [3][]byte
	for i := range packets {
		buf := make([]byte, opus.MaxPacketBytes)
		n, _ := enc.Encode(pcm, buf)
		packets[i] = buf[:n]
	}
	out := make([]int16, 960)
	n0, _ := dec.Decode(packets[0], out)
	// packets[1] was lost; packets[2] arrived: rebuild 1 from 2's FEC data.
	n1, _ := dec.DecodeFEC(packets[2], out)
	n2, _ := dec.Decode(packets[2], out)
	fmt.Println(n0, n1, n2)
	// Output: 960 960 960
}
