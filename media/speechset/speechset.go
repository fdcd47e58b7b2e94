// Package speechset loads a folder of labelled speech recordings: 16 kHz mono
// WAV files and a transcripts.tsv whose header row is "file<TAB>text". The
// STT evaluation command and the edge's tests read shared/data/speech this
// way; Split is the one rule that halves a set into the clips settings are
// chosen on and the clips they are reported on, for the edge and the load
// tester alike.
package speechset

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/avatar-fi/avatar/media/wav"
)

// ErrFormat is returned for a transcripts.tsv without the expected header or
// with a malformed row, and for audio that is not 16 kHz mono.
var ErrFormat = errors.New("speechset: bad format")

// Clip is one recording and its reference transcript.
type Clip struct {
	// Name is the WAV file's base name.
	Name string
	// Text is the reference transcript.
	Text string
	// PCM is the audio, 16 kHz mono.
	PCM []int16
}

// Load reads every row of dir/transcripts.tsv and its WAV file, in file
// name order.
func Load(dir string) ([]Clip, error) {
	f, err := os.Open(filepath.Join(dir, "transcripts.tsv"))
	if err != nil {
		return nil, fmt.Errorf("open transcripts: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var clips []Clip
	line := 0
	for sc.Scan() {
		line++
		row := strings.TrimRight(sc.Text(), "\r")
		if line == 1 {
			if !strings.HasPrefix(strings.ToLower(row), "file\ttext") {
				return nil, fmt.Errorf("%w: %s: header %q, want \"file<TAB>text\"", ErrFormat, f.Name(), row)
			}
			continue
		}
		if strings.TrimSpace(row) == "" {
			continue
		}
		name, text, ok := strings.Cut(row, "\t")
		if !ok {
			return nil, fmt.Errorf("%w: %s line %d: no tab", ErrFormat, f.Name(), line)
		}
		pcm, format, err := wav.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		if format.SampleRate != 16000 || format.Channels != 1 {
			return nil, fmt.Errorf("%w: %s is %d Hz, %d channels; want 16000 Hz mono", ErrFormat, name, format.SampleRate, format.Channels)
		}
		clips = append(clips, Clip{Name: name, Text: text, PCM: pcm})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read transcripts: %w", err)
	}
	sort.Slice(clips, func(i, j int) bool { return clips[i].Name < clips[j].Name })
	return clips, nil
}

// SharedDir returns the project's speech dev set, shared/data/speech, found
// from this source file's location; for tests and the tools of this module
// run from a checkout.
func SharedDir() string {
	_, file, _, _ := runtime.Caller(0)
	// media/speechset/speechset.go → repository root → ../shared
	root := filepath.Join(filepath.Dir(file), "..", "..")
	return filepath.Join(root, "..", "shared", "data", "speech")
}

// Find returns the clip with the given file name.
func Find(clips []Clip, name string) (Clip, bool) {
	for _, c := range clips {
		if c.Name == name {
			return c, true
		}
	}
	return Clip{}, false
}
