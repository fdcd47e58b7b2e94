package envconfig

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Reader reads typed variables through a getenv function and keeps the first
// problem it meets. Every reader method returns the parsed value, or its default
// when the variable is unset or its value is bad (check Err before using the
// values). The zero Reader is not usable; build one with New.
type Reader struct {
	getenv func(string) string
	err    *Error
}

// New returns a Reader over getenv (os.Getenv in main). A nil getenv reads every
// variable as unset.
func New(getenv func(string) string) *Reader {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	return &Reader{getenv: getenv}
}

// Err returns the first problem as an *Error wrapping ErrInvalid, or nil when
// every variable read so far was good.
func (r *Reader) Err() error {
	if r.err == nil {
		return nil
	}
	return r.err
}

// Fail records problem against the variable name unless a problem was already
// recorded. Load functions use it for rules that span variables, e.g. "is
// required when AVATAR_EMBEDDER is openai".
func (r *Reader) Fail(name, problem string) {
	if r.err == nil {
		r.err = &Error{Name: name, Problem: problem}
	}
}

// Lookup returns the variable's value trimmed of surrounding blanks, and whether
// that value is non-empty.
func (r *Reader) Lookup(name string) (string, bool) {
	v := strings.TrimSpace(r.getenv(name))
	return v, v != ""
}

// String returns the variable's trimmed value, or def when it is unset or blank.
func (r *Reader) String(name, def string) string {
	if v, ok := r.Lookup(name); ok {
		return v
	}
	return def
}

// OneOf returns the variable (or def) in lower case when it is one of allowed,
// which must be lower case.
func (r *Reader) OneOf(name, def string, allowed ...string) string {
	v := strings.ToLower(r.String(name, def))
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	r.Fail(name, fmt.Sprintf("%q must be one of %s", v, strings.Join(allowed, ", ")))
	return def
}

// Bool returns the variable as a boolean (strconv.ParseBool: true, false, 1, 0,
// t, f in either case), or def when it is unset.
func (r *Reader) Bool(name string, def bool) bool {
	v, ok := r.Lookup(name)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.Fail(name, fmt.Sprintf("%q must be true or false", v))
		return def
	}
	return b
}

// Int returns the variable as a decimal integer from lo to hi inclusive, or def
// when it is unset. The default is not checked against the range.
func (r *Reader) Int(name string, def, lo, hi int) int {
	v, ok := r.Lookup(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		r.Fail(name, fmt.Sprintf("%q must be an integer from %d to %d", v, lo, hi))
		return def
	}
	return n
}

// Float returns the variable as a number from lo to hi inclusive, or def when it
// is unset.
func (r *Reader) Float(name string, def, lo, hi float64) float64 {
	v, ok := r.Lookup(name)
	if !ok {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || !(f >= lo && f <= hi) {
		r.Fail(name, fmt.Sprintf("%q must be a number from %g to %g", v, lo, hi))
		return def
	}
	return f
}

// Fraction returns the variable as a number strictly between 0 and 1 (a weight
// or a ratio where both ends are meaningless), or def when it is unset.
func (r *Reader) Fraction(name string, def float64) float64 {
	v, ok := r.Lookup(name)
	if !ok {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || !(f > 0 && f < 1) {
		r.Fail(name, fmt.Sprintf("%q must be a number between 0 and 1, both excluded", v))
		return def
	}
	return f
}

// Duration returns the variable as a positive Go duration ("20s", "1m30s"), or
// def when it is unset. Zero and negative durations are rejected.
func (r *Reader) Duration(name string, def time.Duration) time.Duration {
	v, ok := r.Lookup(name)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		r.Fail(name, fmt.Sprintf("%q must be a positive duration such as 20s", v))
		return def
	}
	return d
}

// List returns the variable (or def) split at commas, each item trimmed and empty
// items dropped. When check is not nil it is called on every item, and the first
// error it returns becomes the variable's problem (and List returns nil).
func (r *Reader) List(name, def string, check func(item string) error) []string {
	var out []string
	for _, item := range strings.Split(r.String(name, def), ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if check != nil {
			if err := check(item); err != nil {
				r.Fail(name, err.Error())
				return nil
			}
		}
		out = append(out, item)
	}
	return out
}
