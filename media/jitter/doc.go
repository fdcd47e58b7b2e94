// Package jitter holds RTP payloads (Opus packets) keyed by their 16-bit
// sequence numbers and releases them in order at the caller's playout pace.
//
// The caller Pushes packets as they arrive and Pops one per frame interval
// (every 20 ms). The Buffer reorders packets within its window, drops late and
// duplicate ones, and reports a missing packet as Missing so that the caller
// can conceal it: with Opus, decode the FEC data of the next packet when Next
// has it, or run packet loss concealment otherwise. Sequence numbers wrap
// around at 65536.
//
// Storage is a ring of preallocated slots into which Push copies payloads, so
// the steady state allocates nothing and the caller may reuse its buffers at
// once. Push and Pop may be called from different goroutines.
package jitter
