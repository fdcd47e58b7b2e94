package main

import (
	"math"
	"sort"
)

// scores are the three figures reported per query.
type scores struct {
	NDCG10, Recall100, MRR10 float64
}

// evaluate scores one ranking against graded judgements (grade > 0 is relevant), as
// trec_eval / pytrec_eval do for BEIR: nDCG@10 with linear gains, recall@100, MRR@10.
func evaluate(ranking []string, qrels map[string]int) scores {
	var s scores
	var dcg float64
	seen := map[string]bool{}
	rank := 0
	for _, id := range ranking {
		if seen[id] {
			continue
		}
		seen[id] = true
		rank++
		g := qrels[id]
		if rank <= 10 && g > 0 {
			dcg += float64(g) / math.Log2(float64(rank)+1)
			if s.MRR10 == 0 {
				s.MRR10 = 1 / float64(rank)
			}
		}
		if rank <= 100 && g > 0 {
			s.Recall100++
		}
	}
	var grades []int
	relevant := 0
	for _, g := range qrels {
		if g > 0 {
			grades = append(grades, g)
			relevant++
		}
	}
	if relevant == 0 {
		return scores{}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(grades)))
	var idcg float64
	for i, g := range grades {
		if i >= 10 {
			break
		}
		idcg += float64(g) / math.Log2(float64(i)+2)
	}
	s.NDCG10 = dcg / idcg
	s.Recall100 /= float64(relevant)
	return s
}
