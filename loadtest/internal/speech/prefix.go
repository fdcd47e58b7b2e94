package speech

import (
	"slices"
	"strings"
)

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
