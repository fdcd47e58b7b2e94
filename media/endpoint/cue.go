package endpoint

// Cue is what a transcript suggests about the end of the utterance.
type Cue int8

// Cues.
const (
	// CueNone means no opinion: the turn ends after Config.Silence.
	CueNone Cue = iota
	// CueComplete means the words look like a finished utterance: the turn
	// ends after Config.EarlySilence.
	CueComplete
	// CueIncomplete means the words trail off, or none were recognised: the
	// turn ends after Config.LateSilence.
	CueIncomplete
)

// String returns the cue's name.
func (c Cue) String() string {
	switch c {
	case CueNone:
		return "none"
	case CueComplete:
		return "complete"
	case CueIncomplete:
		return "incomplete"
	default:
		return "unknown"
	}
}

// CueFunc judges a partial transcript. It is called from SetTranscript, not
// per frame, and must be safe to call with any string, including "".
type CueFunc func(transcript string) Cue

// maxWord is the longest last word DefaultCue looks up; longer words are
// neither fillers nor function words.
const maxWord = 16

// DefaultCue is the CueFunc used when Config.Cue is nil. It is a cheap rule on
// the last word, for English, that allocates nothing:
//
//   - empty (or only punctuation) → CueIncomplete: nothing recognised yet;
//   - ends with '.', '?' or '!' → CueComplete, for recognisers that punctuate;
//   - ends with ',', ';', ':', '-' or '…' → CueIncomplete;
//   - last word a filler ("um", "uh", "er", "hmm"), a conjunction ("and",
//     "so", "but", "because", "if"), an article or determiner ("the", "a",
//     "my"), a preposition ("to", "of", "with") or an auxiliary or subject
//     pronoun ("is", "was", "can", "i", "we") → CueIncomplete;
//   - the last two words numbers ("five five", "nine hundred", digits): a
//     number is being read out → CueIncomplete;
//   - last word a closing word ("yes", "okay", "thanks", "please", "bye") →
//     CueComplete;
//   - otherwise CueNone.
func DefaultCue(transcript string) Cue {
	end := len(transcript)
	for end > 0 && isSpace(transcript[end-1]) {
		end--
	}
	if end == 0 {
		return CueIncomplete
	}
	switch transcript[end-1] {
	case '.', '?', '!':
		return CueComplete
	case ',', ';', ':', '-':
		return CueIncomplete
	}
	if end >= 3 && transcript[end-3:end] == "…" {
		return CueIncomplete
	}
	// The last word: letters, digits, apostrophes and non-ASCII bytes.
	start := end
	for start > 0 && isWordByte(transcript[start-1]) {
		start--
	}
	if start == end {
		// Ends in other punctuation (quotes, brackets): look past it once.
		for end > 0 && !isWordByte(transcript[end-1]) {
			end--
		}
		if end == 0 {
			return CueIncomplete
		}
		start = end
		for start > 0 && isWordByte(transcript[start-1]) {
			start--
		}
	}
	word := transcript[start:end]
	if len(word) > maxWord {
		return CueNone
	}
	var buf [maxWord]byte
	n := lower(&buf, word)
	if c := wordCue(string(buf[:n])); c != CueNone || !isNumber(string(buf[:n])) {
		return c
	}
	// A number: is the word before it one too?
	pend := start
	for pend > 0 && isSpace(transcript[pend-1]) {
		pend--
	}
	pstart := pend
	for pstart > 0 && isWordByte(transcript[pstart-1]) {
		pstart--
	}
	if pend-pstart == 0 || pend-pstart > maxWord {
		return CueNone
	}
	n = lower(&buf, transcript[pstart:pend])
	if isNumber(string(buf[:n])) {
		return CueIncomplete
	}
	return CueNone
}

// lower writes word (at most maxWord bytes), lower-cased with ’ as ', into
// buf and returns its length.
func lower(buf *[maxWord]byte, word string) int {
	n := 0
	for i := 0; i < len(word); i++ {
		c := word[i]
		switch {
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		case c == 0xE2 && i+2 < len(word) && word[i+1] == 0x80 && word[i+2] == 0x99: // ’
			c = '\''
			i += 2
		}
		buf[n] = c
		n++
	}
	return n
}

// isNumber reports whether a lower-case word is a number: digits, or a
// number word as a recogniser writes numbers out.
func isNumber(w string) bool {
	if w == "" {
		return false
	}
	digits := true
	for i := 0; i < len(w); i++ {
		if w[i] < '0' || w[i] > '9' {
			digits = false
			break
		}
	}
	if digits {
		return true
	}
	switch w {
	case "zero", "oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
		"eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
		"twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "hundred", "thousand",
		"million", "point":
		return true
	}
	return false
}

// wordCue classifies a lower-case last word.
func wordCue(w string) Cue {
	switch w {
	// Fillers and hesitations.
	case "um", "umm", "uh", "uhh", "uhm", "er", "erm", "ah", "eh", "hmm", "mm", "mhm", "like", "well":
		return CueIncomplete
	// Conjunctions and clause openers.
	case "and", "or", "but", "so", "because", "cause", "cuz", "if", "than", "that", "which", "who",
		"whose", "when", "where", "while", "whether", "although", "though", "unless", "until",
		"since", "as", "nor", "plus", "also", "then":
		return CueIncomplete
	// Articles and determiners.
	case "the", "a", "an", "this", "these", "those", "my", "your", "our", "their", "his", "her",
		"its", "some", "any", "every", "each", "another", "more", "most", "less", "much", "many", "very":
		return CueIncomplete
	// Prepositions.
	case "to", "of", "in", "on", "at", "for", "with", "from", "by", "about", "into", "onto", "over",
		"under", "between", "through", "after", "before", "without", "within", "per", "against":
		return CueIncomplete
	// Auxiliaries, modals and subject pronouns.
	case "is", "are", "was", "were", "am", "be", "been", "being", "have", "has", "had", "do", "does",
		"did", "will", "would", "can", "could", "should", "might", "must", "shall", "may",
		"i", "we", "they", "he", "she", "i'm", "i'll", "i'd", "i've", "we're", "they're", "you're",
		"it's", "that's", "there's", "what's", "let's", "gonna", "wanna":
		return CueIncomplete
	// Closing words.
	case "yes", "yeah", "yep", "nope", "okay", "ok", "thanks", "please", "bye", "goodbye",
		"correct", "exactly", "absolutely":
		return CueComplete
	default:
		return CueNone
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '\'' || c >= 0x80
}
