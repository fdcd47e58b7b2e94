package speech

import (
	"fmt"
	"slices"
	"strings"
)

// Parts of a speech set, for Split: settings are chosen on Tune and
// reported on Report.
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

// Split returns the clips of part (All, Tune or Report) of one set as Load
// returns it (sorted by name).
//
// This is the rule of the edge's internal/speechset.Split, which the edge's
// STT evaluation and tests still use and which this module cannot import:
// the two copies must pick the same clips, so that the density run reports
// on the clips the edge was not tuned on (TestSplit pins the positions).
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

// WithPrefix returns the clips whose names start with one of prefixes, or
// all of them when prefixes is empty.
func WithPrefix(clips []Clip, prefixes []string) []Clip {
	if len(prefixes) == 0 {
		return clips
	}
	var out []Clip
	for _, c := range clips {
		if slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(c.Name, p) }) {
			out = append(out, c)
		}
	}
	return out
}
