// Package audit writes and reads the audit log: one row per successful mutating call,
// with the actor, the action (the procedure), the resource, the changed fields with
// secrets redacted, the client's IP and user agent, and the time.
//
// The Interceptor records every procedure the authz policy marks Audited, for every
// service, so a new mutating RPC is audited by adding ".Audited()" to its policy line.
// Changed fields are the request's populated fields; a field whose name suggests a
// secret (password, secret, token, code, key material) is written as "[REDACTED]", bytes
// as their length, and long values are truncated. The event is written after the call
// succeeds; a failed write is logged and counted, and does not fail the call.
package audit
