// Package store owns the core's PostgreSQL access: the primary pool and the read pool
// (a streaming replica while it answers and keeps up, the primary otherwise), the
// versioned migrations embedded in the binary, and tenant-scoped transactions that set
// the row-level-security context.
package store
