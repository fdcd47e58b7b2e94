package flite

import (
	"strings"
	"unicode"
)

// fold maps the non-ASCII characters that replies commonly hold to ASCII
// that Flite's US English front end reads; Flite drops any other non-ASCII
// character, so "café" would be spoken "caf".
var fold = map[rune]string{
	// Quotes, dashes, ellipsis.
	'\u2018': "'", '\u2019': "'", '\u201a': "'", '\u201b': "'", '\u2032': "'", '\u02bc': "'",
	'\u201c': `"`, '\u201d': `"`, '\u201e': `"`, '\u201f': `"`, '\u2033': `"`, '«': `"`, '»': `"`,
	'\u2010': "-", '\u2011': "-", '\u2012': "-", '\u2013': "-", '\u2212': "-",
	'\u2014': ", ", '\u2015': ", ",
	'\u2026': "...",

	// Latin letters with diacritics.
	'À': "A", 'Á': "A", 'Â': "A", 'Ã': "A", 'Ä': "A", 'Å': "A", 'Æ': "AE", 'Ç': "C",
	'È': "E", 'É': "E", 'Ê': "E", 'Ë': "E", 'Ì': "I", 'Í': "I", 'Î': "I", 'Ï': "I",
	'Ð': "D", 'Ñ': "N", 'Ò': "O", 'Ó': "O", 'Ô': "O", 'Õ': "O", 'Ö': "O", 'Ø': "O",
	'Ù': "U", 'Ú': "U", 'Û': "U", 'Ü': "U", 'Ý': "Y", 'Þ': "Th", 'ß': "ss",
	'à': "a", 'á': "a", 'â': "a", 'ã': "a", 'ä': "a", 'å': "a", 'æ': "ae", 'ç': "c",
	'è': "e", 'é': "e", 'ê': "e", 'ë': "e", 'ì': "i", 'í': "i", 'î': "i", 'ï': "i",
	'ð': "d", 'ñ': "n", 'ò': "o", 'ó': "o", 'ô': "o", 'õ': "o", 'ö': "o", 'ø': "o",
	'ù': "u", 'ú': "u", 'û': "u", 'ü': "u", 'ý': "y", 'þ': "th", 'ÿ': "y",
	'Œ': "OE", 'œ': "oe", 'Š': "S", 'š': "s", 'Ž': "Z", 'ž': "z", 'Ł': "L", 'ł': "l",
}

// clean returns text as Flite should read it: valid UTF-8 folded to ASCII
// (see fold), control characters and unknown characters as spaces. It
// returns "" when no letter or digit is left, as there is nothing to say.
func clean(text string) string {
	var b strings.Builder
	b.Grow(len(text))
	speakable := false
	for _, r := range strings.ToValidUTF8(text, " ") {
		switch {
		case r < 0x80 && !unicode.IsControl(r):
			b.WriteRune(r)
			if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
				speakable = true
			}
		case fold[r] != "":
			s := fold[r]
			b.WriteString(s)
			if unicode.IsLetter(rune(s[0])) {
				speakable = true
			}
		default: // controls, spaces of every kind, what Flite cannot read
			b.WriteByte(' ')
		}
	}
	if !speakable {
		return ""
	}
	return b.String()
}
