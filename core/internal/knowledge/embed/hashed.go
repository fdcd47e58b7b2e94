package embed

import (
	"context"
	"fmt"
	"math"
	"strings"
	"unicode"
)

// HashedDims is the default dimension of the hashed embedder.
const HashedDims = 384

// Hashed is the embedded lexical embedder: each text becomes a bag of features — its
// words and the character 3- to 5-grams of each word wrapped in "<" and ">" — hashed
// with FNV-1a into Dims buckets with a sign taken from the hash, weighted by
// sublinear term frequency, and L2-normalised. It needs no model file and no network,
// and the same text always gives the same vector. It is safe for concurrent use.
type Hashed struct {
	dims int
}

// NewHashed returns a hashed embedder of dims dimensions (HashedDims when zero).
func NewHashed(dims int) (*Hashed, error) {
	if dims == 0 {
		dims = HashedDims
	}
	if dims < 16 || dims > 2000 {
		return nil, fmt.Errorf("%w: dims %d must be from 16 to 2000", ErrInvalidOption, dims)
	}
	return &Hashed{dims: dims}, nil
}

// ID names the embedder and its dimension; vectors of different IDs are never compared.
func (h *Hashed) ID() string { return fmt.Sprintf("hashed-v1-%d", h.dims) }

// Dims is the vector dimension.
func (h *Hashed) Dims() int { return h.dims }

// Embed returns one vector per text. It never fails except on a cancelled context.
func (h *Hashed) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		if i%64 == 0 && ctx.Err() != nil {
			return nil, fmt.Errorf("embed: %w", ctx.Err())
		}
		out[i] = h.Vector(t)
	}
	return out, nil
}

// subwordWeight scales the character n-grams of a word relative to the word itself.
const subwordWeight = 0.5

// Vector embeds one text.
func (h *Hashed) Vector(text string) []float32 {
	counts := map[string]float64{}
	for _, w := range Words(text) {
		counts[w]++
	}
	acc := make([]float64, h.dims)
	var buf []byte
	for w, c := range counts {
		weight := 1 + math.Log(c)
		h.add(acc, append(append(buf[:0], 'w', ':'), w...), weight)
		wrapped := "<" + w + ">"
		grams := 0
		for n := 3; n <= 5; n++ {
			if len(wrapped) >= n {
				grams += len(wrapped) - n + 1
			}
		}
		if grams == 0 {
			continue
		}
		gw := weight * subwordWeight / math.Sqrt(float64(grams))
		for n := 3; n <= 5; n++ {
			for i := 0; i+n <= len(wrapped); i++ {
				h.add(acc, append(append(buf[:0], 'g', ':'), wrapped[i:i+n]...), gw)
			}
		}
	}
	var norm float64
	for _, v := range acc {
		norm += v * v
	}
	v := make([]float32, h.dims)
	if norm == 0 {
		return v
	}
	norm = math.Sqrt(norm)
	for i, x := range acc {
		v[i] = float32(x / norm)
	}
	return v
}

func (h *Hashed) add(acc []float64, feature []byte, weight float64) {
	// FNV-1a, 64 bits.
	var x uint64 = 14695981039346656037
	for _, b := range feature {
		x ^= uint64(b)
		x *= 1099511628211
	}
	idx := int((x >> 1) % uint64(h.dims))
	if x&1 == 1 {
		acc[idx] -= weight
	} else {
		acc[idx] += weight
	}
}

// Words lower-cases text, splits it on anything that is not a letter or digit and drops
// English stop words and one-character tokens.
func Words(text string) []string {
	fields := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	out := fields[:0]
	for _, f := range fields {
		if len(f) < 2 || stopWords[f] {
			continue
		}
		out = append(out, f)
	}
	return out
}

var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a an and are as at be but by for if in into is it no not of on or such that the
	their then there these they this to was will with i me my we our you your he him his she her its them what which who
	whom am were been being have has had having do does did doing would should could can from up down out over under
	again further once here when where why how all any both each few more most other some own same so than too very
	just don now about above after before below between through during off until while`) {
		m[w] = true
	}
	return m
}()
