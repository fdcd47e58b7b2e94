package chunk_test

import (
	"strings"
	"testing"

	"github.com/avatar-fi/avatar/core/internal/knowledge/chunk"
	"github.com/avatar-fi/avatar/core/internal/knowledge/extract"
)

func words(n int, w string) string {
	return strings.TrimSpace(strings.Repeat(w+" ", n))
}

func TestSplit(t *testing.T) {
	tests := []struct {
		name     string
		blocks   []extract.Block
		opts     chunk.Options
		want     int
		sections []string
		pages    []int
		check    func(t *testing.T, cs []chunk.Chunk)
	}{
		{
			name: "headings start chunks and keep the path",
			blocks: []extract.Block{
				{Kind: extract.Heading, Level: 1, Text: "Policy"},
				{Kind: extract.Paragraph, Text: "Intro text.", Page: 1},
				{Kind: extract.Heading, Level: 2, Text: "Trade-ins"},
				{Kind: extract.ListItem, Text: "Appraise within 30 minutes.", Page: 2},
				{Kind: extract.ListItem, Text: "Valid seven days.", Page: 2},
				{Kind: extract.Heading, Level: 1, Text: "Finance"},
				{Kind: extract.Paragraph, Text: "APR rules.", Page: 3},
			},
			want:     3,
			sections: []string{"Policy", "Policy > Trade-ins", "Finance"},
			pages:    []int{1, 2, 3},
		},
		{
			name:   "long paragraphs split with overlap",
			blocks: []extract.Block{{Kind: extract.Paragraph, Text: words(1000, "word.")}},
			opts:   chunk.Options{Target: 300, Max: 400, Overlap: 40},
			check: func(t *testing.T, cs []chunk.Chunk) {
				t.Helper()
				if len(cs) < 3 {
					t.Fatalf("chunks %d", len(cs))
				}
				for _, c := range cs {
					if c.Tokens > 400 || c.Tokens < 1 {
						t.Fatalf("chunk %d has %d tokens", c.Ord, c.Tokens)
					}
				}
				total := 0
				for _, c := range cs {
					total += c.Tokens
				}
				if total <= 1000 {
					t.Fatalf("no overlap: %d tokens in all", total)
				}
			},
		},
		{
			name:   "paragraphs pack up to the target",
			blocks: []extract.Block{{Text: words(100, "a")}, {Text: words(100, "b")}, {Text: words(100, "c")}, {Text: words(100, "d")}},
			opts:   chunk.Options{Target: 250, Max: 300, Overlap: 20},
			want:   2,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cs := chunk.Split(tc.blocks, tc.opts)
			if tc.want > 0 && len(cs) != tc.want {
				t.Fatalf("got %d chunks: %+v", len(cs), cs)
			}
			for i, s := range tc.sections {
				if cs[i].Section != s {
					t.Errorf("chunk %d section %q, want %q", i, cs[i].Section, s)
				}
			}
			for i, p := range tc.pages {
				if cs[i].Page != p {
					t.Errorf("chunk %d page %d, want %d", i, cs[i].Page, p)
				}
			}
			for i, c := range cs {
				if c.Ord != i {
					t.Errorf("ord %d at %d", c.Ord, i)
				}
			}
			if tc.check != nil {
				tc.check(t, cs)
			}
		})
	}
}
