package validate_test

import (
	"errors"
	"fmt"
	"testing"

	"connectrpc.com/connect"

	"github.com/avatar-fi/avatar/core/internal/apierror"
	"github.com/avatar-fi/avatar/core/internal/validate"
)

var errArea = errors.New("area: invalid request")

func TestError(t *testing.T) {
	var two validate.Errors
	two.Add("dealershipId", "is required")
	two.Add("role", "must be ROLE_TRAINEE")
	tests := []struct {
		name       string
		err        error
		wantText   string
		wantFields []string
	}{
		{name: "one field", err: validate.Invalid(errArea, "code", "is not a valid code"),
			wantText: "area: invalid request: code: is not a valid code", wantFields: []string{"code"}},
		{name: "collected", err: two.ErrOf(errArea),
			wantText: "area: invalid request: dealershipId: is required; role: must be ROLE_TRAINEE", wantFields: []string{"dealershipId", "role"}},
		{name: "wrapped", err: fmt.Errorf("create user: %w", validate.Invalid(errArea, "email", "is taken")),
			wantText: "create user: area: invalid request: email: is taken", wantFields: []string{"email"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ve *validate.Error
			if !errors.Is(tt.err, errArea) || !errors.As(tt.err, &ve) || tt.err.Error() != tt.wantText {
				t.Fatalf("error %q (%T): want errors.Is its kind, a *validate.Error, text %q", tt.err, tt.err, tt.wantText)
			}
			ce, ok := validate.Public(tt.err)
			if !ok {
				t.Fatalf("Public(%v) not ok", tt.err)
			}
			d, _ := apierror.Detail(ce)
			if ce.Code() != connect.CodeInvalidArgument || d.GetReason() != apierror.ReasonValidation || len(d.GetFieldViolations()) != len(tt.wantFields) {
				t.Fatalf("public error %v, detail %v", ce, d)
			}
			for i, v := range d.GetFieldViolations() {
				if v.GetField() != tt.wantFields[i] || v.GetDescription() != ve.Violations[i].Description {
					t.Fatalf("violation %d = %v, want field %s: %s", i, v, tt.wantFields[i], ve.Violations[i].Description)
				}
			}
		})
	}
}

func TestNoError(t *testing.T) {
	var none validate.Errors
	if err := none.ErrOf(errArea); err != nil {
		t.Fatalf("ErrOf without violations = %v", err)
	}
	for _, err := range []error{nil, errArea, errors.New("boom")} {
		if ce, ok := validate.Public(err); ok || ce != nil {
			t.Fatalf("Public(%v) = %v, %v", err, ce, ok)
		}
	}
}

func TestIsUUID(t *testing.T) {
	tests := []struct {
		name string
		s    string
		want bool
	}{
		{name: "lower case", s: "0b9f6f8e-3c1d-4a59-9a7e-2f0c1d2e3f40", want: true},
		{name: "upper case", s: "0B9F6F8E-3C1D-4A59-9A7E-2F0C1D2E3F40", want: true},
		{name: "no dashes", s: "0b9f6f8e3c1d4a599a7e2f0c1d2e3f40"},
		{name: "braces", s: "{0b9f6f8e-3c1d-4a59-9a7e-2f0c1d2e3f40}"},
		{name: "urn", s: "urn:uuid:0b9f6f8e-3c1d-4a59-9a7e-2f0c1d2e3f40"},
		{name: "not hex", s: "0b9f6f8e-3c1d-4a59-9a7e-2f0c1d2e3f4g"},
		{name: "dash moved", s: "0b9f6f8e3-c1d-4a59-9a7e-2f0c1d2e3f40"},
		{name: "empty", s: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := validate.IsUUID(tt.s); got != tt.want {
				t.Fatalf("IsUUID(%q) = %v, want %v", tt.s, got, tt.want)
			}
		})
	}
}
