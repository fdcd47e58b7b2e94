// Package caller is a synthetic voice caller over real WebRTC (pion): it
// dials an edge with the WHIP-style POST /v1/calls, streams 16 kHz speech as
// Opus RTP at real time (silence in between, as a browser would), and
// records the reply audio, the `events` data channel (protocol/callevent),
// the call's set-up times and its RTCP view of the network. It speaks only
// the shared contract (protocol/, media/), so the load tester
// (cmd/avatar-loadtest), the density measurement (cmd/avatar-density) and
// the edge's end-to-end tests all dial with it.
package caller

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/logging"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	avmedia "github.com/avatar-fi/avatar/media"
	"github.com/avatar-fi/avatar/media/opus"
	"github.com/avatar-fi/avatar/media/resample"
	"github.com/avatar-fi/avatar/protocol/callevent"
	conversationv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1"
)

// ErrStatus is returned by Dial when the edge refuses the offer (wrapped in
// a *StatusError) and by Hangup when the edge refuses the DELETE.
var ErrStatus = errors.New("caller: edge refused the call")

// StatusError is the edge's refusal of an offer: its HTTP status (503 when
// the edge is full or draining, 429 when rate limited) and body. It matches
// ErrStatus with errors.Is.
type StatusError struct {
	// Code is the HTTP status code.
	Code int
	// Status is the status line, e.g. "503 Service Unavailable".
	Status string
	// Body is the response body, trimmed.
	Body string
}

// Error implements error.
func (e *StatusError) Error() string {
	return fmt.Sprintf("%s: %s: %s", ErrStatus, e.Status, e.Body)
}

// Is makes errors.Is(err, ErrStatus) true.
func (e *StatusError) Is(target error) bool { return target == ErrStatus }

// Event is one data channel event as received.
type Event struct {
	*conversationv1.CallEvent
	// At is when it arrived.
	At time.Time
}

// Caller is one call. Its methods are safe for concurrent use.
type Caller struct {
	pc       *webrtc.PeerConnection
	track    *webrtc.TrackLocalStaticSample
	location string
	base     string
	token    string
	client   *http.Client

	enc *opus.Encoder
	up  *resample.Resampler

	mu          sync.Mutex
	queue       []int16  // 16 kHz audio waiting to be sent
	raw         [][]byte // raw payloads to send before any audio
	lastVoiceAt time.Time
	events      []Event
	packets     int
	firstAudio  []time.Time // first reply packet after each talk spurt
	heard       []time.Time // first audible reply packet of each talk spurt
	spurtHeard  bool        // the current talk spurt has had an audible packet
	lastPacket  time.Time
	eventCh     chan struct{}
	connected   chan struct{}
	dcOpen      chan struct{}
	setup       SetupTimes
	lostAt      time.Time // when ICE/DTLS reported the call failed or disconnected
	lostState   webrtc.PeerConnectionState
	uplink      Uplink
	closing     bool
	sent        int // RTP packets sent

	dc     *webrtc.DataChannel
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Options tune Dial.
type Options struct {
	// SessionID is sent as ?sessionId= (optional).
	SessionID string
	// HTTPClient posts the offer (default http.DefaultClient).
	HTTPClient *http.Client
	// Offer, when set, rewrites the SDP offer before it is posted (the
	// local description stays as pion made it). The load tester strips the
	// caller's candidates with it, so that the edge can only reach the
	// caller through the impairment relay.
	Offer func(sdp string) (string, error)
	// Answer, when set, rewrites the edge's SDP answer before it is
	// applied: the load tester points the edge's candidates at the relay.
	Answer func(sdp string) (string, error)
}

// SetupTimes are the moments of a call's set-up, for the set-up time
// (Started to Connected) and its parts.
type SetupTimes struct {
	// Started is when Dial began (the offer is created at once).
	Started time.Time
	// Posted is when the offer was sent to the edge.
	Posted time.Time
	// Answered is when the edge's answer arrived.
	Answered time.Time
	// Connected is when ICE and DTLS were up and the events channel open:
	// the call could carry speech.
	Connected time.Time
}

// Uplink is the edge's view of the caller's audio, from the last RTCP
// receiver report the edge sent about it.
type Uplink struct {
	// Reports is how many receiver reports arrived.
	Reports int
	// Lost is the edge's cumulative count of lost packets.
	Lost uint32
	// HighestSeq is the extended highest sequence number received.
	HighestSeq uint32
	// Sent is how many packets the caller had sent when the report
	// arrived: Lost/Sent is the uplink loss.
	Sent int
	// Jitter is the interarrival jitter the edge measured.
	Jitter time.Duration
	// RTT is the round-trip time from the last report that echoed one of
	// the caller's sender reports (RFC 3550 §6.4.1: arrival − LSR − DLSR);
	// zero until one has.
	RTT time.Duration
}

// Downlink is the caller's own receive statistics of the reply audio: what
// its RTCP receiver reports carry (pion's stats interceptor).
type Downlink struct {
	// Received and Lost are packet counts.
	Received uint32
	Lost     int32
	// Jitter is the interarrival jitter (RFC 3550 §6.4.1).
	Jitter time.Duration
}

// NewAPI returns a pion API limited to loopback UDP over IPv4, for callers
// on the edge's host, with RTCP sender/receiver reports and pion's stats
// interceptor (as a browser sends and keeps them).
func NewAPI() (*webrtc.API, error) {
	me := &webrtc.MediaEngine{}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1"},
		PayloadType:        111,
	}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, fmt.Errorf("register opus: %w", err)
	}
	lf := logging.NewDefaultLoggerFactory()
	lf.DefaultLogLevel = logging.LogLevelError
	se := webrtc.SettingEngine{LoggerFactory: lf}
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetInterfaceFilter(func(name string) bool { return strings.HasPrefix(name, "lo") })
	ir := &interceptor.Registry{}
	if err := webrtc.ConfigureRTCPReports(ir); err != nil {
		return nil, fmt.Errorf("rtcp reports: %w", err)
	}
	if err := webrtc.ConfigureStatsInterceptor(ir); err != nil {
		return nil, fmt.Errorf("stats interceptor: %w", err)
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se), webrtc.WithInterceptorRegistry(ir)), nil
}

