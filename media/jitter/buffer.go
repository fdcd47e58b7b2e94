package jitter

import (
	"fmt"
	"sync"
)

// Status says what Pop returned.
type Status uint8

// Pop statuses.
const (
	// Buffering: playout has not started (or restarted after an underrun);
	// there is nothing to play yet. Play silence or comfort noise.
	Buffering Status = iota
	// Ready: the packet Seq was copied into dst.
	Ready
	// Missing: the packet Seq has not arrived in time; conceal it (FEC from
	// Next, or PLC).
	Missing
)

// String returns the status name.
func (s Status) String() string {
	switch s {
	case Buffering:
		return "buffering"
	case Ready:
		return "ready"
	case Missing:
		return "missing"
	default:
		return "unknown"
	}
}

// Frame is the result of Pop.
type Frame struct {
	// Status says whether a payload was returned.
	Status Status
	// Seq is the sequence number played (Ready) or concealed (Missing).
	Seq uint16
	// N is the payload length copied into dst (Ready only).
	N int
}

// Stats counts what happened to packets. Read it with Buffer.Stats.
type Stats struct {
	// Received counts packets stored by Push.
	Received uint64
	// Played counts packets returned by Pop (Ready).
	Played uint64
	// Missing counts sequence numbers Pop reported as Missing.
	Missing uint64
	// Lost counts Missing sequence numbers that never arrived at all
	// (Missing − Late, at the time of reading).
	Lost uint64
	// Late counts packets that arrived after their turn (and were dropped).
	Late uint64
	// Duplicate counts packets received twice (the copy was dropped).
	Duplicate uint64
	// Reordered counts packets that arrived after a higher sequence number
	// but in time to play.
	Reordered uint64
	// Overflow counts buffered packets dropped unplayed because a packet
	// far ahead needed their slots.
	Overflow uint64
	// Resyncs counts restarts of the playout point: after an underrun, or a
	// sequence jump larger than the window.
	Resyncs uint64
}

type slotState uint8

const (
	slotEmpty slotState = iota
	slotFilled
	slotPlayed
)

type slot struct {
	seq   uint16
	state slotState
	n     int
}

// Buffer is a jitter buffer for one RTP stream. Push and Pop may be called
// concurrently; each call takes a short lock and allocates nothing.
type Buffer struct {
	mu          sync.Mutex
	slots       []slot
	data        []byte // capacity slots of maxPayload bytes
	mask        uint16
	maxPayload  int
	depth       int
	maxUnderrun int

	started  bool   // a packet has set the playout point
	primed   bool   // playout running
	next     uint16 // next sequence number to play
	highest  uint16 // highest sequence number received
	count    int    // filled slots
	underrun int    // consecutive Pops on an empty buffer
	stats    Stats
}

