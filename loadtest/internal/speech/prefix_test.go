package speech

import (
	"errors"
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

func TestSplit(t *testing.T) {
	set := []Clip{{Name: "a_1.wav"}, {Name: "a_2.wav"}, {Name: "b_1.wav"}, {Name: "b_2.wav"}, {Name: "c_1.wav"}}
	tests := []struct {
		name    string
		part    string
		want    []string
		wantErr bool
	}{
		{name: "all", part: All, want: []string{"a_1.wav", "a_2.wav", "b_1.wav", "b_2.wav", "c_1.wav"}},
		{name: "tune is the even positions", part: Tune, want: []string{"a_1.wav", "b_1.wav", "c_1.wav"}},
		{name: "report is the odd positions", part: Report, want: []string{"a_2.wav", "b_2.wav"}},
		{name: "unknown part", part: "half", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Split(set, tt.part)
			if tt.wantErr {
				if !errors.Is(err, ErrFormat) {
					t.Fatalf("err %v, want ErrFormat", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(names(got), tt.want) {
				t.Errorf("got %v, want %v", names(got), tt.want)
			}
		})
	}
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
