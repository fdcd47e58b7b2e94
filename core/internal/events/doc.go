// Package events connects the core to NATS JetStream: it dials a server or starts an
// embedded one, and declares the streams of DESIGN.md (AVATAR_EVENTS for session, turn,
// heartbeat and knowledge events; AVATAR_INGEST, a work queue for document jobs).
package events
