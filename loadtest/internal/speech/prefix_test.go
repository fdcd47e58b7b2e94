package speech

import (
	"slices"
	"testing"
)

func names(clips []Clip) []string {
	out := make([]string, len(clips))
	for i, c := range clips {
		out[i] = c.Name
	}
	return out
}

func TestWithPrefix(t *testing.T) {
	set := []Clip{{Name: "cards_001.wav"}, {Name: "mfa_61-70968.wav"}, {Name: "mfa_s01.wav"}}
	tests := []struct {
		name     string
		prefixes []string
		want     []string
	}{
		{name: "none keeps all", prefixes: nil, want: []string{"cards_001.wav", "mfa_61-70968.wav", "mfa_s01.wav"}},
		{name: "one prefix", prefixes: []string{"mfa_"}, want: []string{"mfa_61-70968.wav", "mfa_s01.wav"}},
		{name: "two prefixes", prefixes: []string{"cards_", "mfa_s"}, want: []string{"cards_001.wav", "mfa_s01.wav"}},
		{name: "no match", prefixes: []string{"x"}, want: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := names(WithPrefix(set, tt.prefixes)); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
