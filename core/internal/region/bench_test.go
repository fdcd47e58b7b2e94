package region_test

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/avatar-fi/avatar/core/internal/redistest"
	"github.com/avatar-fi/avatar/core/internal/region"
)

// BenchmarkPick measures PickEdge's cost in the core, Redis round trips included, for
// fleets of several sizes across three regions (a caller in a region without edges, so
// the whole order is walked).
func BenchmarkPick(b *testing.B) {
	for _, n := range []int{3, 30, 300} {
		b.Run(fmt.Sprintf("edges=%d", n), func(b *testing.B) {
			rdb, prefix := redistest.New(b)
			svc, err := region.New(region.Config{Redis: rdb, KeyPrefix: prefix, HeartbeatTimeout: time.Hour, Order: []region.Route{
				{Region: "us-east", Next: []string{"us-west", "eu-central", "ap-south"}},
			}})
			if err != nil {
				b.Fatal(err)
			}
			regions := []string{"us-west", "eu-central", "ap-south"}
			for i := range n {
				e := fakeEdge{id: fmt.Sprintf("edge-%d", i), region: regions[i%3], active: int32(i), capacity: math.MaxInt32, cpu: float64(i%10) / 20}
				if err := svc.Record(b.Context(), e.heartbeat(time.Now())); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := svc.Pick(b.Context(), "us-east", ""); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
