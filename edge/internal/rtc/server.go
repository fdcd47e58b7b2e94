package rtc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/logging"
	"github.com/pion/webrtc/v4"

	"github.com/avatar-fi/avatar/edge/internal/metrics"
)

// opusPayloadType is the payload type the edge registers for Opus.
const opusPayloadType = 111

// Server answers calls and owns them until they end. It is safe for
// concurrent use.
type Server struct {
	cfg   Config
	log   *slog.Logger
	api   *webrtc.API
	conn  net.PacketConn
	owned bool // conn was opened by New
	mux   ice.UDPMux

	mu       sync.Mutex
	calls    map[string]*call // calls set up and not yet ended
	pending  int              // calls being set up
	draining bool
	closed   bool
	wg       sync.WaitGroup // one per live call
}

// New builds the WebRTC stack: Opus only, RTCP reports as the only
// interceptor, and one ICE UDP mux on cfg.UDPConn or cfg.UDPPort.
func New(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	me := &webrtc.MediaEngine{}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1"},
		PayloadType:        opusPayloadType,
	}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, fmt.Errorf("register opus: %w", err)
	}
	ir := &interceptor.Registry{}
	if err := webrtc.ConfigureRTCPReports(ir); err != nil {
		return nil, fmt.Errorf("rtcp reports: %w", err)
	}
	s := &Server{cfg: cfg, log: cfg.Logger, calls: map[string]*call{}}
	s.conn = cfg.UDPConn
	if s.conn == nil {
		addr := &net.UDPAddr{Port: cfg.UDPPort}
		network := "udp"
		if cfg.LoopbackOnly {
			addr.IP = net.IPv4(127, 0, 0, 1)
			network = "udp4"
		}
		conn, err := net.ListenUDP(network, addr)
		if err != nil {
			return nil, fmt.Errorf("listen media UDP port %d: %w", cfg.UDPPort, err)
		}
		s.conn, s.owned = conn, true
	}
	lf := logging.NewDefaultLoggerFactory()
	lf.DefaultLogLevel = logging.LogLevelError
	s.mux = webrtc.NewICEUDPMux(lf.NewLogger("ice-mux"), s.conn)

	se := webrtc.SettingEngine{LoggerFactory: lf}
	se.SetICEUDPMux(s.mux)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetICETimeouts(cfg.DisconnectedTimeout, cfg.FailedTimeout, 2*time.Second)
	if cfg.LoopbackOnly {
		se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
		se.SetIncludeLoopbackCandidate(true)
	} else {
		se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6})
	}
	if len(cfg.PublicIPs) > 0 {
		if err := se.SetICEAddressRewriteRules(webrtc.ICEAddressRewriteRule{
			External: cfg.PublicIPs, AsCandidateType: webrtc.ICECandidateTypeHost,
		}); err != nil {
			_ = s.closeConn() // the configuration error is the one to report
			return nil, fmt.Errorf("%w: PublicIPs: %w", ErrConfig, err)
		}
	}
	metrics.ActiveCalls.WithLabelValues(cfg.Region).Add(0)
	metrics.Capacity.WithLabelValues(cfg.Region).Set(float64(cfg.MaxCalls))
	s.api = webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se))
	return s, nil
}

// LocalAddr returns the media socket's address.
func (s *Server) LocalAddr() net.Addr { return s.conn.LocalAddr() }

// ActiveCalls returns the number of live calls, those being set up
// included.
func (s *Server) ActiveCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.calls) + s.pending
}

// Capacity returns the call limit.
func (s *Server) Capacity() int { return s.cfg.MaxCalls }

// StopAccepting makes the server refuse new calls (ErrDraining) while the
// live ones go on: the first step of Drain, apart so that the edge can tell
// placement before it waits for the calls to end.
func (s *Server) StopAccepting() {
	s.mu.Lock()
	s.draining = true
	s.mu.Unlock()
}

// Draining reports whether Drain (or StopAccepting) has begun.
func (s *Server) Draining() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.draining
}

// Authenticate verifies a bearer token with the configured Authenticator,
// wrapping failures in ErrUnauthenticated.
func (s *Server) Authenticate(ctx context.Context, token string) (Identity, error) {
	if token == "" {
		return Identity{}, fmt.Errorf("%w: no bearer token", ErrUnauthenticated)
	}
	id, err := s.cfg.Auth.Authenticate(ctx, token)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %w", ErrUnauthenticated, err)
	}
	return id, nil
}

