package rtc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/avatar-fi/avatar/edge/internal/metrics"
	"github.com/avatar-fi/avatar/edge/internal/pipeline"
	"github.com/avatar-fi/avatar/media/opus"
	"github.com/avatar-fi/avatar/protocol/callevent"
)

// EventsLabel is the label of the data channel the client creates for call
// events.
const EventsLabel = "events"

// maxDataMessageBytes is the largest data channel message a client may send.
const maxDataMessageBytes = 16 << 10

// maxConcealFrames is the longest sequence gap concealed frame by frame;
// beyond it the decoder simply resumes.
const maxConcealFrames = 5

// call is one PeerConnection and its pipeline.
type call struct {
	srv  *Server
	dlg  Dialogue
	info CallInfo
	log  *slog.Logger

	pc     *webrtc.PeerConnection
	pipe   *pipeline.Call
	out    *audioOut
	events *eventSender
	cancel context.CancelCauseFunc
	start0 time.Time

	connected chan struct{}
	connOnce  sync.Once

	mu      sync.Mutex
	closing bool
	started bool
	wg      sync.WaitGroup

	endOnce sync.Once
	// renegotiating serialises ICE restarts: one offer/answer at a time.
	renegotiating sync.Mutex
	jitter        atomic.Int64 // nanoseconds, last seen
	removed       bool         // guarded by srv.mu: the server has forgotten the call
}

// start sets up the PeerConnection and the pipeline and returns the answer.
func (c *call) start(ctx context.Context, offer string) (string, error) {
	cfg := c.srv.cfg
	c.log = c.srv.log.With("call_id", c.info.CallID, "session_id", c.info.SessionID, "region", cfg.Region, "user_id", c.info.Identity.UserID)
	c.start0 = time.Now()
	c.connected = make(chan struct{})
	callCtx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	c.cancel = cancel

	pc, err := c.srv.api.NewPeerConnection(webrtc.Configuration{ICEServers: cfg.ICEServers})
	if err != nil {
		return "", fmt.Errorf("new peer connection: %w", err)
	}
	c.pc = pc
	track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", "avatar")
	if err != nil {
		return "", fmt.Errorf("new track: %w", err)
	}
	enc, err := opus.NewEncoder()
	if err != nil {
		return "", fmt.Errorf("opus encoder: %w", err)
	}
	c.out = &audioOut{enc: enc, track: track, region: cfg.Region}
	c.events = &eventSender{ch: make(chan []byte, 256), open: make(chan struct{})}

	info := c.info
	synth := cfg.Synthesizer
	if v := c.dlg.Voice(); v != "" && cfg.Voices != nil {
		if vs, err := cfg.Voices(v); err == nil {
			synth = vs
		} else {
			c.log.Warn("persona voice unavailable; using the default", "voice", v, "error", err.Error())
		}
	}
	c.pipe, err = pipeline.New(pipeline.Config{
		SessionID:    c.info.SessionID,
		Transcriber:  cfg.Transcriber,
		Synthesizer:  synth,
		Responder:    c.dlg,
		Opening:      c.dlg.Opening(),
		Out:          c.out,
		Events:       c.events,
		Endpoint:     cfg.Endpoint,
		NewDetector:  cfg.NewDetector,
		DetectorHold: cfg.DetectorHold,
		Logger:       c.log,
		OnTurn: func(rec pipeline.TurnRecord) {
			for stage, d := range rec.Stages {
				metrics.TurnStage.WithLabelValues(cfg.Region, stage).Observe(d.Seconds())
			}
			metrics.Turns.WithLabelValues(cfg.Region, fmt.Sprint(rec.BargeIn)).Inc()
			if rec.Resumed {
				metrics.TurnResumed.WithLabelValues(cfg.Region).Inc()
			}
			if rec.Continues != 0 {
				metrics.TurnContinued.WithLabelValues(cfg.Region).Inc()
			}
			if ev := c.dlg.TurnDone(rec); ev != nil {
				c.events.Send(ev)
			}
			if cfg.OnTurn != nil {
				cfg.OnTurn(info, rec)
			}
		},
	})
	if err != nil {
		return "", err
	}

	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		switch st {
		case webrtc.PeerConnectionStateConnected:
			c.connOnce.Do(func() {
				close(c.connected)
				c.pipe.Greet(callCtx)
			})
		case webrtc.PeerConnectionStateFailed:
			go c.end(ErrICEFailed)
		case webrtc.PeerConnectionStateClosed:
			go c.end(ErrHangUp)
		}
	})
	pc.OnTrack(func(tr *webrtc.TrackRemote, rcv *webrtc.RTPReceiver) {
		if c.track() {
			go func() { defer c.wg.Done(); drainRTCP(rcv.Read) }()
		}
		if !c.track() {
			return
		}
		defer c.wg.Done()
		c.readAudio(callCtx, tr)
	})
	pc.OnDataChannel(func(dc *webrtc.DataChannel) { c.onDataChannel(dc) })

	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", fmt.Errorf("%w: %w", ErrBadOffer, err)
	}
	sender, err := pc.AddTrack(track)
	if err != nil {
		return "", fmt.Errorf("%w: add audio track: %w", ErrBadOffer, err)
	}
	if err := answer(ctx, pc); err != nil {
		return "", err
	}
	if !strings.Contains(pc.LocalDescription().SDP, "opus/48000") {
		return "", ErrNoOpus
	}
	if err := c.pipe.Start(callCtx); err != nil {
		return "", err
	}
	c.wg.Add(3)
	go func() { defer c.wg.Done(); drainRTCP(sender.Read) }()
	go func() { defer c.wg.Done(); c.events.run(callCtx) }()
	go func() { defer c.wg.Done(); c.watch(callCtx) }()

	c.mu.Lock()
	c.started = true
	c.mu.Unlock()
	metrics.ActiveCalls.WithLabelValues(cfg.Region).Inc()
	metrics.CallsStarted.WithLabelValues(cfg.Region).Inc()
	if cfg.OnCall != nil {
		cfg.OnCall(c.info, true)
	}
	c.log.LogAttrs(ctx, slog.LevelInfo, "call started")
	return pc.LocalDescription().SDP, nil
}

