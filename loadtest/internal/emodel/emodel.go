// Package emodel estimates a call's listening quality as a MOS from its
// network figures with the E-model of ITU-T G.107, simplified as Cole and
// Rosenbluth do for VoIP monitoring ("Voice over IP performance monitoring",
// ACM SIGCOMM CCR 31(2), 2001):
//
//	R = 93.2 − Id(d) − Ie,eff(Ppl)
//
// 93.2 is R with every G.107 default (Ro − Is, no advantage factor A).
// Id(d) = 0.024·d + 0.11·(d − 177.3)·H(d − 177.3), d the one-way
// mouth-to-ear delay in ms and H the unit step (Cole–Rosenbluth's fit of
// G.107's Idd with echo well cancelled). Ie,eff = Ie + (95 − Ie)·Ppl /
// (Ppl/BurstR + Bpl) (G.107 §7.4, eq. 7-29), Ppl the packet loss in
// percent, BurstR 1 (random loss, which the impairment relay produces).
// R becomes a MOS by G.107 Annex B (eq. B-4).
//
// Opus has no equipment impairment values in ITU-T G.113; the defaults here
// are G.113 Appendix I's for G.711 with packet loss concealment (Ie = 0,
// Bpl = 25.1), a conservative stand-in for Opus with in-band FEC and PLC
// (which, wideband, would score higher on G.107.1's wideband scale). The
// figure is an estimate to compare regions and runs, not a listening test.
package emodel

// Codec holds a codec's G.113 equipment impairment factor and packet-loss
// robustness.
type Codec struct {
	// Ie is the equipment impairment factor without loss.
	Ie float64
	// Bpl is the packet-loss robustness factor.
	Bpl float64
}

// OpusAsG711PLC is the stand-in for Opus: G.711 with PLC (G.113 App. I).
var OpusAsG711PLC = Codec{Ie: 0, Bpl: 25.1}

// CodecDelayMs is what the codec path adds to the network's one-way delay
// for Opus at 20 ms frames: one frame of packetisation plus the encoder's
// 6.5 ms look-ahead (RFC 6716 §2).
const CodecDelayMs = 26.5

// R returns the transmission rating factor for a one-way mouth-to-ear
// delay of delayMs and a packet loss of lossPct percent.
func R(delayMs, lossPct float64, c Codec) float64 {
	delayMs = max(delayMs, 0)
	lossPct = min(max(lossPct, 0), 100)
	id := 0.024 * delayMs
	if delayMs > 177.3 {
		id += 0.11 * (delayMs - 177.3)
	}
	const burstR = 1
	ieEff := c.Ie + (95-c.Ie)*lossPct/(lossPct/burstR+c.Bpl)
	return 93.2 - id - ieEff
}

// MOS converts R to a mean opinion score, 1 to 4.5 (G.107 Annex B).
func MOS(r float64) float64 {
	switch {
	case r <= 0:
		return 1
	case r >= 100:
		return 4.5
	}
	return 1 + 0.035*r + r*(r-60)*(100-r)*7e-6
}

// Estimate returns the MOS of a call whose network has round-trip time
// rttMs, interarrival jitter jitterMs and packet loss lossPct, with Opus:
// the one-way delay is half the round trip, the codec's delay and a jitter
// buffer of twice the jitter.
func Estimate(rttMs, jitterMs, lossPct float64) float64 {
	d := rttMs/2 + CodecDelayMs + 2*jitterMs
	return MOS(R(d, lossPct, OpusAsG711PLC))
}
