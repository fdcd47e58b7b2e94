package lexicon

import (
	"strings"
	"unicode"

	"github.com/kljensen/snowball/english"
)

// Text is one analysed line. It is immutable once built and safe to share.
type Text struct {
	// Raw is the line as given.
	Raw string
	// Words are the lower-case words, contractions expanded ("it's" → "it",
	// "is"; "don't" → "do", "not"), digits kept ("2,495" → "2495").
	Words []string
	// Stems are the Snowball stems of Words, index for index.
	Stems []string
	// Question reports a question mark in the line.
	Question bool
	// starts marks the words that begin a sentence or clause: the first, and
	// those after . ? ! ; : or a comma.
	starts  map[int]bool
	stemSet map[string]struct{}
}

// Analyze splits and stems line.
func Analyze(line string) *Text {
	t := &Text{Raw: line, Question: strings.ContainsRune(line, '?'), starts: map[int]bool{0: true}}
	for _, tok := range tokenize(line) {
		if tok.start {
			t.starts[len(t.Words)] = true
		}
		t.Words = append(t.Words, expand(tok.text)...)
	}
	t.Stems = make([]string, len(t.Words))
	t.stemSet = make(map[string]struct{}, len(t.Words))
	for i, w := range t.Words {
		t.Stems[i] = Stem(w)
		t.stemSet[t.Stems[i]] = struct{}{}
	}
	return t
}

// Stem returns the Snowball (Porter 2) stem of one lower-case word; numbers
// and short words are returned as they are.
func Stem(w string) string {
	if len(w) < 3 || (w[0] >= '0' && w[0] <= '9') {
		return w
	}
	return english.Stem(w, false)
}

// HasStem reports whether the line contains a word with stem s.
func (t *Text) HasStem(s string) bool {
	_, ok := t.stemSet[s]
	return ok
}

// StartsClause reports whether word i begins the line, a sentence or a
// clause set off by punctuation.
func (t *Text) StartsClause(i int) bool { return t.starts[i] }

// HasWord reports whether the line contains the word w (lower case).
func (t *Text) HasWord(w string) bool {
	for _, x := range t.Words {
		if x == w {
			return true
		}
	}
	return false
}

type token struct {
	text  string
	start bool // follows sentence or clause punctuation
}

// tokenize splits on anything but letters, digits, apostrophes and the
// separators inside numbers ("2,495.50", "6.9"), lower-casing, and marks
// the tokens that follow punctuation.
func tokenize(line string) []token {
	var out []token
	var b strings.Builder
	rs := []rune(strings.ToLower(line))
	pending := false
	flush := func() {
		if b.Len() > 0 {
			out = append(out, token{text: b.String(), start: pending})
			pending = false
			b.Reset()
		}
	}
	for i, r := range rs {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		case r == '\'' || r == '\u2019':
			if b.Len() > 0 && i+1 < len(rs) && unicode.IsLetter(rs[i+1]) {
				b.WriteByte('\'')
			} else {
				flush()
			}
		case (r == ',' || r == '.') && b.Len() > 0 && i+1 < len(rs) && unicode.IsDigit(rs[i+1]) && i > 0 && unicode.IsDigit(rs[i-1]):
			if r == '.' {
				b.WriteByte('.')
			} // thousands separators are dropped
		default:
			flush()
			if strings.ContainsRune(".?!;:,", r) {
				pending = true
			}
		}
	}
	flush()
	return out
}

// contractions maps the contractions whose expansion is not regular.
var contractions = map[string][]string{
	"won't": {"will", "not"}, "can't": {"can", "not"}, "shan't": {"shall", "not"},
	"ain't": {"is", "not"}, "let's": {"let", "us"}, "y'all": {"you", "all"},
	"gonna": {"going", "to"}, "wanna": {"want", "to"}, "gotta": {"got", "to"},
}

// expand splits a contraction into its words.
func expand(tok string) []string {
	if x, ok := contractions[tok]; ok {
		return x
	}
	i := strings.IndexByte(tok, '\'')
	if i <= 0 {
		return []string{tok}
	}
	head, tail := tok[:i], tok[i+1:]
	switch tail {
	case "t": // don't, isn't, wasn't, couldn't
		if strings.HasSuffix(head, "n") {
			return []string{strings.TrimSuffix(head, "n"), "not"}
		}
	case "s":
		return []string{head, "is"} // "it's", "what's"; possessives read the same for matching
	case "re":
		return []string{head, "are"}
	case "ve":
		return []string{head, "have"}
	case "ll":
		return []string{head, "will"}
	case "d":
		return []string{head, "would"}
	case "m":
		return []string{head, "am"}
	}
	return []string{head + tail}
}
