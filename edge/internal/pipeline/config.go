package pipeline

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/avatar-fi/avatar/media/endpoint"
	"github.com/avatar-fi/avatar/media/vad"
)

// Defaults for Config fields left zero.
const (
	// DefaultSilence is the trailing silence that ends a turn without a
	// transcript cue.
	DefaultSilence = 240 * time.Millisecond
	// DefaultEarlySilence ends a turn whose words look complete.
	DefaultEarlySilence = 160 * time.Millisecond
	// DefaultLateSilence ends a turn whose words trail off.
	DefaultLateSilence = 400 * time.Millisecond
	// DefaultTentative is the pause after which the transcript is
	// finalised and a reply prepared speculatively.
	DefaultTentative = 100 * time.Millisecond
	// DefaultMaxReplyAudio caps the reply audio queued for one turn.
	DefaultMaxReplyAudio = 2 * time.Minute
)

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
	// Out plays the reply audio.
	Out AudioOut
	// Events receives the data channel events (optional).
	Events EventSink
	// OnTurn is called once per completed turn, from one of the call's
	// goroutines (optional). It must not block for long.
	OnTurn func(TurnRecord)
	// Endpoint configures end-of-turn detection; zero fields take this
	// package's defaults (DefaultSilence, DefaultEarlySilence,
	// DefaultLateSilence, DefaultTentative), then media/endpoint's.
	Endpoint endpoint.Config
	// NewDetector makes the call's voice activity detector (default
	// vad.NewEnergy with its defaults).
	NewDetector func() (vad.Detector, error)
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

func (c Config) withDefaults() Config {
	if c.Endpoint.Silence == 0 {
		c.Endpoint.Silence = DefaultSilence
	}
	if c.Endpoint.EarlySilence == 0 {
		c.Endpoint.EarlySilence = min(DefaultEarlySilence, c.Endpoint.Silence)
	}
	if c.Endpoint.LateSilence == 0 {
		c.Endpoint.LateSilence = max(DefaultLateSilence, c.Endpoint.Silence)
	}
	if c.Endpoint.Tentative == 0 {
		c.Endpoint.Tentative = min(DefaultTentative, c.Endpoint.EarlySilence-20*time.Millisecond)
	}
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
		c.Events = EventSinkFunc(func(Event) {})
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
	case c.MaxReplyAudio < 0:
		return fmt.Errorf("%w: MaxReplyAudio %v is negative", ErrConfig, c.MaxReplyAudio)
	}
	return nil
}
