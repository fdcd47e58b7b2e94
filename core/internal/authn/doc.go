// Package authn authenticates every core RPC and enforces the authz policy table before
// any handler runs.
//
// The Interceptor reads "Authorization: Bearer <credential>". A credential starting with
// "ak_" is an API key (resolved by a KeyAuthenticator); anything else is an Ed25519 access
// token checked locally by a TokenVerifier. The caller becomes a principal.Principal in
// the handler's context (principal.From), together with the client's address and user
// agent (ClientFrom) for the audit log. Then the authz.Policy decides: a procedure
// without a policy entry is refused (deny by default), a non-public procedure without a
// valid credential answers Unauthenticated, and a role the rule does not list answers
// PermissionDenied.
//
// Access tokens stay valid until they expire (15 minutes) even when the user is
// deactivated meanwhile; refresh tokens and API keys are checked against the database on
// every use, so deactivation takes effect within one access-token lifetime.
package authn
