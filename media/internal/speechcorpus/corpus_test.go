package speechcorpus_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/avatar-fi/avatar/media/internal/speechcorpus"
)

func TestLoad(t *testing.T) {
	clips, err := speechcorpus.Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	labelled := 0
	for _, c := range clips {
		if c.Transcript == "" || len(c.Samples) == 0 {
			t.Errorf("%s: empty transcript or audio", c.Name)
		}
		if c.Speech != nil {
			labelled++
		}
	}
	if len(clips) != 13 || labelled != 5 {
		t.Errorf("%d clips, %d labelled; want 13 and 5", len(clips), labelled)
	}
}

func TestDirFromEnv(t *testing.T) {
	dir, err := speechcorpus.Dir()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(speechcorpus.EnvDir, dir)
	if got, err := speechcorpus.Dir(); err != nil || got != dir {
		t.Errorf("Dir with %s set = %q, %v", speechcorpus.EnvDir, got, err)
	}
	t.Setenv(speechcorpus.EnvDir, t.TempDir()+"/missing")
	if _, err := speechcorpus.Dir(); !errors.Is(err, speechcorpus.ErrNotFound) {
		t.Errorf("Dir with a missing directory: %v, want ErrNotFound", err)
	}
}

func TestParseLabels(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		want    []speechcorpus.Span
		wantErr error
	}{
		{name: "one region", input: "0.25\t0.25\tspeech\n2.5\t2.5\tsilence\n", want: []speechcorpus.Span{{Start: 250 * time.Millisecond, End: 2500 * time.Millisecond}}},
		{name: "speech to the end", input: "1 1 speech\n", want: []speechcorpus.Span{{Start: time.Second, End: 10 * time.Second}}},
		{name: "bad label", input: "1 1 music\n", wantErr: speechcorpus.ErrBadLabels},
		{name: "bad time", input: "x x speech\n", wantErr: speechcorpus.ErrBadLabels},
		{name: "wrong field count", input: "1 speech\n", wantErr: speechcorpus.ErrBadLabels},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := speechcorpus.ParseLabels(strings.NewReader(tt.input), 10*time.Second)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("spans = %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("span %d = %v, want %v", i, got[i], tt.want[i])
				}
			}
		})
	}
}
