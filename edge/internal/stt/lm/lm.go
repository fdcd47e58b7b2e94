// Package lm builds small n-gram language models in ARPA format from domain
// text (scenarios, knowledge base passages), for PocketSphinx to interpolate
// with its generic model (pocketsphinx.Config.DomainLM). It uses absolute
// discounting with Katz-style back-off, which is plenty for the few thousand
// sentences a dealership's domain holds.
//
// DefaultCorpus is a small car-dealership finance-and-insurance corpus for
// evaluations when no dealership text is at hand.
package lm

import (
	"bufio"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"

	"github.com/avatar-fi/avatar/edge/internal/stt"
)

// DefaultCorpus is a small F&I (finance and insurance) role-play corpus, one
// sentence a line.
//
//go:embed fi_corpus.txt
var DefaultCorpus string

// discount is the absolute discount subtracted from every seen n-gram count.
const discount = 0.5

// ErrEmpty is returned by Build for text without words.
var ErrEmpty = errors.New("lm: no words in the corpus")

// Build reads sentences (one a line; case and punctuation ignored) and
// writes a trigram model in ARPA format to w.
func Build(r io.Reader, w io.Writer) error {
	c1 := map[string]float64{}
	c2 := map[[2]string]float64{}
	c3 := map[[3]string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		words := stt.Normalize(sc.Text())
		if len(words) == 0 {
			continue
		}
		s := append(append([]string{"<s>"}, words...), "</s>")
		for i, x := range s {
			c1[x]++
			if i >= 1 {
				c2[[2]string{s[i-1], x}]++
			}
			if i >= 2 {
				c3[[3]string{s[i-2], s[i-1], x}]++
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read corpus: %w", err)
	}
	if len(c1) <= 2 {
		return ErrEmpty
	}
	// Unigrams: maximum likelihood, without <s> (never predicted).
	var n float64
	for x, c := range c1 {
		if x != "<s>" {
			n += c
		}
	}
	p1 := map[string]float64{}
	for x, c := range c1 {
		if x != "<s>" {
			p1[x] = c / n
		}
	}
	// Bigrams with back-off to unigrams.
	h1 := map[string]float64{} // history counts
	for k, c := range c2 {
		h1[k[0]] += c
	}
	p2 := map[[2]string]float64{}
	mass2, low2 := map[string]float64{}, map[string]float64{}
	for k, c := range c2 {
		p := (c - discount) / h1[k[0]]
		p2[k] = p
		mass2[k[0]] += p
		low2[k[0]] += p1[k[1]]
	}
	bo1 := map[string]float64{}
	for u := range h1 {
		bo1[u] = (1 - mass2[u]) / math.Max(1e-9, 1-low2[u])
	}
	bigram := func(u, x string) float64 {
		if p, ok := p2[[2]string{u, x}]; ok {
			return p
		}
		b, ok := bo1[u]
		if !ok {
			b = 1
		}
		return b * p1[x]
	}
	// Trigrams with back-off to bigrams.
	h2 := map[[2]string]float64{}
	for k, c := range c3 {
		h2[[2]string{k[0], k[1]}] += c
	}
	p3 := map[[3]string]float64{}
	mass3, low3 := map[[2]string]float64{}, map[[2]string]float64{}
	for k, c := range c3 {
		h := [2]string{k[0], k[1]}
		p := (c - discount) / h2[h]
		p3[k] = p
		mass3[h] += p
		low3[h] += bigram(k[1], k[2])
	}
	bo2 := map[[2]string]float64{}
	for h := range h2 {
		bo2[h] = (1 - mass3[h]) / math.Max(1e-9, 1-low3[h])
	}

	// bufio.Writer keeps the first write error, and Flush returns it.
	bw := bufio.NewWriter(w)
	_, _ = fmt.Fprintf(bw, "\\data\\\nngram 1=%d\nngram 2=%d\nngram 3=%d\n\n\\1-grams:\n", len(c1), len(p2), len(p3))
	for _, x := range sortedKeys(c1) {
		lp := -99.0
		if x != "<s>" {
			lp = math.Log10(p1[x])
		}
		if b, ok := bo1[x]; ok && x != "</s>" {
			_, _ = fmt.Fprintf(bw, "%.6f %s %.6f\n", lp, x, math.Log10(b))
		} else {
			_, _ = fmt.Fprintf(bw, "%.6f %s\n", lp, x)
		}
	}
	_, _ = fmt.Fprint(bw, "\n\\2-grams:\n")
	keys2 := make([][2]string, 0, len(p2))
	for k := range p2 {
		keys2 = append(keys2, k)
	}
	sort.Slice(keys2, func(i, j int) bool { return keys2[i][0]+" "+keys2[i][1] < keys2[j][0]+" "+keys2[j][1] })
	for _, k := range keys2 {
		if b, ok := bo2[k]; ok {
			_, _ = fmt.Fprintf(bw, "%.6f %s %s %.6f\n", math.Log10(p2[k]), k[0], k[1], math.Log10(b))
		} else {
			_, _ = fmt.Fprintf(bw, "%.6f %s %s\n", math.Log10(p2[k]), k[0], k[1])
		}
	}
	_, _ = fmt.Fprint(bw, "\n\\3-grams:\n")
	keys3 := make([][3]string, 0, len(p3))
	for k := range p3 {
		keys3 = append(keys3, k)
	}
	sort.Slice(keys3, func(i, j int) bool { return strings.Join(keys3[i][:], " ") < strings.Join(keys3[j][:], " ") })
	for _, k := range keys3 {
		_, _ = fmt.Fprintf(bw, "%.6f %s %s %s\n", math.Log10(p3[k]), k[0], k[1], k[2])
	}
	_, _ = fmt.Fprint(bw, "\n\\end\\\n")
	return bw.Flush()
}

func sortedKeys(m map[string]float64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