// Dial calls the edge at base (e.g. http://127.0.0.1:8090) with token and
// waits until the call is connected and the events channel is open.
func Dial(ctx context.Context, api *webrtc.API, base, token string, o Options) (*Caller, error) {
	started := time.Now()
	if o.HTTPClient == nil {
		o.HTTPClient = http.DefaultClient
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, fmt.Errorf("new peer connection: %w", err)
	}
	c := &Caller{pc: pc, base: base, token: token, client: o.HTTPClient,
		eventCh: make(chan struct{}, 1), connected: make(chan struct{}), dcOpen: make(chan struct{}),
		setup: SetupTimes{Started: started}}
	fail := func(err error) (*Caller, error) {
		_ = pc.GracefulClose()
		return nil, err
	}
	if c.enc, err = opus.NewEncoder(); err != nil {
		return fail(err)
	}
	if c.up, err = resample.New(16000, 48000); err != nil {
		return fail(err)
	}
	c.track, err = webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", "caller")
	if err != nil {
		return fail(err)
	}
	tr, err := pc.AddTransceiverFromTrack(c.track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv})
	if err != nil {
		return fail(err)
	}
	go c.readRTCP(tr.Sender())
	dc, err := pc.CreateDataChannel("events", nil)
	if err != nil {
		return fail(err)
	}
	c.dc = dc
	var openOnce, connOnce sync.Once
	dc.OnOpen(func() { openOnce.Do(func() { close(c.dcOpen) }) })
	dc.OnMessage(func(m webrtc.DataChannelMessage) {
		ce, err := callevent.Unmarshal(m.Data)
		if err != nil {
			return
		}
		ev := Event{CallEvent: ce, At: time.Now()}
		c.mu.Lock()
		c.events = append(c.events, ev)
		c.mu.Unlock()
		select {
		case c.eventCh <- struct{}{}:
		default:
		}
	})
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		switch s {
		case webrtc.PeerConnectionStateConnected:
			connOnce.Do(func() { close(c.connected) })
		case webrtc.PeerConnectionStateDisconnected, webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
			c.mu.Lock()
			if !c.closing && c.lostAt.IsZero() {
				c.lostAt, c.lostState = time.Now(), s
			}
			c.mu.Unlock()
		default:
		}
	})
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		// The reply is decoded (at 16 kHz: enough to tell speech from
		// silence) to see when it becomes audible, which can be later
		// than its first packet.
		dec, err := opus.NewDecoder(opus.WithSampleRate(16000))
		if err != nil {
			return
		}
		pcm := make([]int16, 6*dec.FrameSamples())
		for {
			pkt, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			now := time.Now()
			n, err := dec.Decode(pkt.Payload, pcm)
			audible := err == nil && avmedia.Peak(pcm[:n]) >= HeardLevel
			c.mu.Lock()
			if c.lastPacket.IsZero() || now.Sub(c.lastPacket) > 200*time.Millisecond {
				c.firstAudio = append(c.firstAudio, now)
				c.spurtHeard = false
			}
			if audible && !c.spurtHeard {
				c.heard = append(c.heard, now)
				c.spurtHeard = true
			}
			c.lastPacket = now
			c.packets++
			c.mu.Unlock()
		}
	})
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return fail(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return fail(err)
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return fail(ctx.Err())
	}
	url := base + "/v1/calls"
	if o.SessionID != "" {
		url += "?sessionId=" + o.SessionID
	}
	offerSDP := pc.LocalDescription().SDP
	if o.Offer != nil {
		if offerSDP, err = o.Offer(offerSDP); err != nil {
			return fail(fmt.Errorf("rewrite offer: %w", err))
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(offerSDP))
	if err != nil {
		return fail(err)
	}
	c.setup.Posted = time.Now()
	req.Header.Set("Content-Type", "application/sdp")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.client.Do(req)
	if err != nil {
		return fail(fmt.Errorf("post offer: %w", err))
	}
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	c.setup.Answered = time.Now()
	if resp.StatusCode != http.StatusCreated {
		return fail(&StatusError{Code: resp.StatusCode, Status: resp.Status, Body: string(bytes.TrimSpace(answer))})
	}
	c.location = resp.Header.Get("Location")
	answerSDP := string(answer)
	if o.Answer != nil {
		if answerSDP, err = o.Answer(answerSDP); err != nil {
			return fail(fmt.Errorf("rewrite answer: %w", err))
		}
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answerSDP}); err != nil {
		return fail(fmt.Errorf("set answer: %w", err))
	}
	for _, ch := range []chan struct{}{c.connected, c.dcOpen} {
		select {
		case <-ch:
		case <-ctx.Done():
			return fail(fmt.Errorf("connect: %w", ctx.Err()))
		}
	}
	c.mu.Lock()
	c.setup.Connected = time.Now()
	c.mu.Unlock()
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	c.cancel = cancel
	c.wg.Add(1)
	go func() { defer c.wg.Done(); c.send(sctx) }()
	return c, nil
}

