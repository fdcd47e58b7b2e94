// Package flite speaks text with Flite, the engine the edge embeds, for
// scripted callers: avatar-loadtest -script turns each line of a role-play
// into a clip at the rate the caller sends (16 kHz mono).
//
// It links libflite (Debian flite1-dev, installed for the edge) through cgo
// rather than running the flite command: the edge's own binding is internal
// to the edge module, the CLI would be one more system package and a
// process per line, and the library gives exactly the voices the edge
// speaks with. This module already links C (libopus, for the callers).
// Synthesis happens once, before the calls, so its cost is not measured.
package flite
