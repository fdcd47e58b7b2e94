// Package analytics is the core's record of every training and role-play session and
// what it tells: avatar.analytics.v1.AnalyticsService over PostgreSQL, fed by the edges'
// session events.
//
// # Recording
//
// The edges publish SessionStarted, TurnCompleted and SessionEnded to the AVATAR_EVENTS
// stream (package events). Run reads them with three durable JetStream consumers, one
// per event type, and writes them in batches: the events waiting when a write starts go
// into one transaction, one multi-row statement per kind and dealership, so the write
// rate grows with the load. Every write is keyed by the event's id (the Nats-Msg-Id): a
// turn row's primary key is its event id and a session takes its start and end event
// once each, so a redelivered event writes nothing, and a message is acknowledged only
// after its transaction committed, so a core that dies mid-batch loses nothing. Events
// of one session go to one writer, in order of arrival; they may still arrive out of
// order (a turn before its session's start): the first event of a session creates its
// row and the others complete it. Writes run under the dealership's row-level security
// (migration 0030), like every tenant table.
//
// A write that fails for a temporary reason (the database is away) is retried with
// backoff for as long as it takes; an event the database refuses (its dealership does
// not exist) is retried a few times, then dropped and logged; an event that cannot be
// decoded is dropped at once.
//
// # Upkeep
//
// Run also sweeps: a session without an event for Config.AbandonAfter (its edge died
// before SessionEnded) is closed with end reason "abandoned", unless the consumers are
// still catching up. A SessionEnded that arrives later still ends it properly. The
// retention job deletes the sessions whose last event is older than their dealership's
// retention period (SetRetention; default 365 days), with their turns; an admin can
// delete one user's sessions at once (DeleteUserSessions, audited), and their events
// still on the way are not recorded again. When a session ends, the dealership's
// webhook receives a session.ended delivery signed like the knowledge base's
// document.ready (package webhook), retried with backoff from a durable
// queue in the sessions table.
//
// # Reading
//
// Handler serves AnalyticsService: sessions with their transcript, scorecard, per-turn
// latency and conversation measures (Measure), a user's and a dealership's progress,
// the questions trainees ask the coach most and those it could not answer, and latency
// percentiles per region and turn stage, computed in SQL. A trainee sees their own
// sessions, a dealership admin their dealership's, and another dealership's session is
// NotFound.
package analytics
