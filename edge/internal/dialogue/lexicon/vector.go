package lexicon

import (
	"hash/fnv"
	"math"
)

// VectorDims is the size of a Vector.
const VectorDims = 1024

// Vector is an L2-normalised bag of hashed features of a line: stems,
// stem bigrams (word order within a phrase matters: "not required" is not
// "required"), and stems joined with a preceding negation. It is built for
// comparing short spoken lines with example lines, not documents.
type Vector [VectorDims]float32

// Vectorize builds t's vector. Stop words count at a third of a content
// word's weight: "what do you" and "do you" carry the question's shape.
func Vectorize(t *Text) *Vector {
	var v Vector
	add := func(feature string, w float32) {
		h := fnv.New32a()
		_, _ = h.Write([]byte(feature))
		x := h.Sum32()
		sign := float32(1)
		if x&(1<<31) != 0 {
			sign = -1
		}
		v[x%VectorDims] += sign * w
	}
	for i, s := range t.Stems {
		w := float32(1)
		if IsStopword(t.Words[i]) {
			w = 0.35
		}
		add("u:"+s, w)
		if i > 0 {
			add("b:"+t.Stems[i-1]+"_"+s, 0.7)
			if t.Words[i-1] == "not" || t.Words[i-1] == "no" || t.Words[i-1] == "never" {
				add("n:"+s, 0.8)
			}
		}
	}
	if len(t.Stems) > 0 {
		add("first:"+t.Stems[0], 0.8) // how a line starts says much about what it does
	}
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	if n > 0 {
		inv := float32(1 / math.Sqrt(n))
		for i := range v {
			v[i] *= inv
		}
	}
	return &v
}

// Cosine returns the cosine similarity of two normalised vectors.
func Cosine(a, b *Vector) float64 {
	var s float32
	for i := range a {
		s += a[i] * b[i]
	}
	return float64(s)
}
