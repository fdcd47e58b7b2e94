package tts_test

import (
	"errors"
	"math"
	"testing"

	"github.com/avatar-fi/avatar/edge/internal/tts"
)

func TestResampler(t *testing.T) {
	tests := []struct {
		name     string
		from, to int
		freq     float64
	}{
		{"espeak 22050 to 48000", 22050, 48000, 1000},
		{"openai 24000 to 48000", 24000, 48000, 3000},
		{"16000 to 48000", 16000, 48000, 440},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := tts.NewResampler(tc.from, tc.to)
			if err != nil {
				t.Fatal(err)
			}
			in := make([]int16, tc.from) // one second
			for i := range in {
				in[i] = int16(10000 * math.Sin(2*math.Pi*tc.freq*float64(i)/float64(tc.from)))
			}
			var out []int16
			for off := 0; off < len(in); off += 441 { // odd chunk size
				out = append(out, r.Process(in[off:min(off+441, len(in))])...)
			}
			if d := len(out) - tc.to; d < -100 || d > 0 {
				t.Fatalf("got %d samples, want about %d", len(out), tc.to)
			}
			// Fit a tone of the same frequency (any phase) and measure what
			// is left.
			var ss, sc, cc, ys, yc float64
			seg := out[1000 : len(out)-1000]
			for i, v := range seg {
				s := math.Sin(2 * math.Pi * tc.freq * float64(i) / float64(tc.to))
				c := math.Cos(2 * math.Pi * tc.freq * float64(i) / float64(tc.to))
				ss, sc, cc = ss+s*s, sc+s*c, cc+c*c
				ys, yc = ys+float64(v)*s, yc+float64(v)*c
			}
			det := ss*cc - sc*sc
			a, b := (ys*cc-yc*sc)/det, (yc*ss-ys*sc)/det
			var sig, noise float64
			for i, v := range seg {
				fit := a*math.Sin(2*math.Pi*tc.freq*float64(i)/float64(tc.to)) + b*math.Cos(2*math.Pi*tc.freq*float64(i)/float64(tc.to))
				sig += fit * fit
				noise += (float64(v) - fit) * (float64(v) - fit)
			}
			best := 10 * math.Log10(sig/noise)
			if amp := math.Hypot(a, b); amp < 9000 || amp > 11000 {
				t.Errorf("amplitude %.0f, want about 10000", amp)
			}
			if best < 40 {
				t.Errorf("SNR %.1f dB, want >= 40", best)
			}
		})
	}
	if _, err := tts.NewResampler(44101, 48000); !errors.Is(err, tts.ErrRatio) {
		t.Errorf("odd ratio: err %v, want ErrRatio", err)
	}
}

func BenchmarkResampler(b *testing.B) {
	r, err := tts.NewResampler(22050, 48000)
	if err != nil {
		b.Fatal(err)
	}
	in := make([]int16, 441) // 20 ms
	b.ReportAllocs()
	for b.Loop() {
		r.Process(in)
	}
}
