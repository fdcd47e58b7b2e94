package latency

import (
	"math"
	"testing"
)

func TestPercentile(t *testing.T) {
	hundred := make([]float64, 100)
	for i := range hundred {
		hundred[i] = float64(100 - i) // 100 … 1, unsorted on purpose
	}
	tests := []struct {
		name string
		xs   []float64
		p    float64
		want float64
	}{
		{"one sample", []float64{42}, 95, 42},
		{"median of two", []float64{10, 20}, 50, 15},
		{"median of odd", []float64{3, 1, 2}, 50, 2},
		{"p0 is the minimum", []float64{5, 1, 9}, 0, 1},
		{"p100 is the maximum", []float64{5, 1, 9}, 100, 9},
		{"p95 of 1..100", hundred, 95, 95.05},
		{"p99 of 1..100", hundred, 99, 99.01},
		{"p50 of 1..100", hundred, 50, 50.5},
		{"p above 100 clamps", []float64{1, 2}, 150, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percentile(tt.xs, tt.p); math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("Percentile(%v) = %v, want %v", tt.p, got, tt.want)
			}
		})
	}
	if !math.IsNaN(Percentile(nil, 50)) {
		t.Error("percentile of no samples is not NaN")
	}
	if hundred[0] != 100 {
		t.Error("Percentile sorted its input in place")
	}
}

func TestSummarize(t *testing.T) {
	xs := []float64{400, 100, 300, 200, 1000}
	got := Summarize(xs)
	want := Percentiles{P50: 300, P95: 880, P99: 976}
	if math.Abs(got.P50-want.P50) > 1e-9 || math.Abs(got.P95-want.P95) > 1e-9 || math.Abs(got.P99-want.P99) > 1e-9 {
		t.Errorf("Summarize = %+v, want %+v", got, want)
	}
	if (Summarize(nil) != Percentiles{}) {
		t.Error("Summarize of no samples is not zero")
	}
}
