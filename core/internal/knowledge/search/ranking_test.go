package search_test

import (
	"testing"

	"github.com/avatar-fi/avatar/core/internal/knowledge/search"
)

func TestRankingWithDefaults(t *testing.T) {
	defaults := search.Ranking{K1: 0.9, B: 0.4, RRFK: 60, LexicalWeight: 1, VectorWeight: 0.02, Candidates: 100,
		EfSearch: 100, TermPostings: 500, Feedback: 5, QueryVectorWeight: 0.3}
	for _, tc := range []struct {
		name string
		in   search.Ranking
		want func(r *search.Ranking)
	}{
		{name: "zero takes every default", want: func(*search.Ranking) {}},
		{name: "set fields stay", in: search.Ranking{K1: 1.2, VectorWeight: 0.5, TermPostings: 1000, Feedback: 3, QueryVectorWeight: 0.6},
			want: func(r *search.Ranking) {
				r.K1, r.VectorWeight, r.TermPostings, r.Feedback, r.QueryVectorWeight = 1.2, 0.5, 1000, 3, 0.6
			}},
		{name: "negative switches are off", in: search.Ranking{VectorWeight: -0.5, TermPostings: -3, Feedback: -2, QueryVectorWeight: -1},
			want: func(r *search.Ranking) {
				r.VectorWeight, r.TermPostings, r.Feedback, r.QueryVectorWeight = -1, -1, -1, -1
			}},
		{name: "a query share above 1 takes the default", in: search.Ranking{QueryVectorWeight: 1.5}, want: func(*search.Ranking) {}},
		{name: "negative BM25 parameters take the defaults", in: search.Ranking{K1: -1, B: -1}, want: func(*search.Ranking) {}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := defaults
			tc.want(&want)
			got := tc.in.WithDefaults()
			if got != want {
				t.Fatalf("WithDefaults:\n got %+v\nwant %+v", got, want)
			}
			if again := got.WithDefaults(); again != got {
				t.Fatalf("WithDefaults applied twice:\n got %+v\nwant %+v", again, got)
			}
		})
	}
}
