package auth

import "errors"

// ErrNoSigningKey means the key ring holds no usable signing key.
var ErrNoSigningKey = errors.New("no signing key")

// ErrBootstrapInvalid means the bootstrap email or password is unusable.
var ErrBootstrapInvalid = errors.New("invalid bootstrap credentials")

// ErrInvalidConfig means a Config field is missing or out of range.
var ErrInvalidConfig = errors.New("invalid auth configuration")

// ErrInvalidLogin means the email is unknown, the password is wrong or the account is
// disabled: one error for all three, so an answer never tells which.
var ErrInvalidLogin = errors.New("auth: invalid email or password")

// ErrTOTPRequired means the password was right and the account needs a second factor:
// the client asks for a code and calls Login again with it.
var ErrTOTPRequired = errors.New("auth: two-factor code required")

// ErrInvalidTOTPCode means a login's two-factor code is wrong or was already used.
var ErrInvalidTOTPCode = errors.New("auth: invalid two-factor code")

// ErrInvalidRecoveryCode means a login's recovery code is wrong or was already used.
var ErrInvalidRecoveryCode = errors.New("auth: invalid recovery code")

// ErrRefreshTokenInvalid means no refresh token has this value.
var ErrRefreshTokenInvalid = errors.New("auth: invalid refresh token")

// ErrRefreshTokenRevoked means the refresh token's family was revoked (logout, reuse or
// a deactivated user).
var ErrRefreshTokenRevoked = errors.New("auth: refresh token revoked")

// ErrRefreshTokenReused means a refresh token was presented a second time: it was
// copied, so its whole family has just been revoked.
var ErrRefreshTokenReused = errors.New("auth: refresh token already used; family revoked")

// ErrRefreshTokenExpired means the refresh token's family reached its absolute expiry.
var ErrRefreshTokenExpired = errors.New("auth: refresh token expired")

// ErrAccountDisabled means the user of a refresh token was deactivated.
var ErrAccountDisabled = errors.New("auth: account disabled")

// ErrAccountNotFound means the signed-in user no longer exists.
var ErrAccountNotFound = errors.New("auth: account not found")

// ErrTOTPAlreadyEnabled means two-factor enrolment was asked for while two-factor is on.
var ErrTOTPAlreadyEnabled = errors.New("auth: two-factor is already on")

// ErrNoTOTPEnrollment means ConfirmTOTP was called without a pending enrolment.
var ErrNoTOTPEnrollment = errors.New("auth: no pending two-factor enrolment")

// ErrTOTPNotEnabled means DisableTOTP was called while two-factor is off.
var ErrTOTPNotEnabled = errors.New("auth: two-factor is not on")

// ErrRoleNotAllowed means the caller may not issue an API key of the requested role
// (only super admins issue super-admin and edge-service keys).
var ErrRoleNotAllowed = errors.New("auth: role not allowed for this caller")

// ErrDealershipNotFound means the dealership does not exist or is not the caller's.
var ErrDealershipNotFound = errors.New("auth: dealership not found")

// ErrAPIKeyNotFound means the API key does not exist or belongs to another dealership.
var ErrAPIKeyNotFound = errors.New("auth: API key not found")

// ErrInvalid means a request breaks a rule that depends on more than its own fields
// (such as a key's dealership against its role); the error is a *validate.Error
// naming the fields.
var ErrInvalid = errors.New("auth: invalid request")
