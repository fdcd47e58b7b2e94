// Package principal carries the authenticated caller of a request through its context.
// The auth interceptor puts it there; every service reads it to enforce role and tenant.
// Handlers resolve their caller the same way: Require for the principal (Unauthenticated
// when there is none), the role predicates, and Principal.Dealership for the dealership
// the call acts in, named in DealershipHeader by callers without one of their own.
package principal