// restart answers an ICE restart: a new offer for the same call with fresh
// ICE credentials (RTCPeerConnection.createOffer({iceRestart: true})),
// after the caller's network changed or dropped. The call, its pipeline
// and its session go on; only the transport is renegotiated. A bad offer
// leaves the call as it was.
func (c *call) restart(ctx context.Context, offer string) (string, error) {
	c.renegotiating.Lock()
	defer c.renegotiating.Unlock()
	c.mu.Lock()
	closing := c.closing
	c.mu.Unlock()
	if closing {
		return "", ErrNotFound
	}
	if st := c.pc.SignalingState(); st != webrtc.SignalingStateStable {
		return "", fmt.Errorf("%w: signaling state %s", ErrBadOffer, st)
	}
	desc := webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}
	parsed, err := desc.Unmarshal()
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrBadOffer, err)
	}
	// The same DTLS peer with new ICE credentials: anything else is not a
	// restart of this call (and is not renegotiated).
	cur, err := c.pc.RemoteDescription().Unmarshal()
	if err != nil {
		return "", fmt.Errorf("current remote description: %w", err)
	}
	if fp := sdpAttr(parsed, "fingerprint"); fp == "" || fp != sdpAttr(cur, "fingerprint") {
		return "", fmt.Errorf("%w: the DTLS fingerprint is not the caller's", ErrBadOffer)
	}
	if uf := sdpAttr(parsed, "ice-ufrag"); uf == "" || uf == sdpAttr(cur, "ice-ufrag") {
		return "", fmt.Errorf("%w: not an ICE restart (the ICE credentials are unchanged)", ErrBadOffer)
	}
	if err := c.pc.SetRemoteDescription(desc); err != nil {
		// Back to the description in force, so the call goes on.
		_ = c.pc.SetLocalDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeRollback})
		return "", fmt.Errorf("%w: %w", ErrBadOffer, err)
	}
	if err := answer(ctx, c.pc); err != nil {
		return "", err
	}
	c.log.LogAttrs(ctx, slog.LevelInfo, "ICE restarted")
	return c.pc.LocalDescription().SDP, nil
}

