package flite

import "testing"

func TestClean(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"ascii unchanged", "Pay $400 a month.", "Pay $400 a month."},
		{"typographic", "It’s “covered” — don’t worry…", `It's "covered" ,  don't worry...`},
		{"accents", "Café señor Œuvre", "Cafe senor OEuvre"},
		{"controls and NUL", "one\x00two\tthree\n", "one two three "},
		{"invalid UTF-8", "a\xffb", "a b"},
		{"unknown script dropped", "car 車", "car  "},
		{"nothing to say", " ...!? 🚗 ", ""},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := clean(tc.text); got != tc.want {
				t.Errorf("clean(%q) = %q, want %q", tc.text, got, tc.want)
			}
		})
	}
}
