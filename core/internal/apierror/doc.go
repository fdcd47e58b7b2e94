// Package apierror is Avatar's RPC error model: Connect codes with a machine-readable
// reason and field violations in an avatar.errors.v1.ErrorDetail, built by small
// constructors and enforced at the boundary by one interceptor, so that no internal error
// text, stack trace or panic ever reaches a client.
package apierror
