package stt

import "strings"

// Normalize prepares text for word error rate scoring the way standard WER
// tools do: lower case, punctuation removed (apostrophes inside words kept),
// and "oh" read as "zero", so that a digit said either way scores the same.
func Normalize(text string) []string {
	var b strings.Builder
	for _, r := range strings.ToLower(text) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '\'':
			b.WriteRune(r)
		case r > 127 && r != '\u2019':
			b.WriteRune(r)
		case r == '\u2019':
			b.WriteRune('\'')
		default:
			b.WriteByte(' ')
		}
	}
	words := strings.Fields(b.String())
	out := words[:0]
	for _, w := range words {
		w = strings.Trim(w, "'")
		if w == "" {
			continue
		}
		if w == "oh" {
			w = "zero"
		}
		out = append(out, w)
	}
	return out
}

// WordErrors returns the word-level edit distance (substitutions, deletions
// and insertions) between a reference and a hypothesis, both normalised with
// Normalize, and the number of reference words. WER is errors/words.
func WordErrors(reference, hypothesis string) (errors, words int) {
	ref, hyp := Normalize(reference), Normalize(hypothesis)
	prev := make([]int, len(hyp)+1)
	cur := make([]int, len(hyp)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ref); i++ {
		cur[0] = i
		for j := 1; j <= len(hyp); j++ {
			sub := prev[j-1]
			if ref[i-1] != hyp[j-1] {
				sub++
			}
			cur[j] = min(sub, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(hyp)], len(ref)
}
