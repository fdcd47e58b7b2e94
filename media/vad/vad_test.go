package vad_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/avatar-fi/avatar/media/internal/speechcorpus"
	"github.com/avatar-fi/avatar/media/opus"
	"github.com/avatar-fi/avatar/media/resample"
	"github.com/avatar-fi/avatar/media/vad"
)

const frame16 = 320 // 20 ms at 16 kHz

func newEnergy(tb testing.TB, opts ...vad.EnergyOption) *vad.Energy {
	tb.Helper()
	e, err := vad.NewEnergy(opts...)
	if err != nil {
		tb.Fatalf("NewEnergy: %v", err)
	}
	return e
}

func newGate(tb testing.TB) *vad.Gate {
	tb.Helper()
	g, err := vad.NewGate(vad.DefaultOnThreshold, vad.DefaultOffThreshold)
	if err != nil {
		tb.Fatal(err)
	}
	return g
}

func noise(n int, amp float64, seed uint64) []int16 {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(rng.NormFloat64() * amp)
	}
	return out
}

func tone(n int, freq, amp float64) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(amp * math.Sin(2*math.Pi*freq*float64(i)/16000))
	}
	return out
}

func TestGate(t *testing.T) {
	g := newGate(t)
	probs := []float32{0.1, 0.49, 0.5, 0.4, 0.36, 0.35, 0.34, 0.45, 0.5, 0.9, 0.2}
	want := []bool{false, false, true, true, true, true, false, false, true, true, false}
	for i, p := range probs {
		if got := g.Update(p); got != want[i] {
			t.Errorf("step %d: Update(%.2f) = %v, want %v", i, p, got, want[i])
		}
	}
	g.Reset()
	if g.Speech() {
		t.Error("Reset left the gate in speech")
	}
	for _, bad := range [][2]float32{{0.3, 0.5}, {0.5, 0}, {1.5, 0.5}} {
		if _, err := vad.NewGate(bad[0], bad[1]); !errors.Is(err, vad.ErrInvalidOption) {
			t.Errorf("NewGate(%v, %v) err = %v, want ErrInvalidOption", bad[0], bad[1], err)
		}
	}
}

