package speechset_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/avatar-fi/avatar/media/speechset"
)

func TestSplit(t *testing.T) {
	set := []string{"a_1.wav", "a_2.wav", "b_1.wav", "b_2.wav", "c_1.wav"}
	tests := []struct {
		name    string
		part    string
		want    []string
		wantErr bool
	}{
		{name: "all", part: speechset.All, want: set},
		{name: "tune is the even positions", part: speechset.Tune, want: []string{"a_1.wav", "b_1.wav", "c_1.wav"}},
		{name: "report is the odd positions", part: speechset.Report, want: []string{"a_2.wav", "b_2.wav"}},
		{name: "unknown part", part: "half", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := speechset.Split(set, tt.part)
			if tt.wantErr {
				if !errors.Is(err, speechset.ErrFormat) {
					t.Fatalf("err %v, want ErrFormat", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestSharedDirs checks that the shared speech sets are found from the
// source tree and load, so that tools and tests of every module read the
// same clips.
func TestSharedDirs(t *testing.T) {
	for _, dir := range []string{speechset.SharedDir(), speechset.MoreDir()} {
		clips, err := speechset.Load(dir)
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		if len(clips) < 10 || !slices.IsSortedFunc(clips, func(a, b speechset.Clip) int {
			switch {
			case a.Name < b.Name:
				return -1
			case a.Name > b.Name:
				return 1
			}
			return 0
		}) {
			t.Errorf("%s: %d clips, want at least 10 sorted by name", dir, len(clips))
		}
	}
}
