package apierror

import (
	"errors"
	"fmt"
	"strings"

	"connectrpc.com/connect"

	errorsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/errors/v1"
)

// Reasons carried in ErrorDetail.Reason. They are part of the public contract.
const (
	ReasonValidation       = "VALIDATION_ERROR"
	ReasonRateLimited      = "RATE_LIMITED"
	ReasonUnauthenticated  = "UNAUTHENTICATED"
	ReasonPermissionDenied = "PERMISSION_DENIED"
	ReasonNotFound         = "NOT_FOUND"
	ReasonConflict         = "CONFLICT"
	ReasonPayloadTooLarge  = "PAYLOAD_TOO_LARGE"
	ReasonUnsupportedMedia = "UNSUPPORTED_MEDIA"
	ReasonUnavailable      = "UNAVAILABLE"
	ReasonInternal         = "INTERNAL"
)

// Violation is one bad input field.
type Violation struct {
	// Field is the lowerCamelCase JSON path of the field.
	Field string
	// Description says what is wrong.
	Description string
}

// New returns a Connect error with code, reason and a human message.
func New(code connect.Code, reason, msg string) *connect.Error {
	return withDetail(connect.NewError(code, errors.New(msg)), &errorsv1.ErrorDetail{Reason: reason})
}

// Invalid returns InvalidArgument / VALIDATION_ERROR naming each bad field.
func Invalid(violations ...Violation) *connect.Error {
	d := &errorsv1.ErrorDetail{Reason: ReasonValidation}
	fields := make([]string, 0, len(violations))
	for _, v := range violations {
		d.FieldViolations = append(d.FieldViolations, &errorsv1.FieldViolation{Field: v.Field, Description: v.Description})
		fields = append(fields, v.Field+": "+v.Description)
	}
	return withDetail(connect.NewError(connect.CodeInvalidArgument, fmt.Errorf("invalid request: %s", strings.Join(fields, "; "))), d)
}

// NotFound returns NotFound / NOT_FOUND for a kind of object ("document", "user").
func NotFound(kind string) *connect.Error {
	return New(connect.CodeNotFound, ReasonNotFound, kind+" not found")
}

// Unauthenticated returns Unauthenticated / UNAUTHENTICATED.
func Unauthenticated(msg string) *connect.Error {
	return New(connect.CodeUnauthenticated, ReasonUnauthenticated, msg)
}

// PermissionDenied returns PermissionDenied / PERMISSION_DENIED.
func PermissionDenied(msg string) *connect.Error {
	return New(connect.CodePermissionDenied, ReasonPermissionDenied, msg)
}

// Conflict returns AlreadyExists / CONFLICT.
func Conflict(msg string) *connect.Error {
	return New(connect.CodeAlreadyExists, ReasonConflict, msg)
}

// Aborted returns Aborted / CONFLICT: the request lost to a concurrent change
// (optimistic concurrency, such as an update naming a version that is no longer the
// latest); the client reads the object again and retries.
func Aborted(msg string) *connect.Error {
	return New(connect.CodeAborted, ReasonConflict, msg)
}

// RateLimited returns ResourceExhausted / RATE_LIMITED with the wait in seconds; the
// HTTP layer turns it into 429 with Retry-After.
func RateLimited(retryAfterSeconds int64) *connect.Error {
	if retryAfterSeconds < 1 {
		retryAfterSeconds = 1
	}
	e := connect.NewError(connect.CodeResourceExhausted, fmt.Errorf("rate limit exceeded, retry in %d s", retryAfterSeconds))
	e.Meta().Set("Retry-After", fmt.Sprint(retryAfterSeconds))
	return withDetail(e, &errorsv1.ErrorDetail{Reason: ReasonRateLimited, RetryAfterSeconds: retryAfterSeconds})
}

// PayloadTooLarge returns ResourceExhausted / PAYLOAD_TOO_LARGE.
func PayloadTooLarge(msg string) *connect.Error {
	return New(connect.CodeResourceExhausted, ReasonPayloadTooLarge, msg)
}

// UnsupportedMedia returns InvalidArgument / UNSUPPORTED_MEDIA.
func UnsupportedMedia(msg string) *connect.Error {
	return New(connect.CodeInvalidArgument, ReasonUnsupportedMedia, msg)
}

// Unavailable returns Unavailable / UNAVAILABLE for a dependency that is down.
func Unavailable(msg string) *connect.Error {
	return New(connect.CodeUnavailable, ReasonUnavailable, msg)
}

// Internal is the error a client sees for anything unexpected: no internal text.
func Internal() *connect.Error {
	return New(connect.CodeInternal, ReasonInternal, "internal error")
}

// Detail returns the ErrorDetail carried by err, if any.
func Detail(err error) (*errorsv1.ErrorDetail, bool) {
	var ce *connect.Error
	if !errors.As(err, &ce) {
		return nil, false
	}
	for _, d := range ce.Details() {
		v, derr := d.Value()
		if derr != nil {
			continue
		}
		if ed, ok := v.(*errorsv1.ErrorDetail); ok {
			return ed, true
		}
	}
	return nil, false
}

func withDetail(e *connect.Error, d *errorsv1.ErrorDetail) *connect.Error {
	if det, err := connect.NewErrorDetail(d); err == nil {
		e.AddDetail(det)
	}
	return e
}
