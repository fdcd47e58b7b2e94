package pipeline

import "strings"

// sentenceSplitter collects streamed reply text and cuts it into sentences,
// so that the first can be synthesised while the rest is still coming.
type sentenceSplitter struct {
	buf strings.Builder
}

// add appends delta and returns the sentences it completed.
func (s *sentenceSplitter) add(delta string) []string {
	s.buf.WriteString(delta)
	text := s.buf.String()
	var out []string
	start := 0
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case '.', '!', '?', ';', '\n':
		default:
			continue
		}
		// A sentence ends at the mark when whitespace follows (so "3.5"
		// and "e.g." inside a word do not cut).
		if i+1 < len(text) && (text[i+1] == ' ' || text[i+1] == '\n') || text[i] == '\n' {
			if sent := strings.TrimSpace(text[start : i+1]); sent != "" {
				out = append(out, sent)
			}
			start = i + 1
		}
	}
	if start > 0 {
		rest := text[start:]
		s.buf.Reset()
		s.buf.WriteString(rest)
	}
	return out
}

// flush returns what is left as a last sentence, if anything.
func (s *sentenceSplitter) flush() string {
	rest := strings.TrimSpace(s.buf.String())
	s.buf.Reset()
	return rest
}
