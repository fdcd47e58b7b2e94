package rtc

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/avatar-fi/avatar/edge/internal/pipeline"
	"github.com/avatar-fi/avatar/media/endpoint"
	"github.com/avatar-fi/avatar/media/vad"
)

// Defaults for Config fields left zero.
const (
	// DefaultMaxCalls is what one edge held with the embedded engines
	// (Silero, PocketSphinx, Flite) on a 2-core machine shared with its pion
	// callers (another process): at 8 calls every clip heard was answered and
	// the reply started within 3 ms (p95) of the end of the turn, at 1.2
	// cores; at 12 the reply p95 was 3.3 s (make capacity, 30 s per count,
	// load average under 1 before the run; README.md, "Load test").
	// PocketSphinx is 90 % of the CPU. Measure again for other hardware or
	// engines (AVATAR_EDGE_MAX_CALLS).
	DefaultMaxCalls        = 8
	DefaultConnectTimeout  = 15 * time.Second
	DefaultMaxCallDuration = time.Hour
	DefaultMaxOfferBytes   = 64 << 10
	// DefaultDisconnectedTimeout and DefaultFailedTimeout decide how soon a
	// vanished peer is noticed: ICE goes disconnected after the first and
	// failed after the second without traffic.
	DefaultDisconnectedTimeout = 4 * time.Second
	DefaultFailedTimeout       = 8 * time.Second
	// DefaultMaxDataMessages is how many data channel messages a client
	// may send per second before its call is closed.
	DefaultMaxDataMessages = 50
)

// Identity is the verified caller.
type Identity struct {
	UserID       string
	DealershipID string
	// Role is the avatar.org.v1.Role enum name, e.g. "ROLE_TRAINEE".
	Role string
	// Token is the bearer token the identity was verified from, and Expires
	// its expiry: the dialogue calls the core with them.
	Token   string
	Expires time.Time
}

// Dialogue is one call's side of its conversation session. Its methods are
// called from the call's goroutines and must be safe for concurrent use.
type Dialogue interface {
	// Responder answers the call's turns.
	pipeline.Responder
	// SessionID names the session the call joined.
	SessionID() string
	// Opening is what the call says first, once connected ("" for nothing).
	Opening() string
	// Voice names the voice replies are spoken with ("" for the default).
	Voice() string
	// TurnDone hears how a turn ended (the reply as heard, up to a
	// barge-in) and returns the turn_result event to send the caller, or
	// nil.
	TurnDone(rec pipeline.TurnRecord) *pipeline.Event
	// End detaches the call from the session when it ends.
	End()
}

// Dialogues joins calls to conversation sessions.
type Dialogues interface {
	// Join attaches call callID of id to session sessionID (a new session
	// when empty). It returns an error wrapping ErrNoSession when the
	// session does not exist or is another user's.
	Join(ctx context.Context, id Identity, sessionID, callID string) (Dialogue, error)
}

// Authenticator verifies a bearer access token.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (Identity, error)
}

// AuthenticatorFunc adapts a function to an Authenticator.
type AuthenticatorFunc func(ctx context.Context, token string) (Identity, error)

// Authenticate calls f.
func (f AuthenticatorFunc) Authenticate(ctx context.Context, token string) (Identity, error) {
	return f(ctx, token)
}

// CallInfo describes a call to hooks.
type CallInfo struct {
	CallID    string
	SessionID string
	Identity  Identity
}

