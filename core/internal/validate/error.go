package validate

import (
	"errors"
	"strings"

	"connectrpc.com/connect"

	"github.com/avatar-fi/avatar/core/internal/apierror"
)

// Error lists the invalid fields of a request, as domain code finds them: a rule that
// depends on more than one field (a user's dealership against its role), or a whole
// object checked outside a handler (a scenario). errors.Is(err, Kind) holds for it, and
// Public turns it into the public answer.
type Error struct {
	// Kind is the sentinel of the area that found the violations, such as
	// scenario.ErrInvalid; it starts the error's text.
	Kind error
	// Violations are the invalid fields, in the order they were found. Field is the
	// lowerCamelCase path of the field from the request's root, for example
	// "scenario.objectionDetails[1].cues".
	Violations []apierror.Violation
}

// Error implements error: Kind's text, then "field: description" for each violation.
func (e *Error) Error() string {
	parts := make([]string, 0, len(e.Violations))
	for _, v := range e.Violations {
		parts = append(parts, v.Field+": "+v.Description)
	}
	prefix := "invalid request"
	if e.Kind != nil {
		prefix = e.Kind.Error()
	}
	return prefix + ": " + strings.Join(parts, "; ")
}

// Unwrap makes errors.Is(err, e.Kind) hold.
func (e *Error) Unwrap() error { return e.Kind }

// Invalid returns an *Error of kind naming one field.
func Invalid(kind error, field, description string) error {
	return &Error{Kind: kind, Violations: []apierror.Violation{{Field: field, Description: description}}}
}

// Public maps an *Error in err's chain to InvalidArgument / VALIDATION_ERROR naming
// its fields (apierror.Invalid), so that a violation a service finds is answered as one
// its handler finds. It reports false for any other error, nil included.
func Public(err error) (*connect.Error, bool) {
	var e *Error
	if !errors.As(err, &e) {
		return nil, false
	}
	return apierror.Invalid(e.Violations...), true
}
