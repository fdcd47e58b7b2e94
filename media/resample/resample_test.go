package resample_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/avatar-fi/avatar/media/resample"
)

// tone returns n samples of a sine at freq Hz sampled at rate Hz, amplitude
// amp in int16 units, with starting phase phase (radians).
func tone(n, rate int, freq, amp, phase float64) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(math.Round(amp * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)+phase)))
	}
	return out
}

// sweep returns n samples of a linear chirp from f0 to f1 Hz at rate Hz.
func sweep(n, rate int, f0, f1, amp float64) []int16 {
	out := make([]int16, n)
	dur := float64(n) / float64(rate)
	for i := range out {
		t := float64(i) / float64(rate)
		ph := 2 * math.Pi * (f0*t + (f1-f0)*t*t/(2*dur))
		out[i] = int16(math.Round(amp * math.Sin(ph)))
	}
	return out
}

// run feeds src through r in chunks of frame samples and returns the output.
func run(tb testing.TB, r *resample.Resampler, src []int16, frame int) []int16 {
	tb.Helper()
	out := make([]int16, 0, r.OutLen(len(src))+resample.MaxFactor)
	dst := make([]int16, frame*resample.MaxFactor+resample.MaxFactor)
	for len(src) > 0 {
		n := min(frame, len(src))
		k, err := r.Process(dst, src[:n])
		if err != nil {
			tb.Fatalf("Process: %v", err)
		}
		out = append(out, dst[:k]...)
		src = src[n:]
	}
	return out
}

func newResampler(tb testing.TB, from, to int, opts ...resample.Option) *resample.Resampler {
	tb.Helper()
	r, err := resample.New(from, to, opts...)
	if err != nil {
		tb.Fatalf("New(%d, %d): %v", from, to, err)
	}
	return r
}

// snrDB compares got, delayed by delay samples, with want over want[skip :
// len-skip], without fitting gain or phase: ripple and delay errors count as
// noise.
func snrDB(got, want []int16, delay, skip int) float64 {
	var sig, noise float64
	for i := skip; i < len(want)-skip && i+delay < len(got); i++ {
		w := float64(want[i])
		e := float64(got[i+delay]) - w
		sig += w * w
		noise += e * e
	}
	if noise == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(sig/noise)
}

// levelDB returns the RMS of s[skip:len-skip] in dB relative to ref.
func levelDB(s []int16, skip int, ref float64) float64 {
	var sum float64
	body := s[skip : len(s)-skip]
	for _, v := range body {
		sum += float64(v) * float64(v)
	}
	return 20 * math.Log10(math.Sqrt(sum/float64(len(body)))/ref)
}

func TestNew(t *testing.T) {
	tests := []struct {
		name     string
		from, to int
		opts     []resample.Option
		wantErr  error
	}{
		{name: "48k to 16k", from: 48000, to: 16000},
		{name: "16k to 48k", from: 16000, to: 48000},
		{name: "48k to 8k", from: 48000, to: 8000},
		{name: "same rate", from: 16000, to: 16000, wantErr: resample.ErrUnsupportedRatio},
		{name: "not integer", from: 44100, to: 16000, wantErr: resample.ErrUnsupportedRatio},
		{name: "factor too large", from: 96000, to: 4000, wantErr: resample.ErrUnsupportedRatio},
		{name: "zero rate", from: 0, to: 16000, wantErr: resample.ErrUnsupportedRatio},
		{name: "attenuation too low", from: 48000, to: 16000, opts: []resample.Option{resample.WithAttenuation(10)}, wantErr: resample.ErrInvalidOption},
		{name: "passband too wide", from: 48000, to: 16000, opts: []resample.Option{resample.WithPassband(0.99)}, wantErr: resample.ErrInvalidOption},
		{name: "custom design", from: 48000, to: 16000, opts: []resample.Option{resample.WithAttenuation(90), resample.WithPassband(0.8)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := resample.New(tt.from, tt.to, tt.opts...)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("New(%d, %d) error = %v, want %v", tt.from, tt.to, err, tt.wantErr)
			}
			if err == nil && (r.FromRate() != tt.from || r.ToRate() != tt.to) {
				t.Errorf("rates = %d, %d", r.FromRate(), r.ToRate())
			}
		})
	}
}

func TestFrameSizes(t *testing.T) {
	down := newResampler(t, 48000, 16000)
	up := newResampler(t, 16000, 48000)
	t.Logf("48k→16k: %d taps, delay %d samples (%v); 16k→48k: %d taps, delay %d samples (%v)",
		down.Taps(), down.Delay(), down.Latency(), up.Taps(), up.Delay(), up.Latency())
	in := tone(960, 48000, 440, 8000, 0)
	mid := make([]int16, 320)
	out := make([]int16, 960)
	for range 10 {
		if n, err := down.Process(mid, in); err != nil || n != 320 {
			t.Fatalf("down.Process(960) = %d, %v; want 320", n, err)
		}
		if n, err := up.Process(out, mid); err != nil || n != 960 {
			t.Fatalf("up.Process(320) = %d, %v; want 960", n, err)
		}
	}
	if _, err := down.Process(mid[:319], in); !errors.Is(err, resample.ErrShortBuffer) {
		t.Errorf("short dst: err = %v, want ErrShortBuffer", err)
	}
}

