package silero_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/avatar-fi/avatar/media/vad/silero"
)

// TestPool checks that a Pool spreads its streams over its Models, that
// streams on different Models running at once get exactly what they get
// alone, and that Close ends them.
func TestPool(t *testing.T) {
	p, err := silero.NewPool(2, silero.WithDir(modelsDir(t)))
	if err != nil {
		t.Fatal(err)
	}
	audio := corpusAudio(t)
	m := newModel(t)
	const streams = 4
	segs := make([][]int16, streams)
	want := make([][]float32, streams)
	for i := range segs {
		segs[i] = audio[i*32000 : i*32000+48000]
		want[i] = probs(t, newStream(t, m), segs[i], frame16)
	}
	got := make([][]float32, streams)
	var wg sync.WaitGroup
	for i := range streams {
		s, err := p.NewStream()
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() { got[i] = probs(t, s, segs[i], frame16) })
	}
	wg.Wait()
	for i := range streams {
		for f := range want[i] {
			if got[i][f] != want[i][f] {
				t.Fatalf("stream %d frame %d: p = %v in the pool, %v alone", i, f, got[i][f], want[i][f])
			}
		}
	}
	for i, m := range p.Models() {
		if runs, _ := m.Runs(); runs == 0 {
			t.Errorf("model %d of the pool never ran: streams are not spread", i)
		}
	}
	s, err := p.NewStream(silero.WithoutGate())
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Process(segs[0][:2*silero.WindowSamples]); !errors.Is(err, silero.ErrClosed) {
		t.Errorf("Process after Close: %v, want ErrClosed", err)
	}
	if _, err := p.NewStream(); !errors.Is(err, silero.ErrClosed) {
		t.Errorf("NewStream after Close: %v, want ErrClosed", err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestPoolOptions(t *testing.T) {
	tests := []struct {
		name string
		n    int
		opts []silero.Option
		want error
	}{
		{name: "too many models", n: 1000, want: silero.ErrInvalidOption},
		{name: "bad option", n: 1, opts: []silero.Option{silero.WithMaxBatch(0)}, want: silero.ErrInvalidOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := silero.NewPool(tt.n, tt.opts...); !errors.Is(err, tt.want) {
				t.Errorf("NewPool: %v, want %v", err, tt.want)
			}
		})
	}
}
