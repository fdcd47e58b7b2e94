// Package scenario is the role-play scenario store: avatar.scenario.v1.ScenarioService
// (create, copy, get, list, update, delete) over PostgreSQL, and the built-in scenarios
// that ship in the binary.
//
// A scenario belongs to one dealership, or is built in (no dealership) and then read by
// every dealership and changed by none: a dealership copies it (CreateScenario with
// copy_from_id) and edits the copy. Every change writes a new immutable version, so a
// session keeps the version it played; an update must name the version it started from
// (optimistic concurrency), and a delete only hides the scenario from the list. Row-level
// security (migration 0020) confines each dealership to its own rows and the built-in
// ones.
//
// The built-in scenarios are the files builtin/*.json, each the protojson of one
// avatar.scenario.v1.Scenario, named by a stable slug (the file name without .json). New
// upserts them at start: each slug keeps one id (BuiltInID), and its version moves only
// when the file's content changed, so restarts are idempotent.
//
// Validate states what a scenario must satisfy to be playable by the edge's role-play
// engine.
package scenario
