// Package latency summarises samples of a latency (milliseconds) as the
// percentiles the load test reports.
package latency

import (
	"math"
	"slices"
)

// Percentiles are the p50, p95 and p99 of a sample, in milliseconds. Their
// JSON names are the report's (`p50`, `p95`, `p99`).
type Percentiles struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
}

// Percentile returns the p-th percentile (0 ≤ p ≤ 100) of xs by linear
// interpolation between the closest ranks (Hyndman & Fan's type 7, the
// default of NumPy and R), so that small samples are not rounded to one
// observation. It returns NaN for an empty sample. xs is not modified.
func Percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 || math.IsNaN(p) {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return sortedPercentile(s, p)
}

func sortedPercentile(s []float64, p float64) float64 {
	p = min(max(p, 0), 100)
	h := (float64(len(s)) - 1) * p / 100
	lo := int(math.Floor(h))
	hi := min(lo+1, len(s)-1)
	return s[lo] + (h-float64(lo))*(s[hi]-s[lo])
}

// Summarize returns the p50, p95 and p99 of xs; all zero for an empty
// sample (the report's JSON has no NaN).
func Summarize(xs []float64) Percentiles {
	if len(xs) == 0 {
		return Percentiles{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return Percentiles{P50: sortedPercentile(s, 50), P95: sortedPercentile(s, 95), P99: sortedPercentile(s, 99)}
}
