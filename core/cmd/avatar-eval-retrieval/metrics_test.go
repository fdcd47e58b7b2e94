package main

import (
	"math"
	"testing"
)

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name    string
		ranking []string
		qrels   map[string]int
		want    scores
	}{
		{name: "perfect", ranking: []string{"a", "b"}, qrels: map[string]int{"a": 2, "b": 1}, want: scores{1, 1, 1}},
		{name: "second place", ranking: []string{"x", "a"}, qrels: map[string]int{"a": 1}, want: scores{1 / math.Log2(3), 1, 0.5}},
		{name: "miss", ranking: []string{"x"}, qrels: map[string]int{"a": 1}, want: scores{}},
		{name: "duplicates count once", ranking: []string{"x", "x", "a"}, qrels: map[string]int{"a": 1}, want: scores{1 / math.Log2(3), 1, 0.5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := evaluate(tc.ranking, tc.qrels)
			if math.Abs(got.NDCG10-tc.want.NDCG10) > 1e-9 || math.Abs(got.Recall100-tc.want.Recall100) > 1e-9 || math.Abs(got.MRR10-tc.want.MRR10) > 1e-9 {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
