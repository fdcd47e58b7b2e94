// Package speech loads the recordings the load tester's callers speak: a
// folder of mono WAV files (16 or 48 kHz) with a transcripts.tsv whose
// header row is "file<TAB>text" (the layout of shared/data/speech), or,
// without a transcripts.tsv, every *.wav in the folder.
package speech

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/avatar-fi/avatar/loadtest/caller"
	"github.com/avatar-fi/avatar/media/resample"
	"github.com/avatar-fi/avatar/media/wav"
)

// Rate is the sample rate of Clip.PCM.
const Rate = 16000

// ErrFormat is returned for a malformed transcripts.tsv, audio that is not
// mono 16 or 48 kHz, or a folder without clips.
var ErrFormat = errors.New("speech: bad format")

// Clip is one recording.
type Clip struct {
	// Name is the WAV file's base name.
	Name string
	// Text is its transcript ("" when the folder has none).
	Text string
	// PCM is the audio at 16 kHz mono.
	PCM []int16
	// Voiced is where the speaker stops: the end of the last 20 ms frame
	// within 26 dB of the clip's loudest. The turn gap is measured from
	// the moment this much of the clip has been sent.
	Voiced time.Duration
}

// Duration returns the clip's length.
func (c Clip) Duration() time.Duration {
	return time.Duration(len(c.PCM)) * time.Second / Rate
}

// Load reads the clips of dir in file name order.
func Load(dir string) ([]Clip, error) {
	names, texts, err := listing(dir)
	if err != nil {
		return nil, err
	}
	clips := make([]Clip, 0, len(names))
	for i, name := range names {
		pcm, err := read16k(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		clips = append(clips, Clip{Name: name, Text: texts[i], PCM: pcm, Voiced: caller.LastVoiced(pcm)})
	}
	if len(clips) == 0 {
		return nil, fmt.Errorf("%w: no WAV files in %s", ErrFormat, dir)
	}
	slices.SortFunc(clips, func(a, b Clip) int { return strings.Compare(a.Name, b.Name) })
	return clips, nil
}

// listing returns the WAV files of dir and their transcripts.
func listing(dir string) (names, texts []string, err error) {
	f, err := os.Open(filepath.Join(dir, "transcripts.tsv"))
	if errors.Is(err, os.ErrNotExist) {
		matches, err := filepath.Glob(filepath.Join(dir, "*.wav"))
		if err != nil {
			return nil, nil, fmt.Errorf("list %s: %w", dir, err)
		}
		for _, m := range matches {
			names = append(names, filepath.Base(m))
		}
		return names, make([]string, len(names)), nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("open transcripts: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		row := strings.TrimRight(sc.Text(), "\r")
		if line == 1 {
			if !strings.HasPrefix(strings.ToLower(row), "file\ttext") {
				return nil, nil, fmt.Errorf("%w: %s: header %q, want \"file<TAB>text\"", ErrFormat, f.Name(), row)
			}
			continue
		}
		if strings.TrimSpace(row) == "" {
			continue
		}
		name, text, ok := strings.Cut(row, "\t")
		if !ok || name == "" || strings.ContainsAny(name, `/\`) {
			return nil, nil, fmt.Errorf("%w: %s line %d: want file<TAB>text", ErrFormat, f.Name(), line)
		}
		names, texts = append(names, name), append(texts, text)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("read transcripts: %w", err)
	}
	return names, texts, nil
}

// read16k reads a mono WAV file at 16 or 48 kHz as 16 kHz.
func read16k(path string) ([]int16, error) {
	pcm, f, err := wav.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", filepath.Base(path), err)
	}
	if f.Channels != 1 {
		return nil, fmt.Errorf("%w: %s has %d channels, want mono", ErrFormat, filepath.Base(path), f.Channels)
	}
	switch f.SampleRate {
	case Rate:
		return pcm, nil
	case 48000:
		down, err := resample.New(48000, Rate)
		if err != nil {
			return nil, fmt.Errorf("resampler: %w", err)
		}
		out := make([]int16, down.OutLen(len(pcm)))
		n, err := down.Process(out, pcm)
		if err != nil {
			return nil, fmt.Errorf("resample %s: %w", filepath.Base(path), err)
		}
		return out[:n], nil
	}
	return nil, fmt.Errorf("%w: %s is %d Hz, want 16000 or 48000", ErrFormat, filepath.Base(path), f.SampleRate)
}
