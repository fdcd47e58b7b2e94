// Package caller is a synthetic voice caller over real WebRTC (pion): it
// dials an edge with the WHIP-style POST /v1/calls, streams 16 kHz speech as
// Opus RTP at real time (silence in between, as a browser would), and
// records the reply audio and the `events` data channel. The edge's
// end-to-end test and its density command use it.
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
	"github.com/pion/logging"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	"github.com/avatar-fi/avatar/edge/internal/pipeline"
	"github.com/avatar-fi/avatar/media/opus"
	"github.com/avatar-fi/avatar/media/resample"
	"github.com/avatar-fi/avatar/protocol/callevent"
	conversationv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1"
)

// ErrStatus is returned by Dial when the edge refuses the offer; the message
// has the status and body.
var ErrStatus = errors.New("caller: edge refused the call")

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
	lastPacket  time.Time
	eventCh     chan struct{}
	connected   chan struct{}
	dcOpen      chan struct{}

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
}

// NewAPI returns a pion API limited to loopback UDP over IPv4, for callers
// on the edge's host.
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
	return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se)), nil
}

// Dial calls the edge at base (e.g. http://127.0.0.1:8090) with token and
// waits until the call is connected and the events channel is open.
func Dial(ctx context.Context, api *webrtc.API, base, token string, o Options) (*Caller, error) {
	if o.HTTPClient == nil {
		o.HTTPClient = http.DefaultClient
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, fmt.Errorf("new peer connection: %w", err)
	}
	c := &Caller{pc: pc, base: base, token: token, client: o.HTTPClient,
		eventCh: make(chan struct{}, 1), connected: make(chan struct{}), dcOpen: make(chan struct{})}
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
	if _, err := pc.AddTransceiverFromTrack(c.track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv}); err != nil {
		return fail(err)
	}
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
		if s == webrtc.PeerConnectionStateConnected {
			connOnce.Do(func() { close(c.connected) })
		}
	})
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		buf := make([]byte, 1500)
		for {
			if _, _, err := tr.Read(buf); err != nil {
				return
			}
			now := time.Now()
			c.mu.Lock()
			if c.lastPacket.IsZero() || now.Sub(c.lastPacket) > 200*time.Millisecond {
				c.firstAudio = append(c.firstAudio, now)
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
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(pc.LocalDescription().SDP))
	if err != nil {
		return fail(err)
	}
	req.Header.Set("Content-Type", "application/sdp")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.client.Do(req)
	if err != nil {
		return fail(fmt.Errorf("post offer: %w", err))
	}
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return fail(fmt.Errorf("%w: %s: %s", ErrStatus, resp.Status, bytes.TrimSpace(answer)))
	}
	c.location = resp.Header.Get("Location")
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(answer)}); err != nil {
		return fail(fmt.Errorf("set answer: %w", err))
	}
	for _, ch := range []chan struct{}{c.connected, c.dcOpen} {
		select {
		case <-ch:
		case <-ctx.Done():
			return fail(fmt.Errorf("connect: %w", ctx.Err()))
		}
	}
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
	t := time.NewTicker(pipeline.FrameDuration)
	defer t.Stop()
	in := make([]int16, pipeline.InFrameSamples)
	up := make([]int16, pipeline.OutFrameSamples)
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
			if err := c.track.WriteSample(media.Sample{Data: p, Duration: pipeline.FrameDuration}); err != nil {
				return
			}
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
		if err := c.track.WriteSample(media.Sample{Data: pkt[:k], Duration: pipeline.FrameDuration}); err != nil {
			return
		}
	}
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

// Close stops sending and closes the PeerConnection (without DELETE: the
// edge notices the peer has gone when ICE fails).
func (c *Caller) Close() error {
	if c.cancel != nil {
		c.cancel()
	}
	c.wg.Wait()
	return c.pc.GracefulClose()
}
