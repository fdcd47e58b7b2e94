package principal_test

import (
	"net/http"
	"testing"

	"connectrpc.com/connect"

	"github.com/avatar-fi/avatar/core/internal/apierror"
	"github.com/avatar-fi/avatar/core/internal/principal"
	orgv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1"
)

const (
	own   = "6a1c3a52-8f0e-4d8b-9a43-0b1f7f2c9e11"
	named = "0B9F6F8E-3C1D-4A59-9A7E-2F0C1D2E3F40"
)

func TestRequire(t *testing.T) {
	if _, err := principal.Require(t.Context()); connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Fatalf("anonymous: %v, want Unauthenticated", err)
	}
	want := principal.Principal{UserID: "u1", DealershipID: own, Role: orgv1.Role_ROLE_TRAINEE}
	if p, err := principal.Require(principal.With(t.Context(), want)); err != nil || p != want {
		t.Fatalf("Require = %+v, %v", p, err)
	}
}

func TestDealership(t *testing.T) {
	tests := []struct {
		name   string
		p      principal.Principal
		header string
		want   string // "" for MissingDealership
	}{
		{name: "own dealership", p: principal.Principal{DealershipID: own}, want: own},
		{name: "own wins over the header", p: principal.Principal{DealershipID: own}, header: named, want: own},
		{name: "named, as sent", p: principal.Principal{Role: orgv1.Role_ROLE_SUPER_ADMIN}, header: " " + named + " ", want: named},
		{name: "none named", p: principal.Principal{Role: orgv1.Role_ROLE_SUPER_ADMIN}},
		{name: "not a UUID", p: principal.Principal{Role: orgv1.Role_ROLE_EDGE_SERVICE}, header: "dealer-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.header != "" {
				h.Set(principal.DealershipHeader, tt.header)
			}
			got, err := tt.p.Dealership(h)
			if tt.want != "" {
				if err != nil || got != tt.want {
					t.Fatalf("Dealership = %q, %v, want %q", got, err, tt.want)
				}
				return
			}
			d, _ := apierror.Detail(err)
			if got != "" || connect.CodeOf(err) != connect.CodeInvalidArgument || d.GetReason() != apierror.ReasonValidation ||
				len(d.GetFieldViolations()) != 1 || d.GetFieldViolations()[0].GetField() != principal.DealershipHeader {
				t.Fatalf("Dealership = %q, %v (%v), want InvalidArgument naming %s", got, err, d, principal.DealershipHeader)
			}
		})
	}
}

func TestRoles(t *testing.T) {
	tests := []struct {
		name        string
		p           principal.Principal
		admin, user bool
		superAdmin  bool
	}{
		{name: "trainee", p: principal.Principal{UserID: "u1", Role: orgv1.Role_ROLE_TRAINEE}, user: true},
		{name: "dealership admin", p: principal.Principal{UserID: "u2", Role: orgv1.Role_ROLE_DEALERSHIP_ADMIN}, admin: true, user: true},
		{name: "super admin", p: principal.Principal{UserID: "u3", Role: orgv1.Role_ROLE_SUPER_ADMIN}, admin: true, user: true, superAdmin: true},
		{name: "API key", p: principal.Principal{UserID: principal.APIKeyPrefix + "k1", Role: orgv1.Role_ROLE_DEALERSHIP_ADMIN}, admin: true},
		{name: "edge service", p: principal.Principal{Role: orgv1.Role_ROLE_EDGE_SERVICE}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.p.IsAdmin() != tt.admin || tt.p.IsUser() != tt.user || tt.p.IsSuperAdmin() != tt.superAdmin {
				t.Fatalf("IsAdmin %v IsUser %v IsSuperAdmin %v, want %v %v %v", tt.p.IsAdmin(), tt.p.IsUser(), tt.p.IsSuperAdmin(), tt.admin, tt.user, tt.superAdmin)
			}
		})
	}
}
