// Package validate checks request fields and collects every violation, so one
// InvalidArgument answer names all bad fields (apierror.Invalid). Handlers answer with
// Errors.Err; domain code that finds a request invalid returns an *Error of its area's
// sentinel (Invalid, Errors.ErrOf), which the area's handler maps to the same answer
// with Public.
package validate
