package silero_test

import (
	"runtime"
	"testing"

	"github.com/avatar-fi/avatar/media/internal/callpath"
	"github.com/avatar-fi/avatar/media/vad"
	"github.com/avatar-fi/avatar/media/vad/silero"
)

// newCallPath is callpath.New around det, failing tb on error.
func newCallPath(tb testing.TB, det vad.Detector) *callpath.Path {
	tb.Helper()
	p, err := callpath.New(det)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func fixtures(tb testing.TB) (packets [][]byte, reply [][]int16) {
	tb.Helper()
	packets, reply, err := callpath.Fixtures()
	if err != nil {
		tb.Fatal(err)
	}
	return packets, reply
}

// step runs one full-duplex frame: an inbound packet (nil when lost) and a reply frame.
func step(tb testing.TB, p *callpath.Path, seq uint16, pkt []byte, reply []int16) {
	tb.Helper()
	if err := p.Inbound(seq, pkt); err != nil {
		tb.Fatal(err)
	}
	if _, err := p.Outbound(reply); err != nil {
		tb.Fatal(err)
	}
}

// TestMediaPathSilero runs the call path with Silero over all the speech with
// 3 % loss, checks that the endpointer sees the turns and that the steady
// state allocates nothing.
func TestMediaPathSilero(t *testing.T) {
	m := newModel(t)
	packets, reply := fixtures(t)
	p := newCallPath(t, newStream(t, m))
	for i, pkt := range packets {
		if i%33 == 5 {
			pkt = nil
		}
		step(t, p, uint16(i), pkt, reply[i])
	}
	t.Logf("%d frames, %d endpoint events", len(packets), p.Events)
	// The clips run back to back, a few with under 0.4 s between one's
	// last word and the next one's first: Silero's hold and the end-of-turn
	// model wait out such gaps (measured 17 events).
	if p.Events < 2*7 {
		t.Errorf("%d endpoint events over 13 utterances, want at least 14", p.Events)
	}
	i := 0
	if a := testing.AllocsPerRun(500, func() {
		k := i % len(packets)
		step(t, p, uint16(len(packets)+i), packets[k], reply[k])
		i++
	}); a != 0 {
		t.Errorf("media path allocates %.1f times per frame, want 0", a)
	}
}

// BenchmarkMediaPathSilero is BenchmarkMediaPath (module root) with Silero,
// gated and not, as the VAD: thread CPU per 20 ms frame of one call, full
// duplex, in cpu-ns/op, and cores/call.
func BenchmarkMediaPathSilero(b *testing.B) {
	m := newModel(b)
	packets, reply := fixtures(b)
	for _, bm := range []struct {
		name string
		opt  silero.StreamOption
	}{
		{name: "silero gated (default)"},
		{name: "silero alone", opt: silero.WithoutGate()},
	} {
		b.Run(bm.name, func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			p := newCallPath(b, newStream(b, m, bm.opt))
			i := 0
			b.ReportAllocs()
			cpu0 := threadCPU(b)
			for b.Loop() {
				k := i % len(packets)
				step(b, p, uint16(i), packets[k], reply[k])
				i++
			}
			cpu := float64(threadCPU(b)-cpu0) / float64(b.N)
			b.ReportMetric(cpu, "cpu-ns/op")
			b.ReportMetric(cpu/20e6, "cores/call")
		})
	}
}
