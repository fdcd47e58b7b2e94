package technique

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"sort"
)

// Counts are the true positives, false positives and false negatives of one
// technique over a labelled set.
type Counts struct{ TP, FP, FN int }

// Precision is TP/(TP+FP), 1 when nothing was predicted.
func (c Counts) Precision() float64 {
	if c.TP+c.FP == 0 {
		return 1
	}
	return float64(c.TP) / float64(c.TP+c.FP)
}

// Recall is TP/(TP+FN), 1 when nothing was expected.
func (c Counts) Recall() float64 {
	if c.TP+c.FN == 0 {
		return 1
	}
	return float64(c.TP) / float64(c.TP+c.FN)
}

// F1 is the harmonic mean of precision and recall.
func (c Counts) F1() float64 {
	p, r := c.Precision(), c.Recall()
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

// Report is a classifier's score on a labelled set.
type Report struct {
	// PerTechnique holds the counts of every technique.
	PerTechnique map[Technique]Counts
	// Micro sums the counts of all techniques.
	Micro Counts
	// ExactLines is the share of lines whose label set was exactly right.
	ExactLines float64
	// Errors lists the lines with a wrong label set.
	Errors []string
}

// Evaluate classifies every line of set and counts.
func (c *Classifier) Evaluate(set []Labelled) Report {
	rep := Report{PerTechnique: map[Technique]Counts{}}
	exact := 0
	for _, l := range set {
		got := c.Classify(l.Text, "").Techniques
		ok := true
		for x := range labelNames {
			t := labelNames[x]
			want, have := slices.Contains(l.Labels, t), slices.Contains(got, t)
			cnt := rep.PerTechnique[t]
			switch {
			case want && have:
				cnt.TP++
			case have:
				cnt.FP++
				ok = false
			case want:
				cnt.FN++
				ok = false
			}
			rep.PerTechnique[t] = cnt
		}
		if ok {
			exact++
		} else {
			rep.Errors = append(rep.Errors, fmt.Sprintf("want %v got %v: %s", names(l.Labels), names(got), l.Text))
		}
	}
	for _, cnt := range rep.PerTechnique {
		rep.Micro.TP += cnt.TP
		rep.Micro.FP += cnt.FP
		rep.Micro.FN += cnt.FN
	}
	if len(set) > 0 {
		rep.ExactLines = float64(exact) / float64(len(set))
	}
	return rep
}

// Print writes the report as a table and returns the first write error.
func (r Report) Print(w io.Writer) error {
	keys := make([]Technique, 0, len(r.PerTechnique))
	for k := range r.PerTechnique {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	// bufio.Writer keeps the first write error, and Flush returns it.
	bw := bufio.NewWriter(w)
	_, _ = fmt.Fprintf(bw, "%-22s %5s %5s %5s %6s %6s %6s\n", "technique", "tp", "fp", "fn", "prec", "recall", "f1")
	for _, k := range keys {
		c := r.PerTechnique[k]
		_, _ = fmt.Fprintf(bw, "%-22s %5d %5d %5d %6.2f %6.2f %6.2f\n", Label(k), c.TP, c.FP, c.FN, c.Precision(), c.Recall(), c.F1())
	}
	_, _ = fmt.Fprintf(bw, "%-22s %5d %5d %5d %6.2f %6.2f %6.2f\n", "micro", r.Micro.TP, r.Micro.FP, r.Micro.FN, r.Micro.Precision(), r.Micro.Recall(), r.Micro.F1())
	_, _ = fmt.Fprintf(bw, "lines with exactly the right labels: %.2f\n", r.ExactLines)
	return bw.Flush()
}

func names(xs []Technique) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = Label(x)
	}
	return out
}
