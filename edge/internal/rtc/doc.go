// Package rtc answers voice calls: WHIP-style signalling (POST /v1/calls with
// an SDP offer, DELETE on the call's location) and ConversationService's
// StartCall/EndCall over Connect, one pion PeerConnection per call, all of
// them sharing one UDP port (ICE UDP mux).
//
// Each call has one Opus audio track each way and the `events` data channel
// that the client creates. The caller's RTP is decoded to 16 kHz as it
// arrives (lost packets concealed with Opus FEC or PLC) and pushed into the
// call's pipeline.Call; the reply audio comes back 20 ms at a time, is Opus
// encoded and sent with wall-clock RTP timestamps. Pipeline events go out on
// the data channel as JSON.
//
// A call ends on DELETE or EndCall, when ICE fails or the peer vanishes
// (ICE disconnected then failed), when it does not connect in time, when it
// exceeds its maximum duration, or when the client floods the data channel;
// every goroutine and buffer of the call is released. The Server refuses
// calls beyond its limit, and while draining, with ErrFull / ErrDraining
// (HTTP 503).
package rtc