// TestStreaming checks that any split of the input gives the same output as
// one call: the state carried between calls is exact.
func TestStreaming(t *testing.T) {
	tests := []struct {
		name     string
		from, to int
	}{
		{name: "down", from: 48000, to: 16000},
		{name: "up", from: 16000, to: 48000},
		{name: "down by 6", from: 48000, to: 8000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := sweep(tt.from, tt.from, 50, float64(min(tt.from, tt.to))/2, 12000)
			whole := run(t, newResampler(t, tt.from, tt.to), src, len(src))
			if len(whole) != len(src)*tt.to/tt.from {
				t.Fatalf("one call gave %d samples, want %d", len(whole), len(src)*tt.to/tt.from)
			}
			for _, frame := range []int{1, 7, 320, 960, 5000} {
				if got := run(t, newResampler(t, tt.from, tt.to), src, frame); !slices.Equal(got, whole) {
					t.Errorf("frames of %d differ from one call", frame)
				}
			}
			// Random chunk sizes.
			r := newResampler(t, tt.from, tt.to)
			rng := rand.New(rand.NewPCG(1, 2))
			var got []int16
			dst := make([]int16, 3000*resample.MaxFactor)
			for rest := src; len(rest) > 0; {
				n := min(len(rest), rng.IntN(3000)+1)
				k, err := r.Process(dst, rest[:n])
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, dst[:k]...)
				rest = rest[n:]
			}
			if !slices.Equal(got, whole) {
				t.Errorf("random chunks differ from one call")
			}
		})
	}
}

// TestDownQuality checks 48 kHz → 16 kHz: passband tones come through with
// SNR ≥ 60 dB against an ideal 16 kHz tone (delay compensated, no gain
// fitting), and every tone at or above 8 kHz is attenuated by ≥ 60 dB.
func TestDownQuality(t *testing.T) {
	tests := []struct {
		name    string
		freq    float64
		minSNR  float64 // passband: dB
		maxGain float64 // stop band: dB
	}{
		{name: "100 Hz", freq: 100, minSNR: 70},
		{name: "1 kHz", freq: 1000, minSNR: 70},
		{name: "3.3 kHz", freq: 3300, minSNR: 70},
		{name: "6.1 kHz", freq: 6100, minSNR: 70},
		{name: "6.9 kHz", freq: 6900, minSNR: 65},
		{name: "8.0 kHz", freq: 8000, maxGain: -60},
		{name: "8.05 kHz", freq: 8050, maxGain: -60},
		{name: "8.4 kHz", freq: 8400, maxGain: -60},
		{name: "9.1 kHz", freq: 9100, maxGain: -60},
		{name: "11.3 kHz", freq: 11300, maxGain: -60},
		{name: "14.9 kHz", freq: 14900, maxGain: -60},
		{name: "19.7 kHz", freq: 19700, maxGain: -60},
		{name: "23.9 kHz", freq: 23900, maxGain: -60},
	}
	const amp = 16000
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newResampler(t, 48000, 16000)
			phase := 0.7 // off the sampling grid, so no tone lands on zeros
			out := run(t, r, tone(48000, 48000, tt.freq, amp, phase), 960)
			if tt.maxGain != 0 {
				gain := levelDB(out, 200, amp/math.Sqrt2)
				t.Logf("%.0f Hz: %.1f dB", tt.freq, gain)
				if gain > tt.maxGain {
					t.Errorf("%.0f Hz leaks at %.1f dB, want ≤ %.0f dB", tt.freq, gain, tt.maxGain)
				}
				return
			}
			snr := snrDB(out, tone(16000, 16000, tt.freq, amp, phase), r.Delay(), 200)
			t.Logf("%.0f Hz: SNR %.1f dB", tt.freq, snr)
			if snr < tt.minSNR {
				t.Errorf("%.0f Hz: SNR %.1f dB, want ≥ %.0f dB", tt.freq, snr, tt.minSNR)
			}
		})
	}
}

// TestUpQuality checks 16 kHz → 48 kHz: a tone comes out clean against an
// ideal 48 kHz tone, and its images (at 16k ± f, 32k ± f) are ≥ 60 dB down.
func TestUpQuality(t *testing.T) {
	const amp = 16000
	for _, f := range []float64{440, 1000, 3100, 6600} {
		r := newResampler(t, 16000, 48000)
		out := run(t, r, tone(16000, 16000, f, amp, 0.3), 320)
		ideal := tone(48000, 48000, f, amp, 0.3)
		snr := snrDB(out, ideal, r.Delay(), 600)
		// Everything that is not the tone is distortion or image: with the
		// delay compensated, out − ideal holds the images.
		diff := make([]int16, 0, len(ideal))
		for i := 600; i < len(ideal)-600; i++ {
			diff = append(diff, out[i+r.Delay()]-ideal[i])
		}
		images := levelDB(diff, 0, amp/math.Sqrt2)
		t.Logf("%.0f Hz: SNR %.1f dB, residual (images + ripple) %.1f dB", f, snr, images)
		if snr < 65 || images > -65 {
			t.Errorf("%.0f Hz: SNR %.1f dB, residual %.1f dB; want ≥ 65 dB and ≤ -65 dB", f, snr, images)
		}
	}
}

