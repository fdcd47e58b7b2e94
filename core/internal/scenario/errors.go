package scenario

import "errors"

// ErrNotFound means the scenario does not exist for the caller's dealership: it belongs
// to another dealership, never existed, or was deleted (and no version was named).
var ErrNotFound = errors.New("scenario: not found")

// ErrVersionNotFound means the scenario exists but has no such version.
var ErrVersionNotFound = errors.New("scenario: version not found")

// ErrBuiltInReadOnly means a change to a built-in scenario was asked for: built-in
// scenarios are copied, not edited.
var ErrBuiltInReadOnly = errors.New("scenario: built-in scenarios are read-only")

// ErrConflict means an update named a version other than the scenario's latest: someone
// changed it since the edit started.
var ErrConflict = errors.New("scenario: changed since the version the edit started from")

// ErrDealershipNotFound means the dealership a scenario was to be created in does not
// exist.
var ErrDealershipNotFound = errors.New("scenario: dealership not found")

// ErrInvalidPageToken means a list page token was not produced by a previous list.
var ErrInvalidPageToken = errors.New("scenario: invalid page token")

// ErrInvalid means a scenario breaks a rule of Validate; the error is a
// *validate.Error naming every bad field.
var ErrInvalid = errors.New("scenario: invalid scenario")

// ErrInvalidBuiltIn means a built-in scenario file cannot be used: bad name, bad JSON or
// an invalid scenario.
var ErrInvalidBuiltIn = errors.New("scenario: invalid built-in scenario file")

// ErrInvalidConfig means New was given an unusable Config.
var ErrInvalidConfig = errors.New("scenario: invalid configuration")