// Location returns the call's URL path on the edge.
func (c *Caller) Location() string { return c.location }

// send streams one 20 ms Opus frame every 20 ms: queued speech, or silence.
func (c *Caller) send(ctx context.Context) {
	t := time.NewTicker(avmedia.FrameDuration)
	defer t.Stop()
	in := make([]int16, avmedia.SpeechFrameSamples)
	up := make([]int16, avmedia.RTCFrameSamples)
	pkt := make([]byte, opus.MaxPacketBytes)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		c.mu.Lock()
		if len(c.raw) > 0 {
			p := c.raw[0]
			c.raw = c.raw[1:]
			c.mu.Unlock()
			if err := c.track.WriteSample(media.Sample{Data: p, Duration: avmedia.FrameDuration}); err != nil {
				return
			}
			c.countSent()
			continue
		}
		clear(in)
		n := copy(in, c.queue)
		c.queue = c.queue[n:]
		if n > 0 && len(c.queue) == 0 {
			c.lastVoiceAt = time.Now()
		}
		c.mu.Unlock()
		if _, err := c.up.Process(up, in); err != nil {
			return
		}
		k, err := c.enc.Encode(up, pkt)
		if err != nil {
			return
		}
		if err := c.track.WriteSample(media.Sample{Data: pkt[:k], Duration: avmedia.FrameDuration}); err != nil {
			return
		}
		c.countSent()
	}
}

