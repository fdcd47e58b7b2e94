package org

import "errors"

// ErrInvalidConfig means New was given a nil dependency.
var ErrInvalidConfig = errors.New("invalid org configuration")

// ErrNoDealership means a caller who is not a super admin has no dealership to act in.
var ErrNoDealership = errors.New("org: caller has no dealership")

// ErrDealershipNotFound means the dealership does not exist or is not the caller's.
var ErrDealershipNotFound = errors.New("org: dealership not found")

// ErrDealershipExists means another dealership has the same name.
var ErrDealershipExists = errors.New("org: a dealership with this name exists")

// ErrUserNotFound means the user does not exist or belongs to another dealership.
var ErrUserNotFound = errors.New("org: user not found")

// ErrUserExists means another user has the same email.
var ErrUserExists = errors.New("org: a user with this email exists")

// ErrSuperAdminOnly means only a super admin may create a super admin.
var ErrSuperAdminOnly = errors.New("org: only a super admin may create super admins")

// ErrDeactivateSelf means a user tried to deactivate their own account.
var ErrDeactivateSelf = errors.New("org: a user cannot deactivate themselves")

// ErrNotAUser means the caller is an API key or a service, which has no user record.
var ErrNotAUser = errors.New("org: the caller is not a user")

// ErrInvalid means a request breaks a rule that depends on more than its own fields
// (such as a user's dealership against its role); the error is a *validate.Error
// naming the fields.
var ErrInvalid = errors.New("org: invalid request")
