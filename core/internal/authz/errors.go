package authz

import "errors"

// ErrNoPolicy means the procedure has no entry in the policy table; it is refused.
var ErrNoPolicy = errors.New("procedure has no authorization policy")

// ErrRoleDenied means the caller's role is not among those the procedure allows.
var ErrRoleDenied = errors.New("role may not call this procedure")
