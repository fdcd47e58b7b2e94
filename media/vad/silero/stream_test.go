package silero_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"

	"github.com/avatar-fi/avatar/media/internal/speechcorpus"
	"github.com/avatar-fi/avatar/media/vad"
	"github.com/avatar-fi/avatar/media/vad/silero"
)

const frame16 = 320 // 20 ms at 16 kHz

// corpusAudio returns all 13 clips back to back.
func corpusAudio(tb testing.TB) []int16 {
	tb.Helper()
	clips, err := speechcorpus.Load()
	if err != nil {
		tb.Fatalf("load speech: %v", err)
	}
	var all []int16
	for _, c := range clips {
		all = append(all, c.Samples...)
	}
	return all
}

// noise returns n samples of white noise with the given RMS.
func noise(n int, rms float64, seed uint64) []int16 {
	rng := rand.New(rand.NewPCG(seed, 7))
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(rng.NormFloat64() * rms)
	}
	return out
}

func loadClipsTB(tb testing.TB) ([]speechcorpus.Clip, error) {
	tb.Helper()
	return speechcorpus.Load()
}

// probs runs det over audio in frames of n samples.
func probs(tb testing.TB, det vad.Detector, audio []int16, n int) []float32 {
	tb.Helper()
	var out []float32
	for i := 0; i+n <= len(audio); i += n {
		p, err := det.Process(audio[i : i+n])
		if err != nil {
			tb.Fatalf("Process at sample %d: %v", i, err)
		}
		out = append(out, p)
	}
	return out
}

func TestNewErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		opts    []silero.Option
		wantErr error
	}{
		{name: "missing model", opts: []silero.Option{silero.WithModelPath(filepath.Join(dir, "none.onnx"))}, wantErr: silero.ErrModel},
		{name: "empty model path", opts: []silero.Option{silero.WithModelPath("")}, wantErr: silero.ErrInvalidOption},
		{name: "empty runtime path", opts: []silero.Option{silero.WithRuntimePath("")}, wantErr: silero.ErrInvalidOption},
		{name: "not a model", opts: []silero.Option{silero.WithModelPath("stream_test.go")}, wantErr: silero.ErrModel},
	}
	newModel(t) // the runtime is loaded from the default place first
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := append([]silero.Option{silero.WithDir(modelsDir(t))}, tt.opts...)
			m, err := silero.New(opts...)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("New err = %v, want %v", err, tt.wantErr)
			}
			if m != nil {
				_ = m.Close()
			}
		})
	}
	if _, err := silero.New(silero.WithDir(modelsDir(t)), silero.WithRuntimePath(filepath.Join(dir, "libother.so"))); !errors.Is(err, silero.ErrRuntime) {
		t.Errorf("New with a second runtime path: err = %v, want ErrRuntime", err)
	}
}

func modelsDir(tb testing.TB) string {
	tb.Helper()
	if d := getenv(silero.EnvDir); d != "" {
		return d
	}
	return silero.DefaultDir
}

