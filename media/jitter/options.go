package jitter

import "fmt"

// Defaults for New.
const (
	// DefaultCapacity is the number of slots: 64 packets, 1.28 s of 20 ms
	// frames, the widest reordering window.
	DefaultCapacity = 64
	// DefaultMaxPayload is the slot size in bytes, a full Ethernet MTU.
	DefaultMaxPayload = 1500
	// DefaultDepth is the number of packets buffered before playout starts:
	// 3 × 20 ms of jitter absorbed, at 60 ms of added latency.
	DefaultDepth = 3
	// DefaultMaxUnderrun is how many Pops in a row may find the buffer empty
	// before it stops reporting Missing and waits to be primed again (a
	// paused or restarted stream): 10 × 20 ms.
	DefaultMaxUnderrun = 10
)

// resyncGap is the sequence jump, in either direction, beyond which a packet
// is taken as a restarted stream rather than a late or early one.
const resyncGap = 3000

// Option configures a Buffer.
type Option func(*config) error

type config struct {
	capacity, maxPayload, depth, maxUnderrun int
}

// WithCapacity sets the number of slots, a power of two from 4 to 4096
// (default DefaultCapacity). A packet more than capacity ahead of the playout
// point forces older ones out.
func WithCapacity(n int) Option {
	return func(c *config) error {
		if n < 4 || n > 4096 || n&(n-1) != 0 {
			return fmt.Errorf("%w: capacity %d, want a power of two in 4..4096", ErrInvalidOption, n)
		}
		c.capacity = n
		return nil
	}
}

// WithMaxPayload sets the slot size in bytes, 1 to 65535 (default
// DefaultMaxPayload). Memory is capacity × max payload.
func WithMaxPayload(n int) Option {
	return func(c *config) error {
		if n < 1 || n > 65535 {
			return fmt.Errorf("%w: max payload %d, want 1..65535", ErrInvalidOption, n)
		}
		c.maxPayload = n
		return nil
	}
}

// WithDepth sets how many packets must be buffered before playout starts,
// 1 to capacity/2 (default DefaultDepth). Each packet adds a frame of latency
// and absorbs a frame of jitter.
func WithDepth(n int) Option {
	return func(c *config) error {
		if n < 1 || n > 2048 {
			return fmt.Errorf("%w: depth %d, want 1..capacity/2", ErrInvalidOption, n)
		}
		c.depth = n
		return nil
	}
}

// WithMaxUnderrun sets how many consecutive Pops on an empty buffer report
// Missing before the buffer waits to be primed again (default
// DefaultMaxUnderrun), at least 1.
func WithMaxUnderrun(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("%w: max underrun %d, want >= 1", ErrInvalidOption, n)
		}
		c.maxUnderrun = n
		return nil
	}
}