// Offer answers an SDP offer for sessionID (a new one when empty) on behalf
// of id and returns the call id and the SDP answer (ICE gathering complete,
// no trickle). The call lives on after ctx ends, until it is hung up.
func (s *Server) Offer(ctx context.Context, id Identity, sessionID, offer string) (callID, answer string, err error) {
	if err := checkOffer(offer); err != nil {
		s.reject(err)
		return "", "", err
	}
	s.mu.Lock()
	switch {
	case s.closed:
		s.mu.Unlock()
		return "", "", ErrShutdown
	case s.draining:
		s.mu.Unlock()
		s.reject(ErrDraining)
		return "", "", ErrDraining
	case len(s.calls)+s.pending >= s.cfg.MaxCalls:
		s.mu.Unlock()
		s.reject(ErrFull)
		return "", "", ErrFull
	}
	callID = newID()
	s.pending++ // reserve the slot
	s.wg.Add(1)
	s.mu.Unlock()

	dlg, err := s.cfg.Dialogues.Join(ctx, id, sessionID, callID)
	if err != nil {
		s.mu.Lock()
		s.pending--
		s.mu.Unlock()
		s.wg.Done()
		if errors.Is(err, ErrNoSession) {
			metrics.CallsRejected.WithLabelValues(s.cfg.Region, "no_session").Inc()
		}
		return "", "", err
	}
	c := &call{srv: s, dlg: dlg, info: CallInfo{CallID: callID, SessionID: dlg.SessionID(), Identity: id}}
	answer, err = c.start(ctx, offer)
	s.mu.Lock()
	s.pending--
	closed := s.closed
	if err == nil && !closed && !c.removed {
		s.calls[callID] = c
	}
	s.mu.Unlock()
	if err != nil {
		c.end(ErrHangUp)
		if errors.Is(err, ErrBadOffer) || errors.Is(err, ErrNoOpus) {
			s.reject(err)
		}
		return "", "", err
	}
	if closed {
		c.end(ErrShutdown)
		return "", "", ErrShutdown
	}
	return callID, answer, nil
}

// reject counts a refused offer.
func (s *Server) reject(err error) {
	reason := "bad_offer"
	switch {
	case errors.Is(err, ErrNoOpus):
		reason = "no_opus"
	case errors.Is(err, ErrFull):
		reason = "full"
	case errors.Is(err, ErrDraining):
		reason = "draining"
	case errors.Is(err, ErrUnauthenticated):
		reason = "unauthenticated"
	}
	metrics.CallsRejected.WithLabelValues(s.cfg.Region, reason).Inc()
}

// Hangup ends call callID on behalf of id: the caller's own call, or any
// call of the dealership for an admin.
func (s *Server) Hangup(id Identity, callID string) error {
	s.mu.Lock()
	c := s.calls[callID]
	s.mu.Unlock()
	if c == nil || !mayHangUp(id, c.info.Identity) {
		return ErrNotFound
	}
	c.end(ErrHangUp)
	return nil
}

// Restart answers an ICE restart offer for one of the caller's calls (see
// Hangup for who may act on a call): the call keeps its id, pipeline and
// session, and the returned answer carries the edge's new ICE credentials.
// ErrNotFound for an unknown or foreign call, ErrBadOffer for an offer that
// cannot be applied (the call is left as it was).
func (s *Server) Restart(ctx context.Context, id Identity, callID, offer string) (string, error) {
	s.mu.Lock()
	c := s.calls[callID]
	s.mu.Unlock()
	if c == nil || !mayHangUp(id, c.info.Identity) {
		return "", ErrNotFound
	}
	return c.restart(ctx, offer)
}

func mayHangUp(who, owner Identity) bool {
	switch who.Role {
	case "ROLE_SUPER_ADMIN":
		return true
	case "ROLE_DEALERSHIP_ADMIN":
		return who.DealershipID != "" && who.DealershipID == owner.DealershipID
	default:
		return who.UserID != "" && who.UserID == owner.UserID
	}
}

// remove forgets a call that has ended.
func (s *Server) remove(c *call) {
	s.mu.Lock()
	c.removed = true
	if s.calls[c.info.CallID] == c {
		delete(s.calls, c.info.CallID)
	}
	s.mu.Unlock()
	s.wg.Done()
}

// Drain refuses new calls and waits for the live ones to end, until ctx
// ends; then it ends the rest with ErrShutdown. It returns ctx's error if it
// had to cut calls short.
func (s *Server) Drain(ctx context.Context) error {
	s.StopAccepting()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.endAll(ErrShutdown)
		<-done
		return ctx.Err()
	}
}

// endAll ends every live call with cause.
func (s *Server) endAll(cause error) {
	s.mu.Lock()
	calls := make([]*call, 0, len(s.calls))
	for _, c := range s.calls {
		calls = append(calls, c)
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range calls {
		wg.Add(1)
		go func() { defer wg.Done(); c.end(cause) }()
	}
	wg.Wait()
}

// Close ends every call, waits for them and closes the media socket (if New
// opened it). It is safe to call more than once.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed, s.draining = true, true
	s.mu.Unlock()
	s.endAll(ErrShutdown)
	s.wg.Wait()
	return s.closeConn()
}

func (s *Server) closeConn() error {
	var err error
	if s.mux != nil {
		err = s.mux.Close()
	}
	if s.owned {
		if cerr := s.conn.Close(); cerr != nil && !errors.Is(cerr, net.ErrClosed) && err == nil {
			err = cerr
		}
	}
	return err
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
