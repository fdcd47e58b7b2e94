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

// Split returns the clips of part (All, Tune or Report) of clips, a set as
// Load returns it (sorted by name).
func Split(clips []Clip, part string) ([]Clip, error) {
	if part != All && part != Tune && part != Report {
		return nil, fmt.Errorf("%w: part %q, want %s, %s or %s", ErrFormat, part, All, Tune, Report)
	}
	var out []Clip
	for i, c := range clips {
		if part == All || (i%2 == 0) == (part == Tune) {
			out = append(out, c)
		}
	}
	return out, nil
}

// MoreDir returns shared/data/speech-more, the 43 harder clips (four
// sources; the mfa_* ones spontaneous, with fillers and long pauses), found
// like SharedDir.
func MoreDir() string {
	return filepath.Join(filepath.Dir(SharedDir()), "speech-more")
}
