package speech

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/avatar-fi/avatar/media/wav"
)

// tone returns rate-Hz samples: lead of silence, voiced of a 300 Hz tone,
// then tail of silence.
func tone(rate int, lead, voiced, tail time.Duration) []int16 {
	n := func(d time.Duration) int { return int(d * time.Duration(rate) / time.Second) }
	pcm := make([]int16, n(lead)+n(voiced)+n(tail))
	for i := range n(voiced) {
		pcm[n(lead)+i] = int16(8000 * math.Sin(2*math.Pi*300*float64(i)/float64(rate)))
	}
	return pcm
}

func writeWAV(t *testing.T, path string, rate, channels int, pcm []int16) {
	t.Helper()
	if err := wav.WriteFile(path, wav.Format{SampleRate: rate, Channels: channels}, pcm); err != nil {
		t.Fatal(err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	writeWAV(t, filepath.Join(dir, "b.wav"), 16000, 1, tone(16000, 200*time.Millisecond, time.Second, 500*time.Millisecond))
	writeWAV(t, filepath.Join(dir, "a.wav"), 48000, 1, tone(48000, 0, 600*time.Millisecond, 400*time.Millisecond))
	if err := os.WriteFile(filepath.Join(dir, "transcripts.tsv"), []byte("file\ttext\nb.wav\tsecond one\na.wav\tfirst one\n\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	clips, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(clips) != 2 || clips[0].Name != "a.wav" || clips[1].Text != "second one" {
		t.Fatalf("clips %+v", clips)
	}
	tests := []struct {
		clip     Clip
		duration time.Duration
		voiced   time.Duration
	}{
		{clips[0], time.Second, 600 * time.Millisecond},              // resampled from 48 kHz
		{clips[1], 1700 * time.Millisecond, 1200 * time.Millisecond}, // 0.2 s lead + 1 s voiced
	}
	for _, tt := range tests {
		if d := tt.clip.Duration(); d < tt.duration-5*time.Millisecond || d > tt.duration+5*time.Millisecond {
			t.Errorf("%s: duration %v, want %v", tt.clip.Name, d, tt.duration)
		}
		if d := tt.clip.Voiced - tt.voiced; d < -20*time.Millisecond || d > 20*time.Millisecond {
			t.Errorf("%s: voiced until %v, want %v", tt.clip.Name, tt.clip.Voiced, tt.voiced)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
	}{
		{"empty folder", func(*testing.T, string) {}},
		{"bad header", func(t *testing.T, dir string) {
			t.Helper()
			_ = os.WriteFile(filepath.Join(dir, "transcripts.tsv"), []byte("name\tsentence\n"), 0o644)
		}},
		{"row without tab", func(t *testing.T, dir string) {
			t.Helper()
			_ = os.WriteFile(filepath.Join(dir, "transcripts.tsv"), []byte("file\ttext\nx.wav\n"), 0o644)
		}},
		{"stereo", func(t *testing.T, dir string) {
			t.Helper()
			writeWAV(t, filepath.Join(dir, "s.wav"), 16000, 2, make([]int16, 3200))
		}},
		{"8 kHz", func(t *testing.T, dir string) {
			t.Helper()
			writeWAV(t, filepath.Join(dir, "s.wav"), 8000, 1, make([]int16, 1600))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.setup(t, dir)
			if _, err := Load(dir); !errors.Is(err, ErrFormat) {
				t.Errorf("err = %v, want ErrFormat", err)
			}
		})
	}
}

func TestLoadWithoutTranscripts(t *testing.T) {
	dir := t.TempDir()
	writeWAV(t, filepath.Join(dir, "only.wav"), 16000, 1, tone(16000, 0, 300*time.Millisecond, 0))
	clips, err := Load(dir)
	if err != nil || len(clips) != 1 || clips[0].Text != "" {
		t.Fatalf("clips %+v, err %v", clips, err)
	}
}