func TestStreamOptions(t *testing.T) {
	m := newModel(t)
	tests := []struct {
		name    string
		opt     silero.StreamOption
		wantErr error
	}{
		{name: "gate", opt: silero.WithEnergyGate(0.2, 0.7)},
		{name: "no gate", opt: silero.WithoutGate()},
		{name: "gate threshold 1", opt: silero.WithEnergyGate(1, 0.5), wantErr: silero.ErrInvalidOption},
		{name: "negative decay", opt: silero.WithEnergyGate(0.1, -0.1), wantErr: silero.ErrInvalidOption},
		{name: "decay 1", opt: silero.WithEnergyGate(0.1, 1), wantErr: silero.ErrInvalidOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := m.NewStream(tt.opt); !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestFrameSizes(t *testing.T) {
	s := newStream(t, newModel(t))
	for _, n := range []int{1, 160, 320, 480, 512, 1600} {
		if _, err := s.Process(make([]int16, n)); err != nil {
			t.Errorf("Process(%d samples): %v", n, err)
		}
	}
	for _, n := range []int{0, 1601} {
		if _, err := s.Process(make([]int16, n)); !errors.Is(err, vad.ErrFrameSize) {
			t.Errorf("Process(%d samples) err = %v, want vad.ErrFrameSize", n, err)
		}
	}
	// 1+160+320+480+512+1600 = 3073 samples: 6 windows.
	if st := s.Stats(); st.Windows != 6 || st.Frames != 6 {
		t.Errorf("stats %+v, want 6 frames and 6 windows", st)
	}
}

// TestFrameSplitInvariance checks that the probabilities depend on the audio,
// not on how it is cut into frames: at every window boundary, 20 ms and 10 ms
// frames give the same probability as whole windows.
func TestFrameSplitInvariance(t *testing.T) {
	m := newModel(t)
	audio := corpusAudio(t)[:16000*4]
	byWindow := probs(t, newStream(t, m, silero.WithoutGate()), audio, silero.WindowSamples)
	for _, n := range []int{320, 160} {
		got := probs(t, newStream(t, m, silero.WithoutGate()), audio, n)
		for w, want := range byWindow {
			// Window w completes within the frame holding sample (w+1)*512-1.
			f := ((w+1)*silero.WindowSamples - 1) / n
			if f < len(got) && got[f] != want {
				t.Fatalf("frames of %d: window %d p = %v, want %v", n, w, got[f], want)
			}
		}
	}
}

// TestStreamsShareModel runs several streams on one Model from several
// goroutines, interleaved, and checks that each gets exactly the
// probabilities it gets alone: the state and context swap per stream.
func TestStreamsShareModel(t *testing.T) {
	m := newModel(t)
	audio := corpusAudio(t)
	const streams = 4
	segs := make([][]int16, streams)
	want := make([][]float32, streams)
	for i := range segs {
		segs[i] = audio[i*32000 : i*32000+48000]
		want[i] = probs(t, newStream(t, m, silero.WithoutGate()), segs[i], frame16)
	}
	got := make([][]float32, streams)
	var wg sync.WaitGroup
	for i := range streams {
		s := newStream(t, m, silero.WithoutGate())
		wg.Go(func() {
			for f := 0; (f+1)*frame16 <= len(segs[i]); f++ {
				p, err := s.Process(segs[i][f*frame16 : (f+1)*frame16])
				if err != nil {
					t.Error(err)
					return
				}
				got[i] = append(got[i], p)
			}
		})
	}
	wg.Wait()
	for i := range streams {
		if len(got[i]) != len(want[i]) {
			t.Fatalf("stream %d: %d probabilities, want %d", i, len(got[i]), len(want[i]))
		}
		for f := range want[i] {
			if got[i][f] != want[i][f] {
				t.Fatalf("stream %d frame %d: p = %v shared, %v alone", i, f, got[i][f], want[i][f])
			}
		}
	}
}

func TestReset(t *testing.T) {
	m := newModel(t)
	audio := corpusAudio(t)[:32000]
	s := newStream(t, m)
	first := probs(t, s, audio, frame16)
	s.Reset()
	again := probs(t, s, audio, frame16)
	for i := range first {
		if first[i] != again[i] {
			t.Fatalf("frame %d after Reset: p = %v, want %v", i, again[i], first[i])
		}
	}
}

// TestSynthetic checks the obvious: silence and low noise are not speech.
func TestSynthetic(t *testing.T) {
	m := newModel(t)
	rng := rand.New(rand.NewPCG(1, 2))
	quietNoise := make([]int16, 32000)
	for i := range quietNoise {
		quietNoise[i] = int16(rng.NormFloat64() * 30)
	}
	tests := []struct {
		name  string
		audio []int16
	}{
		{name: "digital silence", audio: make([]int16, 32000)},
		{name: "noise at -60 dBFS", audio: quietNoise},
	}
	for _, tt := range tests {
		for _, gated := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s gated=%v", tt.name, gated), func(t *testing.T) {
				opt := silero.WithoutGate()
				if gated {
					opt = nil
				}
				for f, p := range probs(t, newStream(t, m, opt), tt.audio, frame16) {
					if p >= 0.35 || math.IsNaN(float64(p)) {
						t.Fatalf("frame %d: p = %v", f, p)
					}
				}
			})
		}
	}
}

func TestClosed(t *testing.T) {
	m := newModel(t)
	s := newStream(t, m)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Process(make([]int16, 1024)); err == nil {
		// The gate skips silent windows without the model: feed a tone.
		t.Log("silent frame skipped the model")
	}
	tone := make([]int16, 1024)
	for i := range tone {
		tone[i] = int16(8000 * math.Sin(float64(i)*0.2))
	}
	if _, err := s.Process(tone); !errors.Is(err, silero.ErrClosed) {
		t.Errorf("Process after Close: err = %v, want ErrClosed", err)
	}
	if _, err := m.NewStream(); !errors.Is(err, silero.ErrClosed) {
		t.Errorf("NewStream after Close: err = %v, want ErrClosed", err)
	}
}

func TestAllocs(t *testing.T) {
	m := newModel(t)
	audio := corpusAudio(t)
	for _, gated := range []bool{false, true} {
		t.Run(fmt.Sprintf("gated=%v", gated), func(t *testing.T) {
			opt := silero.WithoutGate()
			if gated {
				opt = nil
			}
			s := newStream(t, m, opt)
			g, _ := vad.NewGate(vad.DefaultOnThreshold, vad.DefaultOffThreshold)
			i := 0
			if a := testing.AllocsPerRun(500, func() {
				p, _ := s.Process(audio[i*frame16 : (i+1)*frame16])
				g.Update(p)
				i++
			}); a != 0 {
				t.Errorf("Process allocates %.2f times per frame, want 0", a)
			}
		})
	}
}
