package jitter_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/avatar-fi/avatar/media/jitter"
)

func newBuffer(t testing.TB, opts ...jitter.Option) *jitter.Buffer {
	t.Helper()
	b, err := jitter.New(opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return b
}

// payload makes a recognisable payload for seq.
func payload(seq uint16) []byte { return []byte{byte(seq >> 8), byte(seq), 0xAB} }

// step is one action on the buffer: push seq, or pop (and expect).
type step struct {
	push    bool
	seq     uint16
	wantErr error         // push
	want    jitter.Status // pop
	wantSeq uint16        // pop, for Ready and Missing
}

func push(seq uint16) step                  { return step{push: true, seq: seq} }
func pushErr(seq uint16, err error) step    { return step{push: true, seq: seq, wantErr: err} }
func pop(st jitter.Status, seq uint16) step { return step{want: st, wantSeq: seq} }
func popBuffering() step                    { return step{want: jitter.Buffering} }

func TestBuffer(t *testing.T) {
	tests := []struct {
		name  string
		opts  []jitter.Option
		steps []step
		stats jitter.Stats
	}{
		{
			name:  "in order after priming",
			steps: []step{popBuffering(), push(10), push(11), popBuffering(), push(12), pop(jitter.Ready, 10), pop(jitter.Ready, 11), pop(jitter.Ready, 12)},
			stats: jitter.Stats{Received: 3, Played: 3},
		},
		{
			name:  "reordered within window",
			steps: []step{push(10), push(12), push(11), pop(jitter.Ready, 10), pop(jitter.Ready, 11), pop(jitter.Ready, 12)},
			stats: jitter.Stats{Received: 3, Played: 3, Reordered: 1},
		},
		{
			name:  "earlier packet while priming moves the start back",
			steps: []step{push(11), push(12), push(10), pop(jitter.Ready, 10), pop(jitter.Ready, 11)},
			stats: jitter.Stats{Received: 3, Played: 2, Reordered: 1},
		},
		{
			name: "missing packet reported, then late",
			steps: []step{push(1), push(2), push(4), pop(jitter.Ready, 1), pop(jitter.Ready, 2), pop(jitter.Missing, 3),
				pushErr(3, jitter.ErrLate), pop(jitter.Ready, 4)},
			stats: jitter.Stats{Received: 3, Played: 3, Missing: 1, Late: 1},
		},
		{
			name:  "lost packet never arrives",
			steps: []step{push(1), push(3), push(4), pop(jitter.Ready, 1), pop(jitter.Missing, 2), pop(jitter.Ready, 3)},
			stats: jitter.Stats{Received: 3, Played: 2, Missing: 1, Lost: 1},
		},
		{
			name: "duplicates, buffered and played",
			steps: []step{push(1), pushErr(1, jitter.ErrDuplicate), push(2), push(3), pop(jitter.Ready, 1),
				pushErr(1, jitter.ErrDuplicate), pushErr(3, jitter.ErrDuplicate), pop(jitter.Ready, 2)},
			stats: jitter.Stats{Received: 3, Played: 2, Duplicate: 3},
		},
		{
			name:  "wrap-around at 65535",
			steps: []step{push(65534), push(65535), push(0), push(1), pop(jitter.Ready, 65534), pop(jitter.Ready, 65535), pop(jitter.Ready, 0), pop(jitter.Ready, 1)},
			stats: jitter.Stats{Received: 4, Played: 4},
		},
		{
			name:  "reordered across wrap-around",
			steps: []step{push(65535), push(1), push(0), pop(jitter.Ready, 65535), pop(jitter.Ready, 0), pop(jitter.Ready, 1)},
			stats: jitter.Stats{Received: 3, Played: 3, Reordered: 1},
		},
		{
			name: "far ahead packet overflows the window",
			opts: []jitter.Option{jitter.WithCapacity(8), jitter.WithDepth(1)},
			steps: []step{push(1), push(2), pop(jitter.Ready, 1), push(12),
				// 12 needs slots up to 12-8+1 = 5: 2 is dropped, 3 and 4 skipped.
				pop(jitter.Missing, 5)},
			stats: jitter.Stats{Received: 3, Played: 1, Missing: 1, Lost: 1, Overflow: 1},
		},
		{
			name:  "huge jump resyncs",
			steps: []step{push(1), push(2), push(3), pop(jitter.Ready, 1), push(40000), pop(jitter.Buffering, 0), push(40001), push(40002), pop(jitter.Ready, 40000)},
			stats: jitter.Stats{Received: 6, Played: 2, Overflow: 2, Resyncs: 1},
		},
		{
			name: "underrun: a few missing, then re-priming",
			opts: []jitter.Option{jitter.WithDepth(1), jitter.WithMaxUnderrun(2)},
			steps: []step{push(1), pop(jitter.Ready, 1), pop(jitter.Missing, 2), pop(jitter.Missing, 3), popBuffering(), popBuffering(),
				push(9), pop(jitter.Ready, 9)},
			stats: jitter.Stats{Received: 2, Played: 2, Missing: 2, Lost: 2, Resyncs: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBuffer(t, tt.opts...)
			dst := make([]byte, jitter.DefaultMaxPayload)
			for i, s := range tt.steps {
				if s.push {
					if err := b.Push(s.seq, payload(s.seq)); !errors.Is(err, s.wantErr) {
						t.Fatalf("step %d: Push(%d) = %v, want %v", i, s.seq, err, s.wantErr)
					}
					continue
				}
				f, err := b.Pop(dst)
				if err != nil {
					t.Fatalf("step %d: Pop: %v", i, err)
				}
				if f.Status != s.want || (s.want != jitter.Buffering && f.Seq != s.wantSeq) {
					t.Fatalf("step %d: Pop = %v seq %d, want %v seq %d", i, f.Status, f.Seq, s.want, s.wantSeq)
				}
				if f.Status == jitter.Ready && string(dst[:f.N]) != string(payload(f.Seq)) {
					t.Fatalf("step %d: payload %x, want %x", i, dst[:f.N], payload(f.Seq))
				}
			}
			if got := b.Stats(); got != tt.stats {
				t.Errorf("Stats = %+v\nwant    %+v", got, tt.stats)
			}
		})
	}
}

func TestNextForFEC(t *testing.T) {
	b := newBuffer(t, jitter.WithDepth(2))
	dst := make([]byte, 16)
	for _, s := range []uint16{5, 7, 8} {
		if err := b.Push(s, payload(s)); err != nil {
			t.Fatal(err)
		}
	}
	if f, _ := b.Pop(dst); f.Status != jitter.Ready || f.Seq != 5 {
		t.Fatalf("Pop = %+v", f)
	}
	if _, ok, _ := b.Next(dst); ok {
		t.Error("Next found 6, which never arrived")
	}
	if f, _ := b.Pop(dst); f.Status != jitter.Missing || f.Seq != 6 {
		t.Fatalf("Pop = %+v, want Missing 6", f)
	}
	n, ok, err := b.Next(dst)
	if err != nil || !ok || string(dst[:n]) != string(payload(7)) {
		t.Fatalf("Next = %x, %v, %v; want packet 7", dst[:n], ok, err)
	}
	if _, _, err := b.Next(dst[:1]); !errors.Is(err, jitter.ErrShortBuffer) {
		t.Errorf("Next into 1 byte: %v, want ErrShortBuffer", err)
	}
	if f, _ := b.Pop(dst); f.Status != jitter.Ready || f.Seq != 7 {
		t.Fatalf("after Next, Pop = %+v, want Ready 7", f)
	}
	if _, err := b.Pop(dst[:1]); !errors.Is(err, jitter.ErrShortBuffer) {
		t.Errorf("Pop into 1 byte: %v, want ErrShortBuffer", err)
	}
	if f, _ := b.Pop(dst); f.Status != jitter.Ready || f.Seq != 8 {
		t.Errorf("packet kept after short Pop: %+v", f)
	}
	if b.Len() != 0 {
		t.Errorf("Len = %d, want 0", b.Len())
	}
}

func TestPushErrors(t *testing.T) {
	b := newBuffer(t, jitter.WithMaxPayload(4))
	if err := b.Push(1, make([]byte, 5)); !errors.Is(err, jitter.ErrTooLarge) {
		t.Errorf("oversized: %v, want ErrTooLarge", err)
	}
	if err := b.Push(1, nil); err != nil {
		t.Errorf("empty payload: %v", err)
	}
}

func TestOptions(t *testing.T) {
	tests := []struct {
		name    string
		opts    []jitter.Option
		wantErr error
	}{
		{name: "defaults"},
		{name: "custom", opts: []jitter.Option{jitter.WithCapacity(16), jitter.WithDepth(8), jitter.WithMaxPayload(200), jitter.WithMaxUnderrun(3)}},
		{name: "capacity not power of two", opts: []jitter.Option{jitter.WithCapacity(48)}, wantErr: jitter.ErrInvalidOption},
		{name: "depth over half capacity", opts: []jitter.Option{jitter.WithCapacity(8), jitter.WithDepth(5)}, wantErr: jitter.ErrInvalidOption},
		{name: "zero payload", opts: []jitter.Option{jitter.WithMaxPayload(0)}, wantErr: jitter.ErrInvalidOption},
		{name: "zero depth", opts: []jitter.Option{jitter.WithDepth(0)}, wantErr: jitter.ErrInvalidOption},
		{name: "zero underrun", opts: []jitter.Option{jitter.WithMaxUnderrun(0)}, wantErr: jitter.ErrInvalidOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := jitter.New(tt.opts...); !errors.Is(err, tt.wantErr) {
				t.Errorf("New error = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// TestRandomNetwork sends 20 000 packets through a simulated network with
// 5% loss, 2% duplicates and up to 50 ms of jitter, pops every 20 ms, and
// checks that the buffer plays packets in strictly increasing order and that
// its counters add up.
func TestRandomNetwork(t *testing.T) {
	b := newBuffer(t)
	rng := rand.New(rand.NewPCG(7, 7))
	type arrival struct {
		at  int // ms
		seq uint16
	}
	var arrivals []arrival
	const n = 20000
	seq0 := uint16(65000) // wraps around during the run
	sent := 0
	for i := range n {
		if rng.Float64() < 0.05 {
			continue
		}
		sent++
		s := seq0 + uint16(i)
		arrivals = append(arrivals, arrival{at: i*20 + rng.IntN(50), seq: s})
		if rng.Float64() < 0.02 {
			arrivals = append(arrivals, arrival{at: i*20 + rng.IntN(50), seq: s})
		}
	}
	// Deliver in arrival time order.
	for i := 1; i < len(arrivals); i++ {
		for j := i; j > 0 && arrivals[j].at < arrivals[j-1].at; j-- {
			arrivals[j], arrivals[j-1] = arrivals[j-1], arrivals[j]
		}
	}
	dst := make([]byte, 64)
	next := 0
	var lastPlayed int64 = -1
	played := 0
	for tick := 0; tick < n*20+200; tick += 20 {
		for next < len(arrivals) && arrivals[next].at <= tick {
			_ = b.Push(arrivals[next].seq, payload(arrivals[next].seq))
			next++
		}
		f, err := b.Pop(dst)
		if err != nil {
			t.Fatal(err)
		}
		if f.Status == jitter.Ready {
			// Unwrap relative to seq0 to check the order.
			abs := int64(uint16(f.Seq - seq0))
			if abs <= lastPlayed {
				t.Fatalf("played %d after %d", abs, lastPlayed)
			}
			lastPlayed = abs
			played++
		}
	}
	st := b.Stats()
	t.Logf("sent %d of %d, stats %+v", sent, n, st)
	if st.Played != uint64(played) || st.Played+st.Late < uint64(sent)*97/100 {
		t.Errorf("played %d + late %d of %d sent", st.Played, st.Late, sent)
	}
	if st.Duplicate == 0 || st.Reordered == 0 || st.Missing == 0 {
		t.Errorf("counters did not move: %+v", st)
	}
}

func TestConcurrentPushPop(t *testing.T) {
	b := newBuffer(t)
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 5000 {
			_ = b.Push(uint16(i), payload(uint16(i)))
		}
	})
	wg.Go(func() {
		dst := make([]byte, 64)
		for range 5000 {
			if _, err := b.Pop(dst); err != nil {
				t.Error(err)
				return
			}
		}
	})
	wg.Wait()
	if st := b.Stats(); st.Received+st.Duplicate+st.Late == 0 {
		t.Errorf("nothing happened: %+v", st)
	}
}

func TestReset(t *testing.T) {
	b := newBuffer(t)
	for i := range uint16(5) {
		_ = b.Push(i, payload(i))
	}
	b.Reset()
	if b.Len() != 0 || b.Stats() != (jitter.Stats{}) {
		t.Errorf("after Reset: Len %d, Stats %+v", b.Len(), b.Stats())
	}
	if f, _ := b.Pop(nil); f.Status != jitter.Buffering {
		t.Errorf("after Reset Pop = %v", f.Status)
	}
}

func TestStatusString(t *testing.T) {
	for _, s := range []jitter.Status{jitter.Buffering, jitter.Ready, jitter.Missing, 9} {
		if s.String() == "" {
			t.Errorf("Status(%d) has no name", s)
		}
	}
}

func TestAllocs(t *testing.T) {
	b := newBuffer(t)
	pkt := make([]byte, 80)
	dst := make([]byte, jitter.DefaultMaxPayload)
	seq := uint16(0)
	for range 5 {
		_ = b.Push(seq, pkt)
		seq++
	}
	if a := testing.AllocsPerRun(1000, func() {
		_ = b.Push(seq, pkt)
		seq++
		_, _ = b.Pop(dst)
		_, _, _ = b.Next(dst)
	}); a != 0 {
		t.Errorf("Push+Pop allocate %.1f times per frame, want 0", a)
	}
}

func BenchmarkPushPop(b *testing.B) {
	benchmarks := []struct {
		name     string
		reorder  bool
		capacity int
	}{
		{name: "in order", capacity: 64},
		{name: "pairs swapped", reorder: true, capacity: 64},
		{name: "in order 512 slots", capacity: 512},
	}
	for _, bm := range benchmarks {
		b.Run(bm.name, func(b *testing.B) {
			buf := newBuffer(b, jitter.WithCapacity(bm.capacity))
			pkt := make([]byte, 80)
			dst := make([]byte, jitter.DefaultMaxPayload)
			seq := uint16(0)
			for range 4 {
				_ = buf.Push(seq, pkt)
				seq++
			}
			b.ReportAllocs()
			for b.Loop() {
				s := seq
				if bm.reorder {
					s ^= 1
				}
				_ = buf.Push(s, pkt)
				seq++
				if _, err := buf.Pop(dst); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func ExampleBuffer() {
	buf, _ := jitter.New(jitter.WithDepth(2))
	_ = buf.Push(100, []byte("a"))
	_ = buf.Push(102, []byte("c")) // 101 is late or lost
	dst := make([]byte, jitter.DefaultMaxPayload)
	for range 3 {
		f, _ := buf.Pop(dst) // every 20 ms
		switch f.Status {
		case jitter.Ready:
			fmt.Println(f.Seq, "play", string(dst[:f.N]))
		case jitter.Missing:
			if n, ok, _ := buf.Next(dst); ok {
				fmt.Println(f.Seq, "rebuild from FEC in", string(dst[:n]))
			}
		}
	}
	// Output:
	// 100 play a
	// 101 rebuild from FEC in c
	// 102 play c
}
