// Package dialogue defines what the edge's conversation engines share: an
// Engine holds one session's side of the conversation — the coach
// (dialogue/coach), who answers from the dealership's documents, or the
// role-play customer (dialogue/customer), a scenario state machine — and
// Prepares each reply without changing its state, so that a reply prepared
// speculatively at a pause and dropped when the trainee goes on speaking
// leaves no trace; the session Commits the reply once it has been heard (in
// a call, only the words played before a barge-in).
package dialogue
