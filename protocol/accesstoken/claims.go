package accesstoken

import (
	"github.com/golang-jwt/jwt/v5"

	orgv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1"
)

// Audience is the aud claim of every Avatar access token.
const Audience = "avatar"

// Algorithm is the JWS alg of every Avatar access token.
const Algorithm = "EdDSA"

// Claims are the claims of an Avatar access token. The registered claims carry iss, aud,
// sub (user id, or "apikey:<id>" is never used: API keys are not JWTs), exp, iat and jti.
type Claims struct {
	jwt.RegisteredClaims
	// Role is the avatar.org.v1.Role enum name, e.g. "ROLE_TRAINEE".
	Role string `json:"role"`
	// DealershipID is the tenant the caller acts in; empty for super admins and services.
	DealershipID string `json:"did,omitempty"`
	// Email is the user's email, for display and logs.
	Email string `json:"email,omitempty"`
}

// RoleValue returns Role as the enum, or ROLE_UNSPECIFIED when the name is unknown.
func (c *Claims) RoleValue() orgv1.Role {
	return orgv1.Role(orgv1.Role_value[c.Role])
}
