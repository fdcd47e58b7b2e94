package technique

import (
	"os"
	"slices"
	"testing"
)

func readSet(t *testing.T, path string) []Labelled {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	set, err := ReadLabelled(f)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// scored is one tuning line with its rule labels and similarities.
type scored struct {
	want  []Technique
	rule  map[Technique]bool
	sims  map[Technique]float64
	top   map[Technique]bool // the techniques that were the best match of a window
	label string
}

// simPrecision is the precision the similarity channel alone must reach on
// the tuning lines for a threshold to be chosen.
const simPrecision = 0.85

// TestTuneThresholds chooses each technique's similarity threshold on the
// tuning lines — testdata/dev.tsv, and every example line (the held-out
// tune half included) scored against the other examples, leaving itself
// out — as the lowest threshold at which the similarity channel ALONE is
// right at least simPrecision of the time (over at least five lines). The
// rules were written looking at these lines, so an F1 of rules plus
// similarity measured here would favour the rules; the precision of the
// similarity channel is not biased that way. It logs the choice beside the
// threshold in force; run with -v -run TuneThresholds and copy the choice
// into Thresholds.
func TestTuneThresholds(t *testing.T) {
	dev := readSet(t, "testdata/dev.tsv")
	ex, err := Examples()
	if err != nil {
		t.Fatal(err)
	}
	var lines []scored
	all := newFromExamples(ex, nil)
	for _, l := range dev {
		r := all.Classify(l.Text, "")
		lines = append(lines, scored{want: l.Labels, rule: r.Rule, sims: r.Similarity, top: r.Top, label: l.Text})
	}
	for i, l := range ex {
		others := slices.Concat(ex[:i:i], ex[i+1:])
		r := newFromExamples(others, nil).Classify(l.Text, "")
		lines = append(lines, scored{want: l.Labels, rule: r.Rule, sims: r.Similarity, top: r.Top, label: l.Text})
	}
	simOnly := func(x Technique, th float64) Counts {
		var c Counts
		for _, l := range lines {
			want := slices.Contains(l.want, x)
			have := l.top[x] && l.sims[x] >= th
			switch {
			case want && have:
				c.TP++
			case have:
				c.FP++
			case want:
				c.FN++
			}
		}
		return c
	}
	for _, x := range labelNames {
		chosen := 2.0
		for th := 1.0; th >= 0.2; th -= 0.02 {
			c := simOnly(x, th)
			if c.TP+c.FP >= 5 && c.Precision() < simPrecision {
				break
			}
			if c.TP+c.FP >= 5 {
				chosen = th
			}
		}
		inForce, ok := Thresholds[x]
		if !ok {
			inForce = defaultThreshold
		}
		c := simOnly(x, chosen)
		t.Logf("%-22s threshold %.2f (in force %.2f): similarity alone tp %d fp %d fn %d", Label(x), chosen, inForce, c.TP, c.FP, c.FN)
	}
}