func (c *Caller) countSent() {
	c.mu.Lock()
	c.sent++
	c.mu.Unlock()
}

// Say queues 16 kHz mono speech to be streamed at real time and returns at
// once; Wait for it with Drained.
func (c *Caller) Say(pcm []int16) {
	c.mu.Lock()
	c.queue = append(c.queue, pcm...)
	c.mu.Unlock()
}

// SendRaw queues payloads to be sent as they are, one per 20 ms, in place
// of Opus frames: for testing the edge with garbage.
func (c *Caller) SendRaw(payloads ...[]byte) {
	c.mu.Lock()
	c.raw = append(c.raw, payloads...)
	c.mu.Unlock()
}

// SendData sends a text message on the events data channel.
func (c *Caller) SendData(msg string) error {
	if c.dc == nil {
		return errors.New("caller: no data channel")
	}
	return c.dc.SendText(msg)
}

// Drained waits until everything said has been sent and returns when the
// last of it left.
func (c *Caller) Drained(ctx context.Context) (time.Time, error) {
	for {
		c.mu.Lock()
		n, at := len(c.queue), c.lastVoiceAt
		c.mu.Unlock()
		if n == 0 {
			return at, nil
		}
		select {
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Events returns the events received so far.
func (c *Caller) Events() []Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Event(nil), c.events...)
}

// WaitEvent waits for the first event after the first skip events for which
// match is true, and returns it with its index.
func (c *Caller) WaitEvent(ctx context.Context, skip int, match func(*conversationv1.CallEvent) bool) (Event, int, error) {
	for {
		evs := c.Events()
		for i := skip; i < len(evs); i++ {
			if match(evs[i].CallEvent) {
				return evs[i], i, nil
			}
		}
		select {
		case <-ctx.Done():
			return Event{}, 0, fmt.Errorf("wait for event: %w", ctx.Err())
		case <-c.eventCh:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Audio returns how many reply packets arrived, when the last one did, and
// the arrival of the first packet of each talk spurt.
func (c *Caller) Audio() (packets int, last time.Time, spurts []time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.packets, c.lastPacket, append([]time.Time(nil), c.firstAudio...)
}

// HeardLevel is the peak sample (of 32767) from which a reply packet's audio
// counts as heard: −30 dBFS, above a speech engine's leading near-silence
// and the codec's noise, below the start of a word.
const HeardLevel = 1000

// Heard returns, for each talk spurt of the reply that became audible, the
// arrival of its first packet with audio at HeardLevel or above: when the
// trainee starts to hear the reply, which is later than its first packet
// when the audio starts with silence.
func (c *Caller) Heard() []time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Time(nil), c.heard...)
}

// Hangup sends DELETE for the call.
func (c *Caller) Hangup(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, c.base+c.location, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("delete call: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: DELETE: %s", ErrStatus, resp.Status)
	}
	return nil
}

// Setup returns the moments of the call's set-up.
func (c *Caller) Setup() SetupTimes {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.setup
}

// Lost returns when the connection went disconnected, failed or closed
// before Close was called, and that state; the zero time while it holds.
func (c *Caller) Lost() (time.Time, webrtc.PeerConnectionState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lostAt, c.lostState
}

// Uplink returns the edge's last RTCP receiver report on the caller's audio.
func (c *Caller) Uplink() Uplink {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.uplink
}

// Downlink returns the caller's receive statistics of the reply audio.
func (c *Caller) Downlink() Downlink {
	var d Downlink
	for _, s := range c.pc.GetStats() {
		in, ok := s.(webrtc.InboundRTPStreamStats)
		if !ok || in.Kind != "audio" {
			continue
		}
		d.Received += in.PacketsReceived
		d.Lost += in.PacketsLost
		d.Jitter = max(d.Jitter, time.Duration(in.Jitter*float64(time.Second)))
	}
	return d
}

// RTT returns the call's round-trip time and where it came from: "rtcp"
// when the edge's receiver reports echo the caller's sender reports (RFC
// 3550 §6.4.1), else "ice" from the connectivity checks of the selected
// candidate pair (STUN binding round trips, which cross the same path), or
// "" when neither has been measured yet.
func (c *Caller) RTT() (time.Duration, string) {
	if up := c.Uplink(); up.RTT > 0 {
		return up.RTT, "rtcp"
	}
	var best time.Duration
	for _, s := range c.pc.GetStats() {
		p, ok := s.(webrtc.ICECandidatePairStats)
		if !ok || !p.Nominated || p.CurrentRoundTripTime <= 0 {
			continue
		}
		best = time.Duration(p.CurrentRoundTripTime * float64(time.Second))
	}
	if best > 0 {
		return best, "ice"
	}
	return 0, ""
}

// readRTCP reads the RTCP the edge sends about the caller's audio (the
// interceptors need it read) and keeps the last receiver report.
func (c *Caller) readRTCP(s *webrtc.RTPSender) {
	ssrc := uint32(0)
	if p := s.GetParameters(); len(p.Encodings) > 0 {
		ssrc = uint32(p.Encodings[0].SSRC)
	}
	buf := make([]byte, 1500)
	for {
		n, _, err := s.Read(buf)
		if err != nil {
			return
		}
		arrival := time.Now()
		pkts, err := rtcp.Unmarshal(buf[:n])
		if err != nil {
			continue
		}
		for _, p := range pkts {
			var reports []rtcp.ReceptionReport
			switch r := p.(type) {
			case *rtcp.ReceiverReport:
				reports = r.Reports
			case *rtcp.SenderReport:
				reports = r.Reports
			default:
				continue
			}
			for _, rr := range reports {
				if ssrc != 0 && rr.SSRC != ssrc {
					continue
				}
				c.mu.Lock()
				c.uplink.Reports++
				c.uplink.Lost = rr.TotalLost
				c.uplink.HighestSeq = rr.LastSequenceNumber
				c.uplink.Sent = c.sent
				c.uplink.Jitter = time.Duration(rr.Jitter) * time.Second / 48000
				if rtt, ok := RoundTrip(arrival, rr.LastSenderReport, rr.Delay); ok {
					c.uplink.RTT = rtt
				}
				c.mu.Unlock()
			}
		}
	}
}

// RoundTrip computes the round-trip time of RFC 3550 §6.4.1 from a receiver
// report that arrived at arrival and echoes lsr (the middle 32 bits of the
// NTP time of the sender report it answers) after dlsr (in 1/65536 s). It
// returns false when the report echoes no sender report or the result is
// negative (clock skew cannot arise here: both times are the caller's).
func RoundTrip(arrival time.Time, lsr, dlsr uint32) (time.Duration, bool) {
	if lsr == 0 {
		return 0, false
	}
	d := ntpMiddle(arrival) - lsr - dlsr // modular arithmetic on 16.16 fixed point
	if int32(d) < 0 {
		return 0, false
	}
	return time.Duration(d) * time.Second / 65536, true
}

// ntpMiddle returns the middle 32 bits of t's NTP timestamp (16.16 fixed
// point seconds since 1900).
func ntpMiddle(t time.Time) uint32 {
	const ntpEpochOffset = 2208988800 // seconds from 1900 to 1970
	secs := uint64(t.Unix()) + ntpEpochOffset
	frac := uint64(t.Nanosecond()) << 32 / uint64(time.Second)
	return uint32((secs<<32 | frac) >> 16)
}

// Close stops sending and closes the PeerConnection (without DELETE: the
// edge notices the peer has gone when ICE fails).
func (c *Caller) Close() error {
	c.mu.Lock()
	c.closing = true
	c.mu.Unlock()
	if c.cancel != nil {
		c.cancel()
	}
	c.wg.Wait()
	return c.pc.GracefulClose()
}