// New returns an empty Buffer with the defaults changed by opts.
func New(opts ...Option) (*Buffer, error) {
	cfg := config{
		capacity:    DefaultCapacity,
		maxPayload:  DefaultMaxPayload,
		depth:       DefaultDepth,
		maxUnderrun: DefaultMaxUnderrun,
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.depth > cfg.capacity/2 {
		return nil, fmt.Errorf("%w: depth %d exceeds half the capacity %d", ErrInvalidOption, cfg.depth, cfg.capacity)
	}
	return &Buffer{
		slots:       make([]slot, cfg.capacity),
		data:        make([]byte, cfg.capacity*cfg.maxPayload),
		mask:        uint16(cfg.capacity - 1),
		maxPayload:  cfg.maxPayload,
		depth:       cfg.depth,
		maxUnderrun: cfg.maxUnderrun,
	}, nil
}

func (b *Buffer) payload(i uint16) []byte {
	off := int(i&b.mask) * b.maxPayload
	return b.data[off : off+b.maxPayload]
}

// Push copies payload into the buffer under sequence number seq. It returns
// ErrLate or ErrDuplicate for packets it drops as such (the caller may ignore
// both; they are counted), and ErrTooLarge for an oversized payload. The
// caller keeps ownership of payload.
func (b *Buffer) Push(seq uint16, payload []byte) error {
	if len(payload) > b.maxPayload {
		return fmt.Errorf("%w: %d bytes, slots hold %d", ErrTooLarge, len(payload), b.maxPayload)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	capacity := len(b.slots)
	if !b.started {
		b.restart(seq)
	}
	d := int(int16(seq - b.next)) // distance ahead of the playout point
	switch {
	case d >= resyncGap || d <= -resyncGap:
		b.stats.Resyncs++
		b.flush()
		b.restart(seq)
		d = 0
	case d < 0 && !b.primed && int(int16(b.highest-seq)) < capacity:
		// Not playing yet: an earlier packet moves the playout point back.
		b.next = seq
		d = 0
	case d < 0:
		s := &b.slots[seq&b.mask]
		if s.seq == seq && s.state == slotPlayed {
			b.stats.Duplicate++
			return ErrDuplicate
		}
		b.stats.Late++
		return ErrLate
	case d >= capacity:
		// Too far ahead: give up the oldest positions to make room.
		for int(int16(seq-b.next)) >= capacity {
			s := &b.slots[b.next&b.mask]
			if s.state == slotFilled && s.seq == b.next {
				s.state = slotEmpty
				b.count--
				b.stats.Overflow++
			}
			b.next++
		}
	}
	s := &b.slots[seq&b.mask]
	if s.seq == seq && s.state == slotFilled {
		b.stats.Duplicate++
		return ErrDuplicate
	}
	if s.state == slotFilled { // a stale packet from a wrapped window
		b.count--
	}
	s.seq, s.state, s.n = seq, slotFilled, len(payload)
	copy(b.payload(seq), payload)
	b.count++
	b.stats.Received++
	if int16(seq-b.highest) < 0 {
		b.stats.Reordered++
	} else {
		b.highest = seq
	}
	return nil
}

// restart sets the playout point at seq and waits for priming.
func (b *Buffer) restart(seq uint16) {
	b.started, b.primed = true, false
	b.next, b.highest = seq, seq
	b.underrun = 0
}

// flush drops every buffered packet, counting them as overflow.
func (b *Buffer) flush() {
	for i := range b.slots {
		if b.slots[i].state == slotFilled {
			b.stats.Overflow++
		}
		b.slots[i] = slot{}
	}
	b.count = 0
}

// Pop returns the next packet in sequence order, to be called once per frame
// interval. With Status Ready the payload is copied into dst (which must hold
// it, or Pop fails with ErrShortBuffer and keeps the packet); with Missing the
// caller conceals Seq; with Buffering there is nothing to play.
func (b *Buffer) Pop(dst []byte) (Frame, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.started {
		return Frame{Status: Buffering}, nil
	}
	if !b.primed {
		if b.count < b.depth {
			return Frame{Status: Buffering}, nil
		}
		b.primed = true
	}
	seq := b.next
	s := &b.slots[seq&b.mask]
	if s.state == slotFilled && s.seq == seq {
		if len(dst) < s.n {
			return Frame{}, fmt.Errorf("%w: %d bytes for a %d-byte payload", ErrShortBuffer, len(dst), s.n)
		}
		n := copy(dst, b.payload(seq)[:s.n])
		s.state = slotPlayed
		b.count--
		b.next++
		b.underrun = 0
		b.stats.Played++
		return Frame{Status: Ready, Seq: seq, N: n}, nil
	}
	if b.count == 0 {
		b.underrun++
		if b.underrun > b.maxUnderrun {
			// The stream paused or stalled: wait for it to come back and
			// prime again rather than count every frame as missing.
			b.started, b.primed = false, false
			b.stats.Resyncs++
			return Frame{Status: Buffering}, nil
		}
	}
	*s = slot{seq: seq, state: slotEmpty}
	b.next++
	b.stats.Missing++
	return Frame{Status: Missing, Seq: seq}, nil
}

// Next copies the payload of the packet that Pop will return next, if it has
// arrived, into dst without consuming it, and returns its length and true.
// After Pop reports Missing, this is the packet whose FEC data can rebuild the
// missing one (opus.Decoder.DecodeFEC). It returns 0, false when that packet
// is not here, and ErrShortBuffer when dst is too short.
func (b *Buffer) Next(dst []byte) (int, bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.started {
		return 0, false, nil
	}
	s := &b.slots[b.next&b.mask]
	if s.state != slotFilled || s.seq != b.next {
		return 0, false, nil
	}
	if len(dst) < s.n {
		return 0, false, fmt.Errorf("%w: %d bytes for a %d-byte payload", ErrShortBuffer, len(dst), s.n)
	}
	return copy(dst, b.payload(b.next)[:s.n]), true, nil
}

// Len returns the number of packets buffered and not yet played.
func (b *Buffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.count
}

// Stats returns a snapshot of the counters.
func (b *Buffer) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.stats
	if st.Missing > st.Late {
		st.Lost = st.Missing - st.Late
	}
	return st
}

// Reset empties the buffer and its counters, as for a new stream.
func (b *Buffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	clear(b.slots)
	b.count = 0
	b.started, b.primed = false, false
	b.underrun = 0
	b.stats = Stats{}
}
