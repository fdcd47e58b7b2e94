package scenario

import (
	"errors"
	"strings"
)

// ErrNotFound means the scenario does not exist for the caller's dealership: it belongs
// to another dealership, never existed, or was deleted (and no version was named).
var ErrNotFound = errors.New("scenario: not found")

// ErrVersionNotFound means the scenario exists but has no such version.
var ErrVersionNotFound = errors.New("scenario: version not found")

// ErrBuiltInReadOnly means a change to a built-in scenario was asked for: built-in
// scenarios are copied, not edited.
var ErrBuiltInReadOnly = errors.New("scenario: built-in scenarios are read-only")

// ErrConflict means an update named a version other than the scenario's latest: someone
// changed it since the edit started.
var ErrConflict = errors.New("scenario: changed since the version the edit started from")

// ErrDealershipNotFound means the dealership a scenario was to be created in does not
// exist.
var ErrDealershipNotFound = errors.New("scenario: dealership not found")

// ErrInvalidPageToken means a list page token was not produced by a previous list.
var ErrInvalidPageToken = errors.New("scenario: invalid page token")

// ErrInvalid means a scenario breaks a rule of Validate; the error is a
// *ValidationError naming every bad field.
var ErrInvalid = errors.New("scenario: invalid scenario")

// ErrInvalidBuiltIn means a built-in scenario file cannot be used: bad name, bad JSON or
// an invalid scenario.
var ErrInvalidBuiltIn = errors.New("scenario: invalid built-in scenario file")

// ErrInvalidConfig means New was given an unusable Config.
var ErrInvalidConfig = errors.New("scenario: invalid configuration")

// Violation is one invalid field of a scenario.
type Violation struct {
	// Field is the lowerCamelCase path of the field from the request's root, for example
	// "scenario.objectionDetails[1].cues".
	Field string
	// Description says what is wrong, for a person.
	Description string
}

// ValidationError lists every invalid field of a scenario; errors.Is(err, ErrInvalid)
// holds for it.
type ValidationError struct {
	// Violations are the invalid fields, in the order of the scenario's fields.
	Violations []Violation
}

// Error implements error.
func (e *ValidationError) Error() string {
	parts := make([]string, 0, len(e.Violations))
	for _, v := range e.Violations {
		parts = append(parts, v.Field+": "+v.Description)
	}
	return ErrInvalid.Error() + ": " + strings.Join(parts, "; ")
}

// Unwrap makes errors.Is(err, ErrInvalid) hold.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

func invalid(field, description string) error {
	return &ValidationError{Violations: []Violation{{Field: field, Description: description}}}
}
