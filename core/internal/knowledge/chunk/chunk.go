package chunk

import (
	"strings"

	"github.com/avatar-fi/avatar/core/internal/knowledge/extract"
)

// Options size the chunks, in tokens (whitespace-separated words, a close and cheap
// proxy for sub-word tokens at about 1.3 per word). Zero fields take the defaults.
type Options struct {
	// Target is the size a chunk is closed at once reached; default 350.
	Target int
	// Max is the hard cap for one chunk; longer blocks are split; default 450.
	Max int
	// Overlap is how much of the previous chunk's tail a chunk of the same section
	// starts with; default 50.
	Overlap int
}

func (o Options) withDefaults() Options {
	if o.Target <= 0 {
		o.Target = 350
	}
	if o.Max < o.Target {
		o.Max = o.Target + o.Target/4
	}
	if o.Overlap < 0 || o.Overlap >= o.Target {
		o.Overlap = 0
	} else if o.Overlap == 0 {
		o.Overlap = 50
	}
	return o
}

// Chunk is one piece of a document to index.
type Chunk struct {
	// Ord is the chunk's position in the document, from 0.
	Ord  int
	Text string
	// Section is the heading path, "Top > Sub"; empty before the first heading.
	Section string
	// Page is the first page the chunk comes from; 0 when the format has no pages.
	Page int
	// Tokens is the chunk's length in words.
	Tokens int
}

// Split turns blocks into chunks.
func Split(blocks []extract.Block, opts Options) []Chunk {
	o := opts.withDefaults()
	var (
		out      []Chunk
		headings []string
		section  string
		words    []string // current chunk's words
		page     int
		fresh    int // words added since the overlap was carried in
	)
	flush := func(carry bool) {
		if fresh == 0 {
			words = nil
			return
		}
		out = append(out, Chunk{Ord: len(out), Text: strings.Join(words, " "), Section: section, Page: page, Tokens: len(words)})
		if carry && o.Overlap > 0 && len(words) > o.Overlap {
			words = append([]string(nil), tail(words, o.Overlap)...)
		} else {
			words = nil
		}
		fresh = 0
	}
	add := func(ws []string, p int, listItem bool) {
		if fresh == 0 {
			page = p
		}
		if listItem {
			ws = append([]string{"•"}, ws...)
		}
		words = append(words, ws...)
		fresh += len(ws)
	}
	for _, b := range blocks {
		if b.Kind == extract.Heading {
			flush(false)
			lvl := max(b.Level, 1)
			if lvl > len(headings)+1 {
				lvl = len(headings) + 1
			}
			headings = append(headings[:lvl-1], b.Text)
			section = strings.Join(headings, " > ")
			continue
		}
		for _, piece := range pieces(strings.Fields(b.Text), o.Max-o.Overlap) {
			if fresh > 0 && len(words)+len(piece) > o.Max {
				flush(true)
			}
			add(piece, b.Page, b.Kind == extract.ListItem)
			if len(words) >= o.Target {
				flush(true)
			}
		}
	}
	flush(false)
	return out
}

// pieces splits a block's words into runs of at most n, cutting after a sentence end
// where one exists in the second half of the run.
func pieces(ws []string, n int) [][]string {
	if n < 1 {
		n = 1
	}
	var out [][]string
	for len(ws) > n {
		cut := n
		for i := n - 1; i >= n/2; i-- {
			if w := ws[i]; strings.HasSuffix(w, ".") || strings.HasSuffix(w, "?") || strings.HasSuffix(w, "!") {
				cut = i + 1
				break
			}
		}
		out = append(out, ws[:cut])
		ws = ws[cut:]
	}
	if len(ws) > 0 {
		out = append(out, ws)
	}
	return out
}

// tail returns about the last n words, starting at a sentence boundary when one is near.
func tail(ws []string, n int) []string {
	start := len(ws) - n
	for i := start; i < len(ws)-n/2; i++ {
		if w := ws[i-1]; strings.HasSuffix(w, ".") || strings.HasSuffix(w, "?") || strings.HasSuffix(w, "!") {
			return ws[i:]
		}
	}
	return ws[start:]
}
