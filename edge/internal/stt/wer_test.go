package stt_test

import (
	"testing"

	"github.com/avatar-fi/avatar/edge/internal/stt"
)

func TestWordErrors(t *testing.T) {
	tests := []struct {
		name       string
		ref, hyp   string
		errs, word int
	}{
		{"exact", "go forward ten meters", "go forward ten meters", 0, 4},
		{"case and punctuation", "Go forward, ten meters!", "go forward ten meters", 0, 4},
		{"oh is zero", "nine oh two", "nine zero two", 0, 3},
		{"substitution", "a b c", "a x c", 1, 3},
		{"deletion", "a b c", "a c", 1, 3},
		{"insertion", "a b", "a x b", 1, 2},
		{"empty hypothesis", "a b", "", 2, 2},
		{"curly apostrophe", "don’t", "don't", 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, n := stt.WordErrors(tc.ref, tc.hyp)
			if e != tc.errs || n != tc.word {
				t.Errorf("WordErrors(%q, %q) = %d, %d; want %d, %d", tc.ref, tc.hyp, e, n, tc.errs, tc.word)
			}
		})
	}
}
