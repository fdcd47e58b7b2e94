// Package session keeps the edge's live conversations: a session belongs to
// one trainee, holds one dialogue engine (the coach or a role-play
// customer), and is held by text chat (Chat) and by any number of voice
// calls in turn (JoinCall), which share its engine and its turn numbering.
// It publishes what the core keeps: SessionStarted, one TurnCompleted per
// turn (both sides' text, techniques, citations, stage latencies) and
// SessionEnded with the scorecard; every event carries an id unique to it
// (the JetStream Nats-Msg-Id), so a second call in the same session never
// collides with the first.
//
// Sessions live in memory, on the edge the trainee's client picked; one
// idle for IdleTimeout without a live call is ended and graded.
package session