func TestEnergyOptions(t *testing.T) {
	tests := []struct {
		name    string
		opt     vad.EnergyOption
		wantErr error
	}{
		{name: "peak fraction", opt: vad.WithPeakFraction(0.1)},
		{name: "peak fraction 1", opt: vad.WithPeakFraction(1), wantErr: vad.ErrInvalidOption},
		{name: "noise factor", opt: vad.WithNoiseFactor(2)},
		{name: "noise factor below 1", opt: vad.WithNoiseFactor(0.5), wantErr: vad.ErrInvalidOption},
		{name: "min level", opt: vad.WithMinLevel(100)},
		{name: "min level negative", opt: vad.WithMinLevel(-1), wantErr: vad.ErrInvalidOption},
		{name: "peak decay", opt: vad.WithPeakDecay(time.Second)},
		{name: "peak decay too short", opt: vad.WithPeakDecay(time.Millisecond), wantErr: vad.ErrInvalidOption},
		{name: "noise rise", opt: vad.WithNoiseRise(3)},
		{name: "noise rise zero", opt: vad.WithNoiseRise(0), wantErr: vad.ErrInvalidOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := vad.NewEnergy(tt.opt); !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestEnergyFrameSizes(t *testing.T) {
	e := newEnergy(t)
	for _, n := range []int{160, 320, 480, 1600} {
		if _, err := e.Process(make([]int16, n)); err != nil {
			t.Errorf("Process(%d samples): %v", n, err)
		}
	}
	for _, n := range []int{0, 1601} {
		if _, err := e.Process(make([]int16, n)); !errors.Is(err, vad.ErrFrameSize) {
			t.Errorf("Process(%d samples) err = %v, want ErrFrameSize", n, err)
		}
	}
}

// TestEnergySynthetic runs noise, then a loud tone burst, then noise, and
// checks the decisions and that the noise floor follows a rise in noise.
func TestEnergySynthetic(t *testing.T) {
	tests := []struct {
		name       string
		signal     []int16
		wantSpeech func(frame int) bool
		slack      int            // frames around transitions not checked
		skip       func(int) bool // frames not checked
	}{
		{
			name:       "burst in quiet noise",
			signal:     concat(noise(16000, 100, 1), tone(16000, 300, 8000), noise(16000, 100, 2)),
			wantSpeech: func(f int) bool { return f >= 50 && f < 100 },
			slack:      1,
		},
		{
			name:       "digital silence is not speech",
			signal:     make([]int16, 32000),
			wantSpeech: func(int) bool { return false },
		},
		{
			name: "noise rising by 12 dB is learnt",
			// 1 s quiet, then 9 s of noise 12 dB louder: the floor rises at
			// 1.5 dB/s, so after 12/1.5 = 8 s at most it must be silence
			// again (how soon within those 8 s is not checked).
			signal:     concat(noise(16000, 100, 3), noise(9*16000, 400, 4)),
			wantSpeech: func(f int) bool { return false },
			skip:       func(f int) bool { return f >= 50 && f < 50+8*50 },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, g := newEnergy(t), newGate(t)
			wrong := 0
			for f := 0; (f+1)*frame16 <= len(tt.signal); f++ {
				p, err := e.Process(tt.signal[f*frame16 : (f+1)*frame16])
				if err != nil {
					t.Fatal(err)
				}
				got := g.Update(p)
				if tt.skip != nil && tt.skip(f) {
					continue
				}
				if got != tt.wantSpeech(f) && !nearEdge(f, tt.wantSpeech, tt.slack) {
					wrong++
					if wrong < 5 {
						rms, thr := e.Level()
						t.Errorf("frame %d: speech %v, want %v (p %.2f, rms %.0f, threshold %.0f)", f, got, !got, p, rms, thr)
					}
				}
			}
		})
	}
}

func nearEdge(f int, want func(int) bool, slack int) bool {
	for d := -slack; d <= slack; d++ {
		if f+d >= 0 && want(f+d) != want(f) {
			return true
		}
	}
	return false
}

func concat(parts ...[]int16) []int16 {
	var out []int16
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// labelledAccuracy runs det and a default Gate over the labelled clips in
// 20 ms frames (after prepare, when given) and returns the frame accuracy
// against the labels, overall and per clip. A frame's truth is the label at
// its centre.
func labelledAccuracy(t *testing.T, newDet func() vad.Detector, prepare func([]int16) []int16) (float64, []string) {
	t.Helper()
	clips, err := speechcorpus.Load()
	if err != nil {
		t.Fatalf("load speech: %v", err)
	}
	var ok, total int
	var per []string
	for _, c := range clips {
		if c.Speech == nil {
			continue
		}
		samples := c.Samples
		if prepare != nil {
			samples = prepare(samples)
		}
		det, g := newDet(), newGate(t)
		cok, ctotal := 0, 0
		for f := 0; (f+1)*frame16 <= len(samples); f++ {
			p, err := det.Process(samples[f*frame16 : (f+1)*frame16])
			if err != nil {
				t.Fatal(err)
			}
			mid := time.Duration(f*frame16+frame16/2) * time.Second / speechcorpus.SampleRate
			if g.Update(p) == c.IsSpeech(mid) {
				cok++
			}
			ctotal++
		}
		ok += cok
		total += ctotal
		per = append(per, fmt.Sprintf("%s %.3f", c.Name, float64(cok)/float64(ctotal)))
	}
	if total == 0 {
		t.Fatal("no labelled clips found")
	}
	return float64(ok) / float64(total), per
}

// TestEnergyAccuracyOnLabelledSpeech measures frame accuracy of Energy + Gate
// on the 5 labelled real-speech clips. The labels mark the whole utterance as
// speech, pauses between words included, so a frame-level VAD cannot reach 1.
// ENGINES.md reports 0.88 for an offline energy rule and 0.97 for Silero.
func TestEnergyAccuracyOnLabelledSpeech(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(*testing.T) func([]int16) []int16
		min     float64
	}{
		// Measured 0.932 (per clip 0.913..0.951).
		{name: "clean 16 kHz", min: 0.90},
		// Measured 0.921: the call path, Opus at 48 kHz and back.
		{name: "through Opus and the resamplers", prepare: codecPath, min: 0.90},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var prep func([]int16) []int16
			if tt.prepare != nil {
				prep = tt.prepare(t)
			}
			acc, per := labelledAccuracy(t, func() vad.Detector { return newEnergy(t) }, prep)
			t.Logf("frame accuracy %.3f; per clip: %v", acc, per)
			if acc < tt.min {
				t.Errorf("frame accuracy %.3f, want ≥ %.2f", acc, tt.min)
			}
		})
	}
}

