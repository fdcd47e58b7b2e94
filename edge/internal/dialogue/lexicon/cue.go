package lexicon

import "strings"

// Cue is a word or phrase to look for in a line, matched on stems: a phrase
// matches when all its words' stems appear in the line, in any order (the
// recogniser and people rephrase: "the payment per month", "monthly
// payment"). Stop words in a phrase are ignored unless the phrase has only
// stop words.
type Cue struct {
	// Phrase is the cue as written.
	Phrase string
	stems  []string
}

// NewCue prepares phrase for matching; an empty phrase never matches.
func NewCue(phrase string) Cue {
	t := Analyze(phrase)
	c := Cue{Phrase: phrase}
	for i, w := range t.Words {
		if !IsStopword(w) {
			c.stems = append(c.stems, t.Stems[i])
		}
	}
	if len(c.stems) == 0 {
		c.stems = t.Stems
	}
	return c
}

// Matches reports whether every stem of the cue is in t.
func (c Cue) Matches(t *Text) bool {
	if len(c.stems) == 0 {
		return false
	}
	for _, s := range c.stems {
		if !t.HasStem(s) {
			return false
		}
	}
	return true
}

// Cues prepares several phrases.
func Cues(phrases ...string) []Cue {
	out := make([]Cue, 0, len(phrases))
	for _, p := range phrases {
		if strings.TrimSpace(p) != "" {
			out = append(out, NewCue(p))
		}
	}
	return out
}

// AnyMatch returns the first cue of cs that matches t.
func AnyMatch(cs []Cue, t *Text) (Cue, bool) {
	for _, c := range cs {
		if c.Matches(t) {
			return c, true
		}
	}
	return Cue{}, false
}
