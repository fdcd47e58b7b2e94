// Package store owns the core's PostgreSQL access: the primary and read pools, the
// versioned migrations embedded in the binary, and tenant-scoped transactions that set
// the row-level-security context.
package store