// answer sets pc's local description to an answer to the remote offer and
// waits for ICE gathering, so that the answer carries every candidate (the
// WHIP-style endpoint does not trickle).
func answer(ctx context.Context, pc *webrtc.PeerConnection) error {
	ans, err := pc.CreateAnswer(nil)
	if err != nil {
		return fmt.Errorf("%w: create answer: %w", ErrBadOffer, err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(ans); err != nil {
		return fmt.Errorf("%w: set local description: %w", ErrBadOffer, err)
	}
	select {
	case <-gathered:
		return nil
	case <-time.After(5 * time.Second):
		return fmt.Errorf("ICE gathering did not complete")
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sdpAttr returns an attribute of the session, else of its first media
// section that has it ("" when none does).
func sdpAttr(d *sdp.SessionDescription, key string) string {
	if v, ok := d.Attribute(key); ok {
		return v
	}
	for _, m := range d.MediaDescriptions {
		if v, ok := m.Attribute(key); ok {
			return v
		}
	}
	return ""
}

// track registers a goroutine of the call unless it is closing.
// drainRTCP reads a sender's or receiver's incoming RTCP until the
// connection closes. The RTCP interceptors see only what is read: the
// caller's sender reports, without which the edge's receiver reports carry
// no LSR/DLSR and the caller cannot measure the round trip (RFC 3550
// §6.4.1), and the caller's receiver reports on the reply audio.
func drainRTCP(read func([]byte) (int, interceptor.Attributes, error)) {
	buf := make([]byte, 1500)
	for {
		if _, _, err := read(buf); err != nil {
			return
		}
	}
}

func (c *call) track() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return false
	}
	c.wg.Add(1)
	return true
}

// watch ends the call when it does not connect in time or lasts too long.
func (c *call) watch(ctx context.Context) {
	cfg := c.srv.cfg
	t := time.NewTimer(cfg.ConnectTimeout)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return
	case <-t.C:
		go c.end(ErrConnectTimeout)
		return
	case <-c.connected:
	}
	t.Reset(cfg.MaxCallDuration - time.Since(c.start0))
	select {
	case <-ctx.Done():
	case <-t.C:
		go c.end(ErrMaxDuration)
	}
}

// end tears the call down with cause and frees everything it holds. It is
// safe to call more than once and from any goroutine but the call's own.
func (c *call) end(cause error) {
	c.endOnce.Do(func() {
		c.mu.Lock()
		c.closing = true
		started := c.started
		c.mu.Unlock()
		if c.cancel != nil {
			c.cancel(cause)
		}
		if c.pipe != nil {
			c.pipe.Stop()
			if n := c.pipe.DroppedFrames(); n > 0 {
				metrics.STTDroppedFrames.WithLabelValues(c.srv.cfg.Region).Add(float64(n))
			}
		}
		if c.pc != nil {
			if err := c.pc.GracefulClose(); err != nil {
				c.log.Warn("close peer connection", "error", err)
			}
		}
		c.wg.Wait()
		c.dlg.End()
		region := c.srv.cfg.Region
		if started {
			metrics.ActiveCalls.WithLabelValues(region).Dec()
			metrics.CallsEnded.WithLabelValues(region, reasonLabel(cause)).Inc()
			metrics.Jitter.WithLabelValues(region).Observe(time.Duration(c.jitter.Load()).Seconds())
			if c.srv.cfg.OnCall != nil {
				c.srv.cfg.OnCall(c.info, false)
			}
			c.log.Info("call ended", "reason", cause.Error(), "duration_seconds", time.Since(c.start0).Seconds())
		}
		c.srv.remove(c)
	})
}

func reasonLabel(cause error) string {
	switch {
	case errors.Is(cause, ErrICEFailed):
		return "ice_failed"
	case errors.Is(cause, ErrConnectTimeout):
		return "connect_timeout"
	case errors.Is(cause, ErrMaxDuration):
		return "max_duration"
	case errors.Is(cause, ErrFlood):
		return "data_channel_flood"
	case errors.Is(cause, ErrShutdown):
		return "shutdown"
	default:
		return "hangup"
	}
}

// readAudio decodes the caller's Opus RTP to 16 kHz and pushes it into the
// pipeline, concealing lost packets; malformed packets are counted and
// skipped.
func (c *call) readAudio(ctx context.Context, tr *webrtc.TrackRemote) {
	region := c.srv.cfg.Region
	if tr.Kind() != webrtc.RTPCodecTypeAudio || !strings.EqualFold(tr.Codec().MimeType, webrtc.MimeTypeOpus) {
		return
	}
	dec, err := opus.NewDecoder(opus.WithSampleRate(pipeline.InFrameSamples * 50))
	if err != nil {
		c.log.Error("opus decoder", "error", err)
		return
	}
	var (
		stats rxStats
		pkt   rtp.Packet
		buf   = make([]byte, 1500)
		pcm   = make([]int16, 6*pipeline.InFrameSamples)
		acc   = make([]int16, 0, 8*pipeline.InFrameSamples)
	)
	received, lost, malformed := metrics.PacketsReceived.WithLabelValues(region), metrics.PacketsLost.WithLabelValues(region), metrics.PacketsMalformed.WithLabelValues(region)
	push := func(n int) {
		acc = append(acc, pcm[:n]...)
		for len(acc) >= pipeline.InFrameSamples {
			if err := c.pipe.Push(ctx, acc[:pipeline.InFrameSamples]); err != nil {
				c.log.Warn("push audio", "error", err)
			}
			acc = append(acc[:0], acc[pipeline.InFrameSamples:]...)
		}
	}
	for {
		n, _, err := tr.Read(buf)
		if err != nil {
			return
		}
		if err := pkt.Unmarshal(buf[:n]); err != nil || len(pkt.Payload) == 0 {
			malformed.Inc()
			continue
		}
		received.Inc()
		gap := stats.update(pkt.SequenceNumber, pkt.Timestamp, time.Now())
		c.jitter.Store(int64(stats.jitter()))
		if gap < 0 {
			continue // late or duplicate
		}
		if gap > 0 {
			lost.Add(float64(gap))
			if gap <= maxConcealFrames {
				for range gap - 1 {
					if k, err := dec.Decode(nil, pcm); err == nil {
						push(k)
					}
				}
				if k, err := dec.DecodeFEC(pkt.Payload, pcm); err == nil {
					push(k)
				}
			}
		}
		k, err := dec.Decode(pkt.Payload, pcm)
		if err != nil {
			malformed.Inc()
			if k, err = dec.Decode(nil, pcm); err != nil {
				continue
			}
		}
		push(k)
	}
}

// onDataChannel adopts the client's `events` channel and polices what the
// client sends on any channel.
func (c *call) onDataChannel(dc *webrtc.DataChannel) {
	limit := c.srv.cfg.MaxDataMessages
	var mu sync.Mutex
	var window time.Time
	var count int
	dc.OnMessage(func(msg webrtc.DataChannelMessage) {
		mu.Lock()
		now := time.Now()
		if now.Sub(window) > time.Second {
			window, count = now, 0
		}
		count++
		flood := count > limit || len(msg.Data) > maxDataMessageBytes
		mu.Unlock()
		if flood {
			c.log.Warn("data channel flood; closing call", "messages_per_second", count, "bytes", len(msg.Data))
			go c.end(ErrFlood)
		}
	})
	if dc.Label() != EventsLabel {
		return
	}
	dc.OnOpen(func() { c.events.attach(dc) })
}

// audioOut encodes reply frames and sends them as RTP with wall-clock
// timestamps, marking the first packet of each talk spurt.
type audioOut struct {
	enc    *opus.Encoder
	track  *webrtc.TrackLocalStaticRTP
	region string

	mu      sync.Mutex
	seq     uint16
	ts      uint32
	last    time.Time
	started bool
	buf     [opus.MaxPacketBytes]byte
}

// WriteFrame implements pipeline.AudioOut.
func (a *audioOut) WriteFrame(pcm []int16) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	n, err := a.enc.Encode(pcm, a.buf[:])
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	now := time.Now()
	marker := false
	switch {
	case !a.started:
		a.started, marker = true, true
	case now.Sub(a.last) > 3*pipeline.FrameDuration:
		// A new talk spurt: advance the clock by the silence.
		a.ts += uint32(now.Sub(a.last) / pipeline.FrameDuration * pipeline.OutFrameSamples)
		marker = true
	default:
		a.ts += pipeline.OutFrameSamples
	}
	a.last = now
	a.seq++
	pkt := rtp.Packet{
		Header:  rtp.Header{Version: 2, Marker: marker, PayloadType: opusPayloadType, SequenceNumber: a.seq, Timestamp: a.ts},
		Payload: a.buf[:n],
	}
	if err := a.track.WriteRTP(&pkt); err != nil {
		return fmt.Errorf("write RTP: %w", err)
	}
	metrics.PacketsSent.WithLabelValues(a.region).Inc()
	return nil
}

