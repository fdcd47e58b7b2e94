// Package org implements avatar.org.v1.OrgService: dealerships, their users, and the
// audit log listing.
//
// Service is the domain: each method takes the calling principal and returns the
// sentinels and *validate.Error of errors.go, or wrapped infrastructure errors.
// Handler is the RPC boundary: it validates each request, calls the Service and maps
// its errors to the public error model (apierror) in one function, so internal text
// never reaches a client.
//
// Tenancy: a dealership admin acts only in their own dealership. Every query runs in
// store.InTenant for the caller's dealership (so PostgreSQL row-level security hides
// other tenants even if a filter is forgotten) and also filters by dealership_id; another
// dealership's user, or another dealership named in a request, answers NotFound. Super
// admins act across dealerships in plain transactions.
package org
