package speechcorpus

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/avatar-fi/avatar/media/wav"
)

// EnvDir names the environment variable that overrides where the speech
// data directory is.
const EnvDir = "AVATAR_SPEECH_DIR"

// relDir is the data directory relative to an ancestor of the repository.
const relDir = "shared/data/speech"

// SampleRate is the sample rate of every clip in the set.
const SampleRate = 16000

// Dir returns the speech data directory: $AVATAR_SPEECH_DIR when set,
// otherwise the first shared/data/speech found in the working directory or
// one of its ancestors.
func Dir() (string, error) {
	if d := os.Getenv(EnvDir); d != "" {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			return "", fmt.Errorf("%w: %s=%q is not a directory", ErrNotFound, EnvDir, d)
		}
		return d, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("%w: working directory: %w", ErrNotFound, err)
	}
	for dir := wd; ; {
		cand := filepath.Join(dir, relDir)
		if st, err := os.Stat(cand); err == nil && st.IsDir() {
			return cand, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%w: no %s above %s; set %s", ErrNotFound, relDir, wd, EnvDir)
		}
		dir = parent
	}
}

// Span is a stretch of a clip, as offsets from its start.
type Span struct {
	// Start is where the span begins.
	Start time.Duration
	// End is where the span ends (exclusive).
	End time.Duration
}

// Contains reports whether t lies within the span.
func (s Span) Contains(t time.Duration) bool { return t >= s.Start && t < s.End }

// Clip is one recording of the set.
type Clip struct {
	// Name is the file name without its .wav extension.
	Name string
	// Samples holds the 16 kHz mono samples.
	Samples []int16
	// Transcript is the reference text (lower case, no punctuation).
	Transcript string
	// Speech holds the labelled speech spans, or nil when the clip has no
	// label file.
	Speech []Span
}

// Duration returns the length of the clip.
func (c Clip) Duration() time.Duration {
	return time.Duration(len(c.Samples)) * time.Second / SampleRate
}

// IsSpeech reports whether the labels mark t as speech. It is false for
// clips without labels.
func (c Clip) IsSpeech(t time.Duration) bool {
	for _, s := range c.Speech {
		if s.Contains(t) {
			return true
		}
	}
	return false
}

// Load reads every clip of the set, sorted by name.
func Load() ([]Clip, error) {
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	transcripts, err := readTranscripts(filepath.Join(dir, "transcripts.tsv"))
	if err != nil {
		return nil, err
	}
	paths, err := filepath.Glob(filepath.Join(dir, "*.wav"))
	if err != nil {
		return nil, fmt.Errorf("list clips: %w", err)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("%w: no .wav files in %s", ErrNotFound, dir)
	}
	sort.Strings(paths)
	clips := make([]Clip, 0, len(paths))
	for _, p := range paths {
		samples, f, err := wav.ReadFile(p)
		if err != nil {
			return nil, err
		}
		if f.SampleRate != SampleRate || f.Channels != 1 {
			return nil, fmt.Errorf("clip %s: %d Hz, %d channels, want 16 kHz mono", p, f.SampleRate, f.Channels)
		}
		name := strings.TrimSuffix(filepath.Base(p), ".wav")
		c := Clip{Name: name, Samples: samples, Transcript: transcripts[filepath.Base(p)]}
		lab := filepath.Join(dir, name+".vad.lab")
		if fh, err := os.Open(lab); err == nil {
			c.Speech, err = ParseLabels(fh, c.Duration())
			fh.Close()
			if err != nil {
				return nil, fmt.Errorf("labels %s: %w", lab, err)
			}
		}
		clips = append(clips, c)
	}
	return clips, nil
}

// ParseLabels parses a voice-activity label file: lines "time time label",
// where the label ("speech" or "silence") holds from that time on until the
// next line, and the last one until end. It returns the speech spans.
func ParseLabels(r io.Reader, end time.Duration) ([]Span, error) {
	var spans []Span
	inSpeech := false
	var start time.Duration
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if len(fields) != 3 {
			return nil, fmt.Errorf("%w: line %d: %d fields, want 3", ErrBadLabels, line, len(fields))
		}
		sec, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %w", ErrBadLabels, line, err)
		}
		t := time.Duration(sec * float64(time.Second))
		switch fields[2] {
		case "speech":
			if !inSpeech {
				inSpeech, start = true, t
			}
		case "silence":
			if inSpeech {
				spans = append(spans, Span{Start: start, End: t})
				inSpeech = false
			}
		default:
			return nil, fmt.Errorf("%w: line %d: label %q", ErrBadLabels, line, fields[2])
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadLabels, err)
	}
	if inSpeech {
		spans = append(spans, Span{Start: start, End: end})
	}
	return spans, nil
}

func readTranscripts(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: transcripts: %w", ErrNotFound, err)
	}
	out := make(map[string]string)
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if i == 0 {
			continue // header
		}
		file, text, ok := strings.Cut(line, "\t")
		if ok {
			out[file] = strings.TrimSpace(text)
		}
	}
	return out, nil
}
