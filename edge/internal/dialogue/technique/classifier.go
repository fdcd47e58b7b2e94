package technique

import (
	"bufio"
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"

	"github.com/avatar-fi/avatar/edge/internal/dialogue/lexicon"
	scenariov1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1"
)

//go:embed examples/*.tsv
var exampleFiles embed.FS

// Technique is a label of a trainee line.
type Technique = scenariov1.Technique

// Result is what Classify found in a line.
type Result struct {
	// Techniques are the labels, in enum order.
	Techniques []Technique
	// Rule marks the labels a lexical rule fired (the rest came from
	// similarity to examples).
	Rule map[Technique]bool
	// Similarity is each technique's example similarity score (its best
	// window's).
	Similarity map[Technique]float64
	// Top marks the techniques that were some window's best match, the
	// only ones similarity may fire.
	Top map[Technique]bool
}

// Has reports whether the result carries technique x.
func (r Result) Has(x Technique) bool { return slices.Contains(r.Techniques, x) }

// Classifier labels trainee lines. It is immutable after New and safe for
// concurrent use.
type Classifier struct {
	examples   map[Technique][]*lexicon.Vector
	thresholds map[Technique]float64
}

// defaultThreshold is the similarity above which a technique fires when no
// tuned threshold is set for it.
const defaultThreshold = 0.99

// Thresholds are the per-technique similarity thresholds, chosen on the
// tuning lines by TestTuneThresholds (the lowest at which similarity alone
// is right 85 % of the time). A technique without one is decided by its
// rules alone: its examples could not reach that precision.
var Thresholds = map[Technique]float64{
	scenariov1.Technique_TECHNIQUE_RAPPORT:            0.34,
	scenariov1.Technique_TECHNIQUE_OPEN_QUESTION:      0.40,
	scenariov1.Technique_TECHNIQUE_FULL_MENU:          0.26,
	scenariov1.Technique_TECHNIQUE_VALUE_BEFORE_PRICE: 0.36,
	scenariov1.Technique_TECHNIQUE_ISOLATE_OBJECTION:  0.28,
	scenariov1.Technique_TECHNIQUE_DISCLOSURE:         0.38,
	scenariov1.Technique_TECHNIQUE_PRESSURE:           0.24,
}

// New loads the embedded examples.
func New() (*Classifier, error) {
	return NewWithThresholds(Thresholds)
}

// NewWithThresholds is New with explicit similarity thresholds (for tuning).
func NewWithThresholds(th map[Technique]float64) (*Classifier, error) {
	lines, err := Examples()
	if err != nil {
		return nil, err
	}
	return newFromExamples(lines, th), nil
}