// eventSender queues pipeline events as JSON and sends them on the data
// channel once it is open, dropping them when the peer falls behind.
type eventSender struct {
	ch       chan []byte
	open     chan struct{}
	openOnce sync.Once
	dc       atomic.Pointer[webrtc.DataChannel]
	dropped  atomic.Int64
}

// maxBufferedBytes is how much may wait in the data channel before events
// are dropped.
const maxBufferedBytes = 1 << 20

// Send implements pipeline.EventSink.
func (e *eventSender) Send(ev *pipeline.Event) {
	b, err := callevent.Marshal(ev)
	if err != nil {
		return
	}
	select {
	case e.ch <- b:
	default:
		e.dropped.Add(1)
	}
}

func (e *eventSender) attach(dc *webrtc.DataChannel) {
	e.dc.Store(dc)
	e.openOnce.Do(func() { close(e.open) })
}

func (e *eventSender) run(ctx context.Context) {
	select {
	case <-ctx.Done():
		return
	case <-e.open:
	}
	dc := e.dc.Load()
	for {
		select {
		case <-ctx.Done():
			return
		case b := <-e.ch:
			if dc.BufferedAmount() > maxBufferedBytes {
				e.dropped.Add(1)
				continue
			}
			if err := dc.SendText(string(b)); err != nil {
				e.dropped.Add(1)
			}
		}
	}
}
