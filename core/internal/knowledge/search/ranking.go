package search

import (
	"math"
	"sort"
)

// Ranking tunes hybrid retrieval. Zero fields take the defaults, which were chosen on
// the NFCorpus dev split (see cmd/avatar-eval-retrieval); a negative VectorWeight,
// TermPostings, Feedback or QueryVectorWeight turns that part off.
type Ranking struct {
	// K1 and B are the BM25 parameters; defaults 0.9 and 0.4.
	K1, B float64
	// RRFK is the reciprocal rank fusion constant; default 60.
	RRFK float64
	// LexicalWeight and VectorWeight weight each ranking in the fusion; defaults 1 and
	// 0.02, chosen on the NFCorpus dev split with the hashed embedder. There, with the
	// vector side searching with the feedback query (Feedback 5), nDCG@10 goes 0.3020
	// (lexical alone) → 0.3058 and recall@100 0.2285 → 0.2558; larger vector weights
	// lower nDCG@10 (0.3041 at 0.5). A neural embedder through /v1/embeddings deserves a
	// larger weight. A negative VectorWeight turns the vector side off.
	LexicalWeight, VectorWeight float64
	// Candidates is how many results each side contributes to the fusion; default 100.
	Candidates int
	// EfSearch is hnsw.ef_search for the vector side; default 100.
	EfSearch int
	// TermPostings is how many postings of each query term, highest impact (BM25 term
	// weight) first, the lexical side scores; default 500. On NFCorpus (dev / test)
	// nDCG@10 is 0.3042 / 0.3347 at 500, 0.3057 / 0.3342 at 1000 and 0.3047 (dev)
	// exact, while at 100,000 chunks 500 takes a third off the lexical side's time. A
	// chunk outside every query term's top TermPostings is not a lexical candidate,
	// which bounds the work for common terms. Negative scores every posting (exact
	// BM25). Tag-filtered searches always score every posting of the filtered
	// documents.
	TermPostings int
	// Feedback is how many of the best lexical results lend their vectors to the vector
	// query (pseudo-relevance feedback): the vector side searches with the query's own
	// vector plus the mean vector of those chunks, the query's share being
	// QueryVectorWeight. A short query's vector lies far from every chunk's vector, and
	// at 100,000 chunks an HNSW search from such a point finds few of its true nearest
	// chunks (recall@10 0.58 at ef_search 100 on topical text); the feedback query lies
	// among the chunks, where the graph leads the search well (see
	// cmd/avatar-bench-retrieval). Default 5; negative turns feedback off, and the
	// vector side then runs beside BM25 rather than after it.
	Feedback int
	// QueryVectorWeight is the query vector's share of the feedback query, up to 1;
	// default 0.3, negative for none (the feedback vector alone).
	QueryVectorWeight float64
}

// WithDefaults returns r with its zero fields set to their defaults: the ranking in
// force. Negative switches stay negative (normalised to -1), so applying it again
// changes nothing and the result can be passed wherever a Ranking goes.
func (r Ranking) WithDefaults() Ranking {
	if r.K1 <= 0 {
		r.K1 = 0.9
	}
	if r.B <= 0 {
		r.B = 0.4
	}
	if r.RRFK <= 0 {
		r.RRFK = 60
	}
	if r.LexicalWeight <= 0 {
		r.LexicalWeight = 1
	}
	r.VectorWeight = orDefault(r.VectorWeight, 0.02)
	if r.Candidates <= 0 {
		r.Candidates = 100
	}
	if r.EfSearch <= 0 {
		r.EfSearch = 100
	}
	r.TermPostings = orDefault(r.TermPostings, 500)
	r.Feedback = orDefault(r.Feedback, 5)
	if r.QueryVectorWeight > 1 {
		r.QueryVectorWeight = 0
	}
	r.QueryVectorWeight = orDefault(r.QueryVectorWeight, 0.3)
	return r
}

// orDefault returns def for 0, -1 for a negative value (off) and v otherwise.
func orDefault[T int | float64](v, def T) T {
	switch {
	case v == 0:
		return def
	case v < 0:
		return -1
	}
	return v
}

// vectorOn reports whether the vector side runs.
func (r Ranking) vectorOn() bool { return r.VectorWeight > 0 }

// feedbackOn reports whether the vector side searches with the feedback query.
func (r Ranking) feedbackOn() bool { return r.Feedback > 0 }

// ranked is one side's score of a chunk (BM25 score, cosine distance or fused score).
type ranked struct {
	id    string
	score float64
}

// fuse combines the rankings with weighted reciprocal rank fusion.
func fuse(lex, vec []ranked, r Ranking) []ranked {
	scores := map[string]float64{}
	for i, x := range lex {
		scores[x.id] += r.LexicalWeight / (r.RRFK + float64(i+1))
	}
	wv := max(r.VectorWeight, 0) // vec is empty when the vector side is off
	for i, x := range vec {
		scores[x.id] += wv / (r.RRFK + float64(i+1))
	}
	out := make([]ranked, 0, len(scores))
	for id, sc := range scores {
		out = append(out, ranked{id: id, score: sc})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].score != out[j].score {
			return out[i].score > out[j].score
		}
		return out[i].id < out[j].id
	})
	return out
}

// blend returns w·q/|q| + (1-w)·f/|f| (w negative counting as 0); the vector side ranks
// by cosine, so its length does not matter.
func blend(q, f []float32, w float64) []float32 {
	w = max(w, 0)
	nq, nf := norm(q), norm(f)
	out := make([]float32, len(q))
	for i := range out {
		var x float64
		if nq > 0 {
			x += w * float64(q[i]) / nq
		}
		if nf > 0 && i < len(f) {
			x += (1 - w) * float64(f[i]) / nf
		}
		out[i] = float32(x)
	}
	return out
}

func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

func isZero(v []float32) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}