// Examples returns the embedded example lines of every file in examples/.
func Examples() ([]Labelled, error) {
	names, err := fs.Glob(exampleFiles, "examples/*.tsv")
	if err != nil {
		return nil, fmt.Errorf("list examples: %w", err)
	}
	var out []Labelled
	for _, name := range names {
		f, err := exampleFiles.Open(name)
		if err != nil {
			return nil, fmt.Errorf("open examples: %w", err)
		}
		lines, err := ReadLabelled(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out = append(out, lines...)
	}
	return out, nil
}

func newFromExamples(lines []Labelled, th map[Technique]float64) *Classifier {
	c := &Classifier{examples: map[Technique][]*lexicon.Vector{}, thresholds: th}
	for _, l := range lines {
		v := lexicon.Vectorize(lexicon.Analyze(l.Text))
		for _, x := range l.Labels {
			c.examples[x] = append(c.examples[x], v)
		}
	}
	return c
}

// Classify labels line; name, when not empty, is the customer's name, whose
// use counts as rapport.
func (c *Classifier) Classify(line, name string) Result {
	return c.ClassifyText(lexicon.Analyze(line), name)
}

// ClassifyText is Classify on an analysed line.
func (c *Classifier) ClassifyText(t *lexicon.Text, name string) Result {
	r := Result{Rule: map[Technique]bool{}, Similarity: map[Technique]float64{}, Top: map[Technique]bool{}}
	for _, ru := range rules {
		if ru.fires(t) {
			r.Rule[ru.technique] = true
		}
	}
	if first := firstName(name); first != "" && t.HasWord(first) {
		r.Rule[scenariov1.Technique_TECHNIQUE_RAPPORT] = true
	}
	if r.Rule[scenariov1.Technique_TECHNIQUE_MISLEADING] {
		// A false claim about what a product covers is not its value.
		delete(r.Rule, scenariov1.Technique_TECHNIQUE_VALUE_BEFORE_PRICE)
	}
	seen := map[Technique]bool{}
	for x := range r.Rule {
		seen[x] = true
	}
	// Per window, only the technique its examples resemble most may fire
	// by similarity: a line that acknowledges in the words of a pressure
	// line ("I understand, but…") is the acknowledgement.
	for _, v := range windows(t) {
		var top Technique
		topS := -1.0
		for x, ex := range c.examples {
			s := topMean(v, ex, 2)
			r.Similarity[x] = max(r.Similarity[x], s)
			if s > topS {
				top, topS = x, s
			}
		}
		r.Top[top] = true
		th, ok := c.thresholds[top]
		if !ok {
			th = defaultThreshold
		}
		if topS >= th {
			seen[top] = true
		}
	}
	delete(seen, scenariov1.Technique_TECHNIQUE_UNSPECIFIED)
	for x := range seen {
		r.Techniques = append(r.Techniques, x)
	}
	sort.Slice(r.Techniques, func(i, j int) bool { return r.Techniques[i] < r.Techniques[j] })
	return r
}

// windows returns the vectors of the whole line and of overlapping windows
// of eight words, so that each act of a line that does two things is seen
// on its own.
func windows(t *lexicon.Text) []*lexicon.Vector {
	out := []*lexicon.Vector{lexicon.Vectorize(t)}
	const size, step = 8, 4
	if len(t.Words) <= size+2 {
		return out
	}
	for i := 0; i < len(t.Words); i += step {
		j := min(i+size, len(t.Words))
		sub := lexicon.Analyze(strings.Join(t.Words[i:j], " "))
		out = append(out, lexicon.Vectorize(sub))
		if j == len(t.Words) {
			break
		}
	}
	return out
}

// topMean is the mean cosine of v with its k nearest examples.
func topMean(v *lexicon.Vector, ex []*lexicon.Vector, k int) float64 {
	best := make([]float64, 0, k+1)
	for _, e := range ex {
		s := lexicon.Cosine(v, e)
		best = append(best, s)
		sort.Sort(sort.Reverse(sort.Float64Slice(best)))
		if len(best) > k {
			best = best[:k]
		}
	}
	if len(best) == 0 {
		return 0
	}
	sum := 0.0
	for _, s := range best {
		sum += s
	}
	return sum / float64(len(best))
}

func firstName(name string) string {
	f := strings.Fields(strings.ToLower(name))
	if len(f) == 0 || len(f[0]) < 3 {
		return ""
	}
	return f[0]
}

// Labelled is one line of a labelled file.
type Labelled struct {
	Labels []Technique
	Text   string
}

// labelNames maps the file labels (techniques.md) to techniques; "none"
// maps to no technique.
var labelNames = map[string]Technique{
	"rapport":               scenariov1.Technique_TECHNIQUE_RAPPORT,
	"open_question":         scenariov1.Technique_TECHNIQUE_OPEN_QUESTION,
	"full_menu":             scenariov1.Technique_TECHNIQUE_FULL_MENU,
	"value_before_price":    scenariov1.Technique_TECHNIQUE_VALUE_BEFORE_PRICE,
	"acknowledge_objection": scenariov1.Technique_TECHNIQUE_ACKNOWLEDGE_OBJECTION,
	"isolate_objection":     scenariov1.Technique_TECHNIQUE_ISOLATE_OBJECTION,
	"offer_alternative":     scenariov1.Technique_TECHNIQUE_OFFER_ALTERNATIVE,
	"disclosure":            scenariov1.Technique_TECHNIQUE_DISCLOSURE,
	"ask_for_business":      scenariov1.Technique_TECHNIQUE_ASK_FOR_BUSINESS,
	"pressure":              scenariov1.Technique_TECHNIQUE_PRESSURE,
	"misleading":            scenariov1.Technique_TECHNIQUE_MISLEADING,
	"argue":                 scenariov1.Technique_TECHNIQUE_ARGUE,
	"price_statement":       scenariov1.Technique_TECHNIQUE_PRICE_STATEMENT,
}

// Label returns the file label of x ("open_question").
func Label(x Technique) string {
	for k, v := range labelNames {
		if v == x {
			return k
		}
	}
	return "none"
}

// ReadLabelled reads "labels<TAB>text" lines ("#" comments and blank lines
// skipped); labels are comma-separated names of techniques.md or "none".
func ReadLabelled(r interface{ Read([]byte) (int, error) }) ([]Labelled, error) {
	var out []Labelled
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		labels, text, ok := strings.Cut(line, "\t")
		if !ok {
			return nil, fmt.Errorf("%w: line %d has no tab", ErrLabels, n)
		}
		var l Labelled
		l.Text = strings.TrimSpace(text)
		for _, name := range strings.Split(labels, ",") {
			name = strings.TrimSpace(name)
			if name == "none" || name == "" {
				continue
			}
			x, ok := labelNames[name]
			if !ok {
				return nil, fmt.Errorf("%w: line %d: unknown label %q", ErrLabels, n, name)
			}
			l.Labels = append(l.Labels, x)
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read labels: %w", err)
	}
	return out, nil
}
