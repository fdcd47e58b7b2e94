package principal

import (
	"context"
	"net/http"
	"strings"

	"connectrpc.com/connect"

	"github.com/avatar-fi/avatar/core/internal/apierror"
	"github.com/avatar-fi/avatar/core/internal/validate"
)

// DealershipHeader names the dealership a caller without one of its own (a super admin
// or an edge's service identity) acts in. It is part of the public API.
const DealershipHeader = "X-Avatar-Dealership-Id"

// Require returns the caller carried by ctx; an anonymous call answers Unauthenticated.
func Require(ctx context.Context) (Principal, error) {
	p, ok := From(ctx)
	if !ok {
		return p, apierror.Unauthenticated("authentication required")
	}
	return p, nil
}

// Dealership returns the dealership p acts in: its own or, for a caller without one,
// the UUID named in h's DealershipHeader (surrounding spaces trimmed, otherwise as sent).
// A missing or malformed header answers MissingDealership(DealershipHeader).
func (p Principal) Dealership(h http.Header) (string, error) {
	if p.DealershipID != "" {
		return p.DealershipID, nil
	}
	d := strings.TrimSpace(h.Get(DealershipHeader))
	if !validate.IsUUID(d) {
		return "", MissingDealership(DealershipHeader)
	}
	return d, nil
}

// MissingDealership is the answer to a caller without a dealership of its own that
// names none, or not a UUID, in field: InvalidArgument / VALIDATION_ERROR naming field.
func MissingDealership(field string) *connect.Error {
	return apierror.Invalid(apierror.Violation{Field: field, Description: "the dealership to act in (a UUID) is required for this caller"})
}
