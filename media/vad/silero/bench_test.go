package silero_test

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/avatar-fi/avatar/media/internal/callpath"
	"github.com/avatar-fi/avatar/media/vad"
	"github.com/avatar-fi/avatar/media/vad/silero"
)

// TestGateSavings reports how many windows the default energy gate keeps
// away from the model on the speech set, and checks that it keeps some of
// the silence away without losing speech: over the 13 clips as recorded
// (little silence: 0.2–0.6 s around each utterance), and with each clip
// followed by 1.5 s of white noise at −50 dBFS (RMS 100) (the trainee listening).
func TestGateSavings(t *testing.T) {
	m := newModel(t)
	clips := loadClips(t)
	tests := []struct {
		name    string
		pad     int
		minSkip float64
	}{
		// Measured 7.7 %.
		{name: "clips as recorded", minSkip: 0.05},
		// Measured 21.5 %: 56 % of the noise windows. Where the noise is
		// louder than the clip's own background, Energy's floor climbs to it
		// at 1.5 dB/s, and the gate holds off until it has.
		{name: "clips + 1.5 s of noise", pad: 24000, minSkip: 0.18},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var st silero.Stats
			disagree, frames := 0, 0
			for i, c := range clips {
				audio := append(slices.Clone(c.Samples), noise(tt.pad, 100, uint64(i))...)
				g := newStream(t, m)
				a, b := decisions(t, g, audio), decisions(t, newStream(t, m, silero.WithoutGate()), audio)
				for f := range a {
					if a[f] != b[f] {
						disagree++
					}
				}
				frames += len(a)
				st.Windows += g.Stats().Windows
				st.Skipped += g.Stats().Skipped
			}
			skip := float64(st.Skipped) / float64(st.Windows)
			t.Logf("skipped %d of %d windows (%.1f %%); gated and ungated decisions differ on %d of %d frames",
				st.Skipped, st.Windows, 100*skip, disagree, frames)
			if skip < tt.minSkip {
				t.Errorf("skipped %.1f %% of windows, want ≥ %.0f %%", 100*skip, 100*tt.minSkip)
			}
			if float64(disagree) > 0.02*float64(frames) {
				t.Errorf("gate changed %d of %d decisions, want ≤ 2 %%", disagree, frames)
			}
		})
	}
}

// BenchmarkStream measures Stream.Process plus Gate.Update per 20 ms frame
// over the 13 clips back to back (a window runs on 5 frames out of 8), with
// and without the energy gate, and with 1.5 s of noise after each clip.
func BenchmarkStream(b *testing.B) {
	m := newModel(b)
	clips, err := loadClipsTB(b)
	if err != nil {
		b.Fatal(err)
	}
	var speech, padded []int16
	for i, c := range clips {
		speech = append(speech, c.Samples...)
		padded = append(append(padded, c.Samples...), noise(24000, 100, uint64(i))...)
	}
	for _, bm := range []struct {
		name  string
		audio []int16
		opt   silero.StreamOption
	}{
		{name: "alone/speech", audio: speech, opt: silero.WithoutGate()},
		{name: "gated/speech", audio: speech},
		{name: "alone/speech+noise", audio: padded, opt: silero.WithoutGate()},
		{name: "gated/speech+noise", audio: padded},
	} {
		b.Run(bm.name, func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			s := newStream(b, m, bm.opt)
			g := newGate(b)
			frames := len(bm.audio) / frame16
			i := 0
			b.ReportAllocs()
			cpu0 := threadCPU(b)
			for b.Loop() {
				k := i % frames
				p, err := s.Process(bm.audio[k*frame16 : (k+1)*frame16])
				if err != nil {
					b.Fatal(err)
				}
				g.Update(p)
				i++
			}
			b.ReportMetric(float64(threadCPU(b)-cpu0)/float64(b.N), "cpu-ns/op")
			st := s.Stats()
			b.ReportMetric(float64(st.Windows-st.Skipped)/float64(st.Frames), "runs/frame")
		})
	}
}

// BenchmarkWindow measures one model run on a 32 ms window (one Stream,
// 512-sample frames, no gate), to compare with ENGINES.md.
func BenchmarkWindow(b *testing.B) {
	m := newModel(b)
	clips, err := loadClipsTB(b)
	if err != nil {
		b.Fatal(err)
	}
	audio := clips[0].Samples
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	s := newStream(b, m, silero.WithoutGate())
	n := len(audio) / silero.WindowSamples
	i := 0
	b.ReportAllocs()
	cpu0 := threadCPU(b)
	for b.Loop() {
		k := i % n
		if _, err := s.Process(audio[k*silero.WindowSamples : (k+1)*silero.WindowSamples]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(threadCPU(b)-cpu0)/float64(b.N), "cpu-ns/op")
}

// threadCPU returns the CPU time consumed by the calling OS thread, which
// other load on a shared machine inflates less than wall time. The caller
// locks its goroutine to the thread. ONNX Runtime runs on the calling thread
// (its thread pools have size 1), so this is the model's cost too.
func threadCPU(tb testing.TB) int64 {
	tb.Helper()
	ns, err := callpath.ThreadCPU()
	if err != nil {
		tb.Fatal(err)
	}
	return ns
}

// BenchmarkNew measures creating (and closing) a Model: the cost of a
// session, paid once per worker.
func BenchmarkNew(b *testing.B) {
	newModel(b) // load the runtime library outside the loop
	for b.Loop() {
		m, err := silero.New(silero.WithDir(modelsDir(b)))
		if err != nil {
			b.Fatal(err)
		}
		_ = m.Close()
	}
}

// TestModelFootprint logs the resident memory and the time each Model takes
// (creating 4 and running a window on each) and a Stream's size. It asserts
// only loose bounds: the machine is shared.
func TestModelFootprint(t *testing.T) {
	newModel(t) // the runtime library itself is not a session's cost
	runtime.GC()
	rss0 := rssBytes(t)
	const n = 4
	t0 := time.Now()
	for range n {
		m := newModel(t)
		s := newStream(t, m, silero.WithoutGate())
		if _, err := s.Process(make([]int16, silero.WindowSamples)); err != nil {
			t.Fatal(err)
		}
	}
	per := time.Since(t0) / n
	runtime.GC()
	mb := float64(rssBytes(t)-rss0) / n / (1 << 20)
	t.Logf("per Model: %.1f MB resident, %v to create and run a first window", mb, per.Round(time.Millisecond))
	if mb > 40 {
		t.Errorf("a Model costs %.1f MB, want ≤ 40", mb)
	}
}

func rssBytes(t *testing.T) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc/self/status")
	return 0
}

var _ vad.Detector = (*silero.Stream)(nil)

func ExampleModel() {
	// One Model per worker; its path defaults to DefaultDir.
	m, err := silero.New(silero.WithDir(os.Getenv(silero.EnvDir)))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	// One Stream per call, behind vad.Detector, with the default energy gate.
	det, err := m.NewStream()
	if err != nil {
		fmt.Println(err)
		return
	}
	gate, _ := vad.NewGate(vad.DefaultOnThreshold, vad.DefaultOffThreshold)
	frame := make([]int16, 320) // 20 ms of 16 kHz audio, here silence
	for range 5 {
		p, _ := det.Process(frame)
		fmt.Println(gate.Update(p))
	}
	// Output:
	// false
	// false
	// false
	// false
	// false
}
