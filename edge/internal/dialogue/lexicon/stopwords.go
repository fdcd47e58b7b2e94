package lexicon

// stopwords are function words that carry no topic: they are left out of
// Content and of cue matching's topic checks.
var stopwords = setOf(
	"a", "an", "the", "and", "or", "but", "if", "so", "of", "to", "in", "on", "at", "for",
	"with", "by", "from", "up", "about", "into", "over", "after", "before", "than", "then",
	"as", "is", "are", "was", "were", "be", "been", "being", "am", "do", "does", "did",
	"have", "has", "had", "having", "will", "would", "shall", "should", "can", "could",
	"may", "might", "must", "i", "me", "my", "mine", "we", "us", "our", "you", "your",
	"yours", "he", "him", "his", "she", "her", "it", "its", "they", "them", "their",
	"this", "that", "these", "those", "there", "here", "what", "which", "who", "whom",
	"whose", "when", "where", "why", "how", "not", "no", "yes", "all", "any", "some",
	"just", "very", "really", "also", "too", "only", "own", "same", "other", "such",
	"more", "most", "much", "many", "each", "every", "both", "few", "again", "once",
	"out", "off", "down", "now", "well", "okay", "ok", "oh", "um", "uh", "like", "get",
	"got", "go", "going", "know", "think", "let", "want", "need", "tell", "say", "said",
	"one", "thing", "things", "way", "lot", "kind", "sort", "something", "anything",
	"everything", "nothing", "right", "sure", "yeah", "hi", "hello", "hey", "please",
	"thanks", "thank", "mean", "make", "does", "doing", "done", "see", "look",
)

func setOf(ws ...string) map[string]struct{} {
	m := make(map[string]struct{}, len(ws))
	for _, w := range ws {
		m[w] = struct{}{}
	}
	return m
}

// IsStopword reports whether w (a lower-case word) is a function word.
func IsStopword(w string) bool {
	_, ok := stopwords[w]
	return ok
}

// Content returns the stems of the line's content words (stop words left
// out), each once, in order of first appearance.
func (t *Text) Content() []string {
	seen := map[string]struct{}{}
	var out []string
	for i, w := range t.Words {
		if IsStopword(w) {
			continue
		}
		s := t.Stems[i]
		if _, ok := seen[s]; ok {
			continue
		}
		seen[s] = struct{}{}
		out = append(out, s)
	}
	return out
}
