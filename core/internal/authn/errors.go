package authn

import "errors"

// ErrInvalidCredential is what a KeyAuthenticator returns (wrapped) for a key that is
// unknown, wrong, revoked or expired. Other errors mean the check itself failed.
var ErrInvalidCredential = errors.New("invalid credential")
