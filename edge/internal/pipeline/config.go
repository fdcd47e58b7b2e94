package pipeline

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/avatar-fi/avatar/media/endpoint"
	"github.com/avatar-fi/avatar/media/vad"
)

// SileroHold is DetectorHold for Silero VAD v5 behind vad.Gate's default
// hysteresis: on the labelled clips of the speech set its gate closes
// 43–158 ms (median 106 ms) after the labelled end of speech.
const SileroHold = 100 * time.Millisecond

// DefaultMaxReplyAudio caps the reply audio queued for one turn.
const DefaultMaxReplyAudio = 2 * time.Minute

// Config sets up a Call. Transcriber, Synthesizer, Responder and Out are
// required.
type Config struct {
	// SessionID names the call's session in requests, events and logs.
	SessionID string
	// Transcriber opens a speech-to-text stream per user turn.
	Transcriber Transcriber
	// Synthesizer speaks the reply, sentence by sentence.
	Synthesizer Synthesizer
	// Responder writes the reply to each final transcript.
	Responder Responder
	// Opening, when set, is what the other party says first: Greet plays
	// it as the call's turn 0 (the role-play customer opens the call).
	Opening string
	// Out plays the reply audio.
	Out AudioOut
	// Events receives the data channel events (optional).
	Events EventSink
	// OnTurn is called once per completed turn, from one of the call's
	// goroutines (optional). It must not block for long.
	OnTurn func(TurnRecord)
	// Endpoint configures end-of-turn detection; zero fields take
	// media/endpoint's defaults (its end-of-turn model), with Tentative
	// endpoint.DefaultTentative (a reply is prepared at every pause) and
	// Hold DetectorHold.
	Endpoint endpoint.Config
	// NewDetector makes the call's voice activity detector (default
	// vad.NewEnergy with its defaults).
	NewDetector func() (vad.Detector, error)
	// DetectorHold is how long NewDetector's detector, behind the default
	// gate, keeps reporting speech after the speaker stops (0 for Energy,
	// SileroHold for Silero). The turn gap is measured from the last voiced
	// frame less DetectorHold, the speaker's true end, and the end-of-turn
	// model counts it into the speaker's pauses (endpoint.Config.Hold).
	DetectorHold time.Duration
	// MaxReplyAudio caps the reply audio queued for one turn (default
	// DefaultMaxReplyAudio); the rest of a longer reply is dropped.
	MaxReplyAudio time.Duration
	// Logger receives the call's logs (default: discarded).
	Logger *slog.Logger
	// Offline makes Push wait for the recogniser instead of dropping audio
	// it cannot keep up with, for feeding recordings faster than real time
	// (evaluation). Calls leave it off.
	Offline bool
}

// EndpointConfig returns the end-of-turn configuration a Call made from c
// uses: c.Endpoint, with Tentative endpoint.DefaultTentative and Hold
// DetectorHold when they are zero, and media/endpoint's defaults for the
// rest.
func (c Config) EndpointConfig() endpoint.Config {
	e := c.Endpoint
	if e.Tentative == 0 {
		e.Tentative = endpoint.DefaultTentative
	}
	if e.Hold == 0 {
		e.Hold = c.DetectorHold
	}
	return e
}

func (c Config) withDefaults() Config {
	c.Endpoint = c.EndpointConfig()
	if c.NewDetector == nil {
		c.NewDetector = func() (vad.Detector, error) { return vad.NewEnergy() }
	}
	if c.MaxReplyAudio == 0 {
		c.MaxReplyAudio = DefaultMaxReplyAudio
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Events == nil {
		c.Events = EventSinkFunc(func(*Event) {})
	}
	return c
}

func (c Config) validate() error {
	switch {
	case c.Transcriber == nil:
		return fmt.Errorf("%w: Transcriber is required", ErrConfig)
	case c.Synthesizer == nil:
		return fmt.Errorf("%w: Synthesizer is required", ErrConfig)
	case c.Responder == nil:
		return fmt.Errorf("%w: Responder is required", ErrConfig)
	case c.Out == nil:
		return fmt.Errorf("%w: Out is required", ErrConfig)
	case c.DetectorHold < 0 || c.DetectorHold > time.Second:
		return fmt.Errorf("%w: DetectorHold %v, want 0..1s", ErrConfig, c.DetectorHold)
	case c.MaxReplyAudio < 0:
		return fmt.Errorf("%w: MaxReplyAudio %v is negative", ErrConfig, c.MaxReplyAudio)
	}
	return nil
}
