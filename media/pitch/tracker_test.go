package pitch_test

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/avatar-fi/avatar/media/internal/speechcorpus"
	"github.com/avatar-fi/avatar/media/pitch"
)

const frame = 320 // 20 ms at 16 kHz

func newTracker(tb testing.TB, opts ...pitch.Option) *pitch.Tracker {
	tb.Helper()
	tr, err := pitch.New(opts...)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return tr
}

// voice returns a second of a glottal-like tone at f0 Hz: harmonics falling
// 6 dB per octave, as voiced speech has, at about −12 dBFS.
func voice(f0 float64, seconds float64) []int16 {
	n := int(seconds * pitch.SampleRate)
	out := make([]int16, n)
	for i := range out {
		t := float64(i) / pitch.SampleRate
		v := 0.0
		for h := 1; float64(h)*f0 < 3500; h++ {
			v += math.Sin(2*math.Pi*f0*float64(h)*t) / float64(h)
		}
		out[i] = int16(5000 * v)
	}
	return out
}

// run feeds pcm frame by frame and returns the estimates of the frames after
// the first 100 ms.
func run(t *testing.T, tr *pitch.Tracker, pcm []int16) []pitch.Estimate {
	t.Helper()
	var out []pitch.Estimate
	for i := 0; i+frame <= len(pcm); i += frame {
		e, err := tr.Process(pcm[i : i+frame])
		if err != nil {
			t.Fatal(err)
		}
		if i >= 5*frame {
			out = append(out, e)
		}
	}
	return out
}

func TestTones(t *testing.T) {
	tests := []struct {
		name string
		f0   float64
	}{
		{name: "low male 70 Hz", f0: 70},
		{name: "male 110 Hz", f0: 110},
		{name: "female 210 Hz", f0: 210},
		{name: "high 350 Hz", f0: 350},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, e := range run(t, newTracker(t), voice(tt.f0, 0.5)) {
				if math.Abs(float64(e.Hz)-tt.f0)/tt.f0 > 0.01 {
					t.Fatalf("estimate %.1f Hz (aperiodicity %.3f), want %.0f Hz ± 1 %%", e.Hz, e.Aperiodicity, tt.f0)
				}
			}
		})
	}
}

func TestUnvoiced(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	noise := make([]int16, pitch.SampleRate/2)
	for i := range noise {
		noise[i] = int16(rng.NormFloat64() * 3000)
	}
	tests := []struct {
		name string
		pcm  []int16
	}{
		{name: "silence", pcm: make([]int16, pitch.SampleRate/2)},
		{name: "white noise", pcm: noise},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			voiced := 0
			for _, e := range run(t, newTracker(t), tt.pcm) {
				if e.Hz > 0 {
					voiced++
				}
			}
			if voiced > 0 {
				t.Errorf("%d frames voiced, want none", voiced)
			}
		})
	}
}

// TestSpeech checks the tracker on the labelled real clips: most frames
// inside speech have a pitch, in the adult range, and the contour is smooth
// (octave jumps between neighbouring frames are rare).
func TestSpeech(t *testing.T) {
	clips, err := speechcorpus.Load()
	if err != nil {
		t.Fatal(err)
	}
	var speech, voiced, jumps, pairs, outside int
	for _, c := range clips {
		if len(c.Speech) == 0 {
			continue
		}
		tr := newTracker(t)
		var prev float32
		for i := 0; i+frame <= len(c.Samples); i += frame {
			e, err := tr.Process(c.Samples[i : i+frame])
			if err != nil {
				t.Fatal(err)
			}
			// The estimate describes audio about 30 ms back.
			if !c.IsSpeech(time.Duration(max(i-frame, 0)) * time.Second / pitch.SampleRate) {
				outside++
				prev = 0
				continue
			}
			speech++
			if e.Hz > 0 {
				voiced++
				if prev > 0 {
					pairs++
					if r := e.Hz / prev; r > 1.6 || r < 0.625 {
						jumps++
					}
				}
			}
			prev = e.Hz
		}
	}
	frac := float64(voiced) / float64(speech)
	jumpRate := float64(jumps) / float64(pairs)
	t.Logf("speech frames %d, with a pitch %.3f; octave-size jumps %.3f of %d neighbouring pairs", speech, frac, jumpRate, pairs)
	// Measured: 0.60 of speech frames have a pitch (unvoiced consonants and
	// pauses inside the labelled speech have none), 0.012 jumps.
	if frac < 0.45 {
		t.Errorf("only %.3f of speech frames have a pitch, want >= 0.45", frac)
	}
	if jumpRate > 0.03 {
		t.Errorf("%.3f of neighbouring pitched frames jump by an octave, want <= 0.03", jumpRate)
	}
}

func TestOptions(t *testing.T) {
	tests := []struct {
		name string
		opt  pitch.Option
		ok   bool
	}{
		{name: "range", opt: pitch.WithRange(50, 500), ok: true},
		{name: "range inverted", opt: pitch.WithRange(300, 100)},
		{name: "range too low", opt: pitch.WithRange(10, 100)},
		{name: "threshold", opt: pitch.WithThreshold(0.1), ok: true},
		{name: "threshold zero", opt: pitch.WithThreshold(0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := pitch.New(tt.opt)
			if (err == nil) != tt.ok {
				t.Errorf("New: %v, want ok %v", err, tt.ok)
			}
		})
	}
}

func TestFrameSize(t *testing.T) {
	tr := newTracker(t)
	for _, n := range []int{0, pitch.MaxFrameSamples + 1} {
		if _, err := tr.Process(make([]int16, n)); err == nil {
			t.Errorf("Process(%d samples): no error", n)
		}
	}
}

func BenchmarkProcess(b *testing.B) {
	tr := newTracker(b)
	pcm := voice(120, 1)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := tr.Process(pcm[i : i+frame]); err != nil {
			b.Fatal(err)
		}
		i = (i + frame) % (len(pcm) - frame)
	}
}
