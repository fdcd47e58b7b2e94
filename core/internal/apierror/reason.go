package apierror

import (
	"connectrpc.com/connect"

	errorsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/errors/v1"
)

// reasonDetail gives a bare Connect error (for example one the framework raised for a
// malformed body or an oversized message) the reason that matches its code.
func reasonDetail(code connect.Code) *errorsv1.ErrorDetail {
	r := ReasonInternal
	switch code {
	case connect.CodeInvalidArgument, connect.CodeOutOfRange, connect.CodeFailedPrecondition:
		r = ReasonValidation
	case connect.CodeUnauthenticated:
		r = ReasonUnauthenticated
	case connect.CodePermissionDenied:
		r = ReasonPermissionDenied
	case connect.CodeNotFound:
		r = ReasonNotFound
	case connect.CodeAlreadyExists, connect.CodeAborted:
		r = ReasonConflict
	case connect.CodeResourceExhausted:
		r = ReasonRateLimited
	case connect.CodeUnavailable:
		r = ReasonUnavailable
	case connect.CodeCanceled:
		r = "CANCELED"
	case connect.CodeDeadlineExceeded:
		r = "DEADLINE_EXCEEDED"
	case connect.CodeUnimplemented:
		r = "UNIMPLEMENTED"
	}
	return &errorsv1.ErrorDetail{Reason: r}
}
