package lexicon

import (
	"fmt"
	"strings"
)

// Pattern is a sequence of word slots matched against a line's words
// anywhere in it. A slot lists alternatives separated by "|"; a trailing "?"
// makes it optional; "*" skips up to three words and "**" up to eight; an
// alternative ending in "~" matches on the stem ("cover~" matches "covers",
// "covered"); a leading "^" anchors the pattern at the start of the line or
// of a clause set off by punctuation. Patterns are written against expanded
// words: "don't" is "do not". Spaces separate slots, so an alternative is
// always one word: write "you are wrong|mistaken", not "wrong|not right".
type Pattern struct {
	src      string
	slots    []slot
	anchored bool
}

type slot struct {
	alts     []string
	stems    []bool
	optional bool
	gap      int // words a gap slot may skip
}

// MustPattern compiles src; it panics on a malformed pattern, so use it only
// for patterns written in the program.
func MustPattern(src string) Pattern {
	p, err := NewPattern(src)
	if err != nil {
		panic(err) //nolint:forbidigo // the documented contract of a Must function
	}
	return p
}

// NewPattern compiles src.
func NewPattern(src string) (Pattern, error) {
	p := Pattern{src: src}
	if rest, ok := strings.CutPrefix(strings.TrimSpace(src), "^"); ok {
		p.anchored = true
		src = rest
	}
	for _, f := range strings.Fields(src) {
		switch f {
		case "*":
			p.slots = append(p.slots, slot{gap: 3})
			continue
		case "**":
			p.slots = append(p.slots, slot{gap: 8})
			continue
		}
		var s slot
		if strings.HasSuffix(f, "?") {
			s.optional = true
			f = strings.TrimSuffix(f, "?")
		}
		for _, a := range strings.Split(f, "|") {
			if a == "" {
				return Pattern{}, fmt.Errorf("%w: empty alternative in %q", ErrPattern, src)
			}
			stem := strings.HasSuffix(a, "~")
			a = strings.TrimSuffix(a, "~")
			if stem {
				a = Stem(a)
			}
			s.alts = append(s.alts, a)
			s.stems = append(s.stems, stem)
		}
		p.slots = append(p.slots, s)
	}
	if len(p.slots) == 0 {
		return Pattern{}, fmt.Errorf("%w: empty pattern", ErrPattern)
	}
	return p, nil
}

// String returns the pattern's source.
func (p Pattern) String() string { return p.src }

// Find returns the index of the first word of the first match in t, or -1.
func (p Pattern) Find(t *Text) int {
	for i := range t.Words {
		if p.anchored && !t.StartsClause(i) {
			continue
		}
		if p.matchAt(t, 0, i) {
			return i
		}
	}
	return -1
}

// Matches reports whether p matches anywhere in t.
func (p Pattern) Matches(t *Text) bool { return p.Find(t) >= 0 }

func (p Pattern) matchAt(t *Text, si, wi int) bool {
	if si == len(p.slots) {
		return true
	}
	s := p.slots[si]
	if s.gap > 0 {
		for k := 0; k <= s.gap && wi+k <= len(t.Words); k++ {
			if p.matchAt(t, si+1, wi+k) {
				return true
			}
		}
		return false
	}
	if wi < len(t.Words) && s.match(t, wi) && p.matchAt(t, si+1, wi+1) {
		return true
	}
	return s.optional && p.matchAt(t, si+1, wi)
}

func (s slot) match(t *Text, wi int) bool {
	for k, a := range s.alts {
		if s.stems[k] {
			if t.Stems[wi] == a {
				return true
			}
		} else if t.Words[wi] == a {
			return true
		}
	}
	return false
}