// codecPath returns a function that sends 16 kHz audio the way a trainee's
// voice reaches the VAD: up to 48 kHz, Opus encode and decode, down to 16 kHz.
func codecPath(t *testing.T) func([]int16) []int16 {
	t.Helper()
	return func(in []int16) []int16 {
		up, err1 := resample.New(16000, 48000)
		down, err2 := resample.New(48000, 16000)
		enc, err3 := opus.NewEncoder(opus.WithMaxBandwidth(opus.Fullband))
		dec, err4 := opus.NewDecoder()
		if err := errors.Join(err1, err2, err3, err4); err != nil {
			t.Fatal(err)
		}
		var out []int16
		f48 := make([]int16, 960)
		pkt := make([]byte, opus.MaxPacketBytes)
		f16 := make([]int16, frame16)
		for f := 0; (f+1)*frame16 <= len(in); f++ {
			if _, err := up.Process(f48, in[f*frame16:(f+1)*frame16]); err != nil {
				t.Fatal(err)
			}
			n, err := enc.Encode(f48, pkt)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := dec.Decode(pkt[:n], f48); err != nil {
				t.Fatal(err)
			}
			if _, err := down.Process(f16, f48); err != nil {
				t.Fatal(err)
			}
			out = append(out, f16...)
		}
		return out
	}
}

func TestDetectorFunc(t *testing.T) {
	var d vad.Detector = vad.DetectorFunc(func(frame []int16) (float32, error) { return float32(len(frame)) / 1000, nil })
	d.Reset()
	if p, err := d.Process(make([]int16, 320)); err != nil || p != 0.32 {
		t.Errorf("Process = %v, %v", p, err)
	}
}

func TestEnergyReset(t *testing.T) {
	e := newEnergy(t)
	loud := tone(frame16, 300, 10000)
	quiet := noise(frame16, 50, 9)
	first, _ := e.Process(quiet)
	_, _ = e.Process(loud)
	e.Reset()
	if again, _ := e.Process(quiet); again != first {
		t.Errorf("after Reset p = %v, want %v", again, first)
	}
}

func TestEnergyAllocs(t *testing.T) {
	e, g := newEnergy(t), newGate(t)
	frame := tone(frame16, 300, 5000)
	if a := testing.AllocsPerRun(100, func() {
		p, _ := e.Process(frame)
		g.Update(p)
	}); a != 0 {
		t.Errorf("Process allocates %.1f times per frame, want 0", a)
	}
}

func BenchmarkEnergy(b *testing.B) {
	for _, n := range []int{160, 320} {
		b.Run(fmt.Sprintf("%d ms", n/16), func(b *testing.B) {
			e, g := newEnergy(b), newGate(b)
			frame := tone(n, 300, 5000)
			b.ReportAllocs()
			for b.Loop() {
				p, _ := e.Process(frame)
				g.Update(p)
			}
		})
	}
}

func ExampleEnergy() {
	det, _ := vad.NewEnergy()
	gate, _ := vad.NewGate(vad.DefaultOnThreshold, vad.DefaultOffThreshold)
	frame := make([]int16, 320) // 20 ms of 16 kHz audio, here silence
	p, _ := det.Process(frame)
	fmt.Println(gate.Update(p))
	// Output: false
}