// Config sets up a Server. Auth, Transcriber, Synthesizer and Dialogues are
// required; UDPConn or UDPPort says where media flows.
type Config struct {
	// Region names this edge's region in metrics and logs.
	Region string
	// UDPConn, when set, is the socket all calls share; otherwise the
	// Server listens on UDPPort on every interface.
	UDPConn net.PacketConn
	// UDPPort is the media port when UDPConn is nil.
	UDPPort int
	// PublicIPs, when set, replace the host candidates' addresses (NAT 1:1,
	// e.g. a cloud VM's public address).
	PublicIPs []string
	// ICEServers are STUN/TURN servers offered to the ICE agent.
	ICEServers []webrtc.ICEServer
	// LoopbackOnly restricts ICE to loopback UDP over IPv4, for tests and
	// measurements on one host.
	LoopbackOnly bool
	// MaxCalls is the call limit, the edge's capacity (default
	// DefaultMaxCalls): beyond it Offer fails with ErrFull (HTTP 503 with
	// Retry-After).
	MaxCalls int
	// ConnectTimeout bounds the time from answer to ICE connected (default
	// DefaultConnectTimeout).
	ConnectTimeout time.Duration
	// MaxCallDuration ends calls that last longer (default
	// DefaultMaxCallDuration).
	MaxCallDuration time.Duration
	// MaxOfferBytes caps the SDP offer's size (default
	// DefaultMaxOfferBytes).
	MaxOfferBytes int64
	// DisconnectedTimeout and FailedTimeout are the ICE timeouts (defaults
	// DefaultDisconnectedTimeout, DefaultFailedTimeout).
	DisconnectedTimeout, FailedTimeout time.Duration
	// MaxDataMessages is the data channel flood limit in messages per
	// second (default DefaultMaxDataMessages).
	MaxDataMessages int

	// Auth verifies bearer tokens.
	Auth Authenticator
	// Transcriber and Synthesizer are shared by every call.
	Transcriber pipeline.Transcriber
	Synthesizer pipeline.Synthesizer
	// Voices, optional, returns the synthesizer of a named voice (a
	// persona's); nil, or an error, speaks with Synthesizer.
	Voices func(voice string) (pipeline.Synthesizer, error)
	// Dialogues joins each call to its session, whose engine answers it.
	Dialogues Dialogues
	// Endpoint configures end-of-turn detection (zero: pipeline defaults).
	Endpoint endpoint.Config
	// NewDetector makes each call's voice activity detector (default: the
	// pipeline's, an energy detector).
	NewDetector func() (vad.Detector, error)
	// DetectorHold is how long NewDetector's detector keeps reporting
	// speech after the speaker stops (pipeline.Config.DetectorHold; 0 for
	// the energy detector, pipeline.SileroHold for Silero).
	DetectorHold time.Duration
	// OnTurn is called for each completed turn (optional), from a call's
	// goroutine; it must not block for long.
	OnTurn func(CallInfo, pipeline.TurnRecord)
	// OnCall is called when a call starts and when it ends (optional).
	OnCall func(info CallInfo, started bool)
	// Logger receives the server's logs (default: discarded).
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.MaxCalls == 0 {
		c.MaxCalls = DefaultMaxCalls
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.MaxCallDuration == 0 {
		c.MaxCallDuration = DefaultMaxCallDuration
	}
	if c.MaxOfferBytes == 0 {
		c.MaxOfferBytes = DefaultMaxOfferBytes
	}
	if c.DisconnectedTimeout == 0 {
		c.DisconnectedTimeout = DefaultDisconnectedTimeout
	}
	if c.FailedTimeout == 0 {
		c.FailedTimeout = DefaultFailedTimeout
	}
	if c.MaxDataMessages == 0 {
		c.MaxDataMessages = DefaultMaxDataMessages
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

func (c Config) validate() error {
	switch {
	case c.Auth == nil:
		return fmt.Errorf("%w: Auth is required", ErrConfig)
	case c.Transcriber == nil || c.Synthesizer == nil || c.Dialogues == nil:
		return fmt.Errorf("%w: Transcriber, Synthesizer and Dialogues are required", ErrConfig)
	case c.UDPConn == nil && (c.UDPPort < 0 || c.UDPPort > 65535):
		return fmt.Errorf("%w: UDPPort %d, want 0..65535", ErrConfig, c.UDPPort)
	case c.MaxCalls < 0:
		return fmt.Errorf("%w: MaxCalls %d is negative", ErrConfig, c.MaxCalls)
	}
	for _, ip := range c.PublicIPs {
		if net.ParseIP(ip) == nil {
			return fmt.Errorf("%w: PublicIPs: %q is not an IP address", ErrConfig, ip)
		}
	}
	return nil
}
