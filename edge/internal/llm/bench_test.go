package llm_test

import (
	"fmt"
	"log/slog"
	"testing"

	"github.com/avatar-fi/avatar/edge/internal/llm"
)

// BenchmarkStream measures one whole reply from an in-process provider over
// loopback HTTP: request encoding, the round trip, SSE decoding and delta
// delivery.
func BenchmarkStream(b *testing.B) {
	for _, n := range []int{10, 100} {
		b.Run(fmt.Sprintf("deltas=%d", n), func(b *testing.B) {
			deltas := make([]string, n)
			for i := range deltas {
				deltas[i] = "word "
			}
			p := newProvider(b, reply(deltas...))
			c := p.client(b, "bench-model", func(cfg *llm.Config) { cfg.Logger = slog.New(slog.DiscardHandler) })
			req := coachRequest()
			var got int
			out := func(d string) error { got++; return nil }
			b.ReportAllocs()
			for b.Loop() {
				got = 0
				if _, err := c.Stream(b.Context(), req, out); err != nil {
					b.Fatal(err)
				}
				if got != n {
					b.Fatalf("%d deltas, want %d", got, n)
				}
			}
		})
	}
}
