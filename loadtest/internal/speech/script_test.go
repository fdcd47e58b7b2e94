package speech

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sayTone speaks a line as a tone of 50 ms per character, and fails on
// lines containing "fail".
func sayTone(text string) ([]int16, error) {
	if strings.Contains(text, "fail") {
		return nil, errors.New("cannot say it")
	}
	return tone(Rate, 0, time.Duration(len(text))*50*time.Millisecond, 300*time.Millisecond), nil
}

func TestScript(t *testing.T) {
	tests := []struct {
		name      string
		script    string
		wantNames []string
		wantErr   string
	}{
		{name: "lines in order, comments and blanks skipped", script: "# a comment\nHello there.\n\n  How are you?  \n",
			wantNames: []string{"s.txt:2", "s.txt:4"}},
		{name: "only comments", script: "# nothing\n\n", wantErr: "no lines"},
		{name: "a line that cannot be spoken", script: "fine\nfail here\n", wantErr: "speak s.txt:2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.txt")
			if err := os.WriteFile(path, []byte(tt.script), 0o644); err != nil {
				t.Fatal(err)
			}
			clips, err := Script(path, sayTone)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := names(clips); strings.Join(got, " ") != strings.Join(tt.wantNames, " ") {
				t.Fatalf("clips %v, want %v", got, tt.wantNames)
			}
			for _, c := range clips {
				want := time.Duration(len(c.Text)) * 50 * time.Millisecond
				if c.Text != strings.TrimSpace(c.Text) || c.Voiced < want-40*time.Millisecond || c.Voiced > want+40*time.Millisecond {
					t.Errorf("%s: text %q voiced until %v, want %v", c.Name, c.Text, c.Voiced, want)
				}
			}
		})
	}
	if _, err := Script(filepath.Join(t.TempDir(), "missing.txt"), sayTone); err == nil {
		t.Error("a missing script: no error")
	}
}
