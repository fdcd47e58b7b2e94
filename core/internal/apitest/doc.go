// Package apitest serves a core area's Connect handler in that area's tests the way the
// core serves it: Serve mounts it with the core server's handler options and middleware
// on an HTTP/2 (TLS) httptest server and returns a Connect and a gRPC client, so every
// test can run over both protocols. The caller comes either from real access tokens
// (Issuer: a signing key, tokens for principals, and the core's authentication
// interceptor with the authz policy) or, for areas tested without the identity area,
// from Auth, which turns As's test headers into the principal. NewBus and ConnectBus
// give a test NATS streams and subjects of its own on the shared server, and Logger
// sends logs to t.Log. A missing service fails the test with one clear message, never
// skips it.
package apitest
