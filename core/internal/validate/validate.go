package validate

import (
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/avatar-fi/avatar/core/internal/apierror"
	"github.com/avatar-fi/avatar/core/internal/pagetoken"
)

// MaxEmail is the longest email address accepted (RFC 5321 path limit).
const MaxEmail = 254

// Errors collects field violations. The zero value is ready to use; not safe for
// concurrent use.
type Errors struct {
	v []apierror.Violation
}

// Add records a violation.
func (e *Errors) Add(field, description string) {
	e.v = append(e.v, apierror.Violation{Field: field, Description: description})
}

// Err returns apierror.Invalid naming every violation, or nil when there is none: the
// answer of a handler that checked its request.
func (e *Errors) Err() error {
	if len(e.v) == 0 {
		return nil
	}
	return apierror.Invalid(e.v...)
}

// ErrOf returns the violations as an *Error of kind (an area's sentinel, such as
// scenario.ErrInvalid), or nil when there is none: the answer of domain code, which
// its handler maps with Public.
func (e *Errors) ErrOf(kind error) error {
	if len(e.v) == 0 {
		return nil
	}
	return &Error{Kind: kind, Violations: e.v}
}

// Email checks a required email address: at most MaxEmail bytes, one plain address
// (no display name), no control characters or spaces.
func (e *Errors) Email(field, v string) {
	switch {
	case v == "":
		e.Add(field, "is required")
	case len(v) > MaxEmail:
		e.Add(field, "must be at most 254 characters")
	case !utf8.ValidString(v) || strings.IndexFunc(v, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) >= 0:
		e.Add(field, "must not contain spaces or control characters")
	default:
		a, err := mail.ParseAddress(v)
		if err != nil || a.Address != v || !strings.Contains(v[strings.LastIndexByte(v, '@')+1:], ".") {
			e.Add(field, "must be an email address like name@example.com")
		}
	}
}

// Text checks a text field: valid UTF-8, no control characters, between min and max
// characters (runes). min 0 makes it optional.
func (e *Errors) Text(field, v string, min, max int) {
	n := utf8.RuneCountInString(v)
	switch {
	case !utf8.ValidString(v):
		e.Add(field, "must be valid UTF-8")
	case min > 0 && strings.TrimSpace(v) == "":
		e.Add(field, "is required")
	case n < min:
		e.Add(field, "is too short")
	case n > max:
		e.Add(field, "must be at most "+strconv.Itoa(max)+" characters")
	case strings.IndexFunc(v, unicode.IsControl) >= 0:
		e.Add(field, "must not contain control characters")
	}
}

// ID checks a UUID field; required says whether empty is a violation.
func (e *Errors) ID(field, v string, required bool) {
	if v == "" {
		if required {
			e.Add(field, "is required")
		}
		return
	}
	if !IsUUID(v) {
		e.Add(field, "must be an id (UUID)")
	}
}

// IsUUID reports whether s is a UUID in its 36-character form, in any case.
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	_, err := uuid.Parse(s)
	return err == nil
}

// PageSize checks a page size and returns it clamped: 0 means def, above max is an error.
func (e *Errors) PageSize(field string, v int32, def, max int) int {
	switch {
	case v < 0:
		e.Add(field, "must not be negative")
		return def
	case v == 0:
		return def
	case int(v) > max:
		e.Add(field, "must be at most "+strconv.Itoa(max))
		return def
	}
	return int(v)
}

// PageToken decodes a keyset page token from a previous answer (zero time and "" for the
// first page), recording a violation when it is not one.
func (e *Errors) PageToken(field, token string) (time.Time, string) {
	t, id, err := pagetoken.Decode(token)
	if err != nil {
		e.Add(field, "is not a page token from a previous answer")
	}
	return t, id
}
