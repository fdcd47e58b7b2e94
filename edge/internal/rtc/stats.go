package rtc

import "time"

// rxStats keeps RFC 3550 receive statistics of one RTP stream: packets,
// losses from sequence gaps, and interarrival jitter.
type rxStats struct {
	started  bool
	maxSeq   uint16
	received int64
	lost     int64
	// jitter in RTP timestamp units (48 kHz), scaled by 16 as in RFC 3550
	// appendix A.8.
	jitter16    int64
	lastTransit int64
	clockStart  time.Time
}

// update records a packet; it returns the number of packets missing just
// before it (0 when in order), or -1 for a late or duplicate packet.
func (s *rxStats) update(seq uint16, ts uint32, now time.Time) int {
	s.received++
	arrival := int64(now.Sub(s.clockStart) * 48000 / time.Second)
	if !s.started {
		s.started = true
		s.clockStart = now
		s.maxSeq = seq
		s.lastTransit = -int64(ts)
		return 0
	}
	transit := arrival - int64(ts)
	d := transit - s.lastTransit
	s.lastTransit = transit
	if d < 0 {
		d = -d
	}
	s.jitter16 += d - (s.jitter16+8)>>4
	delta := int16(seq - s.maxSeq)
	if delta <= 0 {
		return -1
	}
	s.maxSeq = seq
	gap := int(delta) - 1
	s.lost += int64(gap)
	return gap
}

// jitter returns the current interarrival jitter.
func (s *rxStats) jitter() time.Duration {
	return time.Duration(s.jitter16>>4) * time.Second / 48000
}
