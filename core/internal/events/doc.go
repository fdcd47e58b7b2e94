// Package events connects the core to NATS JetStream: it dials a server or starts an
// embedded one, and declares the streams of DESIGN.md (AVATAR_EVENTS for session, turn,
// heartbeat and knowledge events; AVATAR_INGEST, a work queue for document jobs).
//
// The core opens its Bus with Open, which never waits for NATS: the connection and the
// stream declarations are retried in the background with backoff, each failure is
// logged, Ping (the core's "nats" readiness check) fails with the reason until both are
// done, and Ready is closed then, so work that needs the streams (the ingest consumer)
// starts on it. Tools and tests use Connect, which does the same work before it returns
// and fails at once when NATS is not there.
package events
