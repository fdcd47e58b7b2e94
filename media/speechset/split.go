package speechset

import (
	"fmt"
	"path/filepath"
)

// Parts of a speech set: settings are chosen on Tune and reported on
// Report, and every figure is given for both.
const (
	// All is every clip.
	All = "all"
	// Tune is the clips at even positions of a set sorted by name (the
	// first, third, …): each source's recordings alternate between the two
	// parts, since a set's file names start with their source.
	Tune = "tune"
	// Report is the clips at odd positions.
	Report = "report"
)

// Split returns the clips of part (All, Tune or Report) of clips, a set
// sorted by name as Load returns it. It takes any clip type, so that
// loaders of the same folders with more per clip (the load tester's) halve
// them the same way.
func Split[C any](clips []C, part string) ([]C, error) {
	if err := ValidPart(part); err != nil {
		return nil, err
	}
	var out []C
	for i, c := range clips {
		if part == All || (i%2 == 0) == (part == Tune) {
			out = append(out, c)
		}
	}
	return out, nil
}

// ValidPart returns an error wrapping ErrFormat unless part is All, Tune or
// Report.
func ValidPart(part string) error {
	if part != All && part != Tune && part != Report {
		return fmt.Errorf("%w: part %q, want %s, %s or %s", ErrFormat, part, All, Tune, Report)
	}
	return nil
}

// MoreDir returns shared/data/speech-more, the 43 harder clips (four
// sources; the mfa_* ones spontaneous, with fillers and long pauses), found
// like SharedDir.
func MoreDir() string {
	return filepath.Join(filepath.Dir(SharedDir()), "speech-more")
}
