package silero_test

import (
	"errors"
	"fmt"
	"runtime"
	"testing"

	"github.com/avatar-fi/avatar/media/vad"
	"github.com/avatar-fi/avatar/media/vad/silero"
)

// batchFixture returns n streams' worth of different real speech (offsets
// into the clips back to back) and n streams of each kind on m.
func batchAudio(tb testing.TB, n, samples int) [][]int16 {
	tb.Helper()
	all := corpusAudio(tb)
	out := make([][]int16, n)
	for i := range out {
		off := (i * 7919 * frame16 / 4) % (len(all) - samples)
		out[i] = all[off : off+samples]
	}
	return out
}

// TestProcessBatch checks that ProcessBatch gives every stream exactly the
// probabilities it gets from Process alone, with more streams than the
// maximum batch and with the gate on and off.
func TestProcessBatch(t *testing.T) {
	m, err := silero.New(silero.WithDir(modelsDir(t)), silero.WithMaxBatch(4))
	if err != nil {
		t.Fatalf("silero.New: %v", err)
	}
	defer m.Close()
	const n = 11
	audio := batchAudio(t, n, 16000*3)
	for _, gated := range []bool{false, true} {
		t.Run(fmt.Sprintf("gated=%v", gated), func(t *testing.T) {
			opt := silero.WithoutGate()
			if gated {
				opt = nil
			}
			alone := make([][]float32, n)
			batched := make([]*silero.Stream, n)
			for i := range n {
				alone[i] = probs(t, newStream(t, m, opt), audio[i], frame16)
				batched[i] = newStream(t, m, opt)
			}
			frames := make([][]int16, n)
			ps := make([]float32, n)
			for f := range alone[0] {
				for i := range n {
					frames[i] = audio[i][f*frame16 : (f+1)*frame16]
				}
				if err := m.ProcessBatch(batched, frames, ps); err != nil {
					t.Fatal(err)
				}
				for i := range n {
					if ps[i] != alone[i][f] {
						t.Fatalf("frame %d stream %d: p = %v batched, %v alone", f, i, ps[i], alone[i][f])
					}
				}
			}
			runs, windows := m.Runs()
			t.Logf("mean batch %.2f windows per run", float64(windows)/float64(runs))
		})
	}
}

func TestProcessBatchErrors(t *testing.T) {
	m, other := newModel(t), newModel(t)
	a, b := newStream(t, m), newStream(t, m)
	frames := [][]int16{make([]int16, frame16), make([]int16, 0)}
	ps := make([]float32, 2)
	if err := m.ProcessBatch([]*silero.Stream{a, b}, frames, ps); !errors.Is(err, vad.ErrFrameSize) {
		t.Errorf("bad frame: err = %v, want vad.ErrFrameSize", err)
	}
	if err := m.ProcessBatch([]*silero.Stream{a, b}, frames[:1], ps); !errors.Is(err, silero.ErrBatch) {
		t.Errorf("short frames: err = %v, want ErrBatch", err)
	}
	if err := m.ProcessBatch([]*silero.Stream{newStream(t, other)}, frames[:1], ps); !errors.Is(err, silero.ErrBatch) {
		t.Errorf("stream of another Model: err = %v, want ErrBatch", err)
	}
	if _, err := silero.New(silero.WithDir(modelsDir(t)), silero.WithMaxBatch(0)); !errors.Is(err, silero.ErrInvalidOption) {
		t.Errorf("WithMaxBatch(0): err = %v, want ErrInvalidOption", err)
	}
}

func TestProcessBatchAllocs(t *testing.T) {
	m := newModel(t)
	const n = 24
	audio := batchAudio(t, n, 16000*3)
	streams := make([]*silero.Stream, n)
	for i := range streams {
		streams[i] = newStream(t, m, silero.WithoutGate())
	}
	frames := make([][]int16, n)
	ps := make([]float32, n)
	f := 0
	step := func() {
		k := f % (len(audio[0]) / frame16)
		for i := range n {
			frames[i] = audio[i][k*frame16 : (k+1)*frame16]
		}
		if err := m.ProcessBatch(streams, frames, ps); err != nil {
			t.Fatal(err)
		}
		f++
	}
	step()
	step()
	if a := testing.AllocsPerRun(100, step); a != 0 {
		t.Errorf("ProcessBatch allocates %.2f times per tick, want 0", a)
	}
}

// BenchmarkProcessBatch measures one 20 ms tick of n calls through
// ProcessBatch (no gate), per call's frame: thread CPU in cpu-ns/op is per
// stream-frame.
func BenchmarkProcessBatch(b *testing.B) {
	m := newModel(b)
	for _, n := range []int{1, 4, 8, 16, 32} {
		b.Run(fmt.Sprintf("%d streams", n), func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			audio := batchAudio(b, n, 16000*3)
			streams := make([]*silero.Stream, n)
			for i := range streams {
				streams[i] = newStream(b, m, silero.WithoutGate())
			}
			frames := make([][]int16, n)
			ps := make([]float32, n)
			frameCount := len(audio[0]) / frame16
			f := 0
			b.ReportAllocs()
			cpu0 := threadCPU(b)
			for b.Loop() {
				k := f % frameCount
				for i := range n {
					frames[i] = audio[i][k*frame16 : (k+1)*frame16]
				}
				if err := m.ProcessBatch(streams, frames, ps); err != nil {
					b.Fatal(err)
				}
				f++
			}
			b.ReportMetric(float64(threadCPU(b)-cpu0)/float64(b.N)/float64(n), "cpu-ns/stream-frame")
		})
	}
}
