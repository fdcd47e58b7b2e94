package conversation

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"connectrpc.com/connect"

	"github.com/avatar-fi/avatar/edge/internal/coreclient"
	"github.com/avatar-fi/avatar/edge/internal/rtc"
	"github.com/avatar-fi/avatar/edge/internal/session"
	errorsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/errors/v1"
)

// Reasons of the public error model (DESIGN.md).
const (
	reasonValidation      = "VALIDATION_ERROR"
	reasonRateLimited     = "RATE_LIMITED"
	reasonUnauthenticated = "UNAUTHENTICATED"
	reasonNotFound        = "NOT_FOUND"
	reasonUnavailable     = "UNAVAILABLE"
	reasonInternal        = "INTERNAL"
)

// violation is one bad input field.
type violation struct{ field, description string }

func newError(code connect.Code, reason, msg string, vs ...violation) *connect.Error {
	e := connect.NewError(code, errors.New(msg))
	d := &errorsv1.ErrorDetail{Reason: reason}
	for _, v := range vs {
		d.FieldViolations = append(d.FieldViolations, &errorsv1.FieldViolation{Field: v.field, Description: v.description})
	}
	if det, err := connect.NewErrorDetail(d); err == nil {
		e.AddDetail(det)
	}
	return e
}

func invalid(vs ...violation) *connect.Error {
	msg := "invalid request"
	for i, v := range vs {
		sep := ": "
		if i > 0 {
			sep = "; "
		}
		msg += sep + v.field + ": " + v.description
	}
	return newError(connect.CodeInvalidArgument, reasonValidation, msg, vs...)
}

func unauthenticated() *connect.Error {
	return newError(connect.CodeUnauthenticated, reasonUnauthenticated, "a valid bearer access token is required")
}

func rateLimited(after time.Duration) *connect.Error {
	secs := max(int64(after.Seconds()+0.999), 1)
	e := newError(connect.CodeResourceExhausted, reasonRateLimited, fmt.Sprintf("rate limit exceeded, retry in %d s", secs))
	e.Meta().Set("Retry-After", strconv.FormatInt(secs, 10))
	return e
}

// publicError maps the errors of sessions, engines, calls and the core to
// the public error model, once; internal text never reaches the client.
func publicError(err error) error {
	var ce *connect.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ce):
		return ce // already public
	case errors.Is(err, session.ErrNotFound), errors.Is(err, session.ErrEnded):
		return newError(connect.CodeNotFound, reasonNotFound, "session not found")
	case errors.Is(err, coreclient.ErrNotFound):
		return newError(connect.CodeNotFound, reasonNotFound, "scenario not found")
	case errors.Is(err, session.ErrInvalid), errors.Is(err, coreclient.ErrInvalid):
		return invalid(violation{"scenarioId", "a role-play needs an existing scenario"})
	case errors.Is(err, session.ErrTooManyTurns):
		return newError(connect.CodeResourceExhausted, reasonRateLimited, "this session has reached its turn limit; start a new one")
	case errors.Is(err, session.ErrFull):
		return newError(connect.CodeUnavailable, reasonUnavailable, "this edge holds too many sessions; try another edge")
	case errors.Is(err, coreclient.ErrUnauthenticated), errors.Is(err, coreclient.ErrDenied):
		return unauthenticated()
	case errors.Is(err, coreclient.ErrUnavailable):
		return newError(connect.CodeUnavailable, reasonUnavailable, "the core is unavailable; try again shortly")
	case errors.Is(err, rtc.ErrNoSession):
		return newError(connect.CodeNotFound, reasonNotFound, "session not found")
	case errors.Is(err, rtc.ErrRateLimited):
		return rateLimited(rtc.RetryAfter(err))
	case errors.Is(err, rtc.ErrBadOffer), errors.Is(err, rtc.ErrNoOpus):
		return invalid(violation{"sdpOffer", "not a usable SDP offer with an Opus audio m-line"})
	case errors.Is(err, rtc.ErrFull), errors.Is(err, rtc.ErrDraining), errors.Is(err, rtc.ErrShutdown):
		return newError(connect.CodeUnavailable, reasonUnavailable, "this edge cannot take the call; try another edge")
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return newError(connect.CodeCanceled, reasonUnavailable, "the request ended before it was answered")
	default:
		return newError(connect.CodeInternal, reasonInternal, "internal error")
	}
}
