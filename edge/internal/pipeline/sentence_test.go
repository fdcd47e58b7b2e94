package pipeline

import (
	"slices"
	"testing"
)

func TestSentenceSplitter(t *testing.T) {
	tests := []struct {
		name   string
		deltas []string
		want   []string
	}{
		{"one sentence", []string{"Hello there."}, []string{"Hello there."}},
		{"streamed words", []string{"You", " said:", " hi.", " This", " is", " more."}, []string{"You said: hi.", "This is more."}},
		{"decimal stays", []string{"The rate is 3.5 percent. OK"}, []string{"The rate is 3.5 percent.", "OK"}},
		{"question and exclamation", []string{"Why? Because! Yes"}, []string{"Why?", "Because!", "Yes"}},
		{"no end mark", []string{"no punctuation at all"}, []string{"no punctuation at all"}},
		{"newline", []string{"line one\nline two"}, []string{"line one", "line two"}},
		{"empty", []string{"", " "}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s sentenceSplitter
			var got []string
			for _, d := range tc.deltas {
				got = append(got, s.add(d)...)
			}
			if rest := s.flush(); rest != "" {
				got = append(got, rest)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
