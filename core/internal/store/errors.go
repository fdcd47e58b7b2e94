package store

import "errors"

// ErrInvalidConfig means a Config field is wrong; the error names it.
var ErrInvalidConfig = errors.New("invalid store config")

// ErrMigrationChanged means an applied migration's file differs from what the binary
// carries: the database and the code disagree and a person must look.
var ErrMigrationChanged = errors.New("applied migration changed")

// ErrNoTenant is returned by InTenant when no dealership id is given.
var ErrNoTenant = errors.New("tenant transaction without a dealership id")