// TestRoundTrip checks 48 kHz → 16 kHz → 48 kHz on a 1 kHz tone (SNR ≥ 60 dB)
// and on a sweep over the passband.
func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		signal []int16
		minSNR float64
	}{
		{name: "1 kHz tone", signal: tone(48000, 48000, 1000, 16000, 0.5), minSNR: 60},
		{name: "sweep 50 Hz to 6.5 kHz", signal: sweep(96000, 48000, 50, 6500, 16000), minSNR: 60},
		{name: "sweep 50 Hz to 7 kHz", signal: sweep(96000, 48000, 50, 7000, 16000), minSNR: 55},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			down := newResampler(t, 48000, 16000)
			up := newResampler(t, 16000, 48000)
			out := run(t, up, run(t, down, tt.signal, 960), 320)
			delay := down.Delay()*3 + up.Delay()
			snr := snrDB(out, tt.signal, delay, 1200)
			t.Logf("%s: SNR %.1f dB (delay %d samples)", tt.name, snr, delay)
			if snr < tt.minSNR {
				t.Errorf("SNR %.1f dB, want ≥ %.0f dB", snr, tt.minSNR)
			}
		})
	}
}

// TestSweepStopBand sends a sweep across the whole stop band (8 to 24 kHz)
// through 48 kHz → 16 kHz: what comes out is aliasing, ≥ 60 dB down.
func TestSweepStopBand(t *testing.T) {
	const amp = 16000
	r := newResampler(t, 48000, 16000)
	out := run(t, r, sweep(96000, 48000, 8000, 23990, amp), 960)
	gain := levelDB(out, 200, amp/math.Sqrt2)
	t.Logf("stop-band sweep leaks at %.1f dB", gain)
	if gain > -60 {
		t.Errorf("stop-band sweep leaks at %.1f dB, want ≤ -60 dB", gain)
	}
}

func TestSaturation(t *testing.T) {
	// A full-scale square wave overshoots (Gibbs); the output must clip,
	// not wrap around.
	src := make([]int16, 4800)
	for i := range src {
		src[i] = 32767
		if (i/240)%2 == 1 {
			src[i] = -32768
		}
	}
	out := run(t, newResampler(t, 16000, 48000), src, 320)
	for i := 1; i < len(out); i++ {
		if d := int(out[i]) - int(out[i-1]); d > 40000 || d < -40000 {
			t.Fatalf("jump of %d at %d: wrapped around", d, i)
		}
	}
}

func TestReset(t *testing.T) {
	r := newResampler(t, 48000, 16000)
	src := tone(960, 48000, 1000, 10000, 0)
	first := run(t, r, src, 960)
	run(t, r, tone(961, 48000, 300, 10000, 0), 961)
	r.Reset()
	if again := run(t, r, src, 960); !slices.Equal(first, again) {
		t.Error("after Reset the output differs from a fresh resampler")
	}
}

func TestProcessAllocs(t *testing.T) {
	down := newResampler(t, 48000, 16000)
	up := newResampler(t, 16000, 48000)
	in := tone(960, 48000, 1000, 10000, 0)
	mid := make([]int16, 320)
	out := make([]int16, 960)
	allocs := testing.AllocsPerRun(100, func() {
		_, _ = down.Process(mid, in)
		_, _ = up.Process(out, mid)
	})
	if allocs != 0 {
		t.Errorf("Process allocates %.1f times per frame, want 0", allocs)
	}
}

func BenchmarkProcess(b *testing.B) {
	benchmarks := []struct {
		name     string
		from, to int
		frame    int
	}{
		{name: "down 48k to 16k 20ms", from: 48000, to: 16000, frame: 960},
		{name: "up 16k to 48k 20ms", from: 16000, to: 48000, frame: 320},
		{name: "down 48k to 16k 10ms", from: 48000, to: 16000, frame: 480},
		{name: "up 16k to 48k 10ms", from: 16000, to: 48000, frame: 160},
	}
	for _, bm := range benchmarks {
		b.Run(bm.name, func(b *testing.B) {
			r := newResampler(b, bm.from, bm.to)
			src := tone(bm.frame, bm.from, 1000, 10000, 0)
			dst := make([]int16, r.OutLen(bm.frame)+1)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Process(dst, src); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func ExampleResampler() {
	down, _ := resample.New(48000, 16000)
	frame48 := make([]int16, 960) // one 20 ms frame decoded from Opus
	frame16 := make([]int16, 320)
	n, _ := down.Process(frame16, frame48)
	fmt.Println(n, down.Latency())
	// Output: 320 2.1875ms
}
