package pipeline

import (
	"context"

	"github.com/avatar-fi/avatar/edge/internal/stt"
)

// Transcriber opens a speech-to-text Stream for each user turn. It must be
// safe for concurrent use by many calls.
type Transcriber interface {
	NewStream(ctx context.Context) (stt.Stream, error)
}

// Synthesizer speaks text, calling out with 48 kHz mono PCM chunks as they
// are produced; a chunk is valid only during the call. It returns
// context.Cause(ctx) soon after ctx ends. It must be safe for concurrent use.
type Synthesizer interface {
	Synthesize(ctx context.Context, text string, out func(pcm []int16) error) error
}

// Responder answers the trainee's turn, streaming the reply text to out in
// pieces of any size (tokens, words, sentences). It must stop soon after ctx
// ends and be safe for concurrent use.
type Responder interface {
	Respond(ctx context.Context, req Request, out func(delta string) error) error
}

// ResponderFunc adapts a function to a Responder.
type ResponderFunc func(ctx context.Context, req Request, out func(delta string) error) error

// Respond calls f.
func (f ResponderFunc) Respond(ctx context.Context, req Request, out func(delta string) error) error {
	return f(ctx, req, out)
}

// Request is what a Responder answers.
type Request struct {
	// SessionID is the call's session.
	SessionID string
	// Turn is the turn's index in the call, from 1.
	Turn int
	// Text is the trainee's final transcript.
	Text string
}

// AudioOut plays reply audio to the caller: one 20 ms frame of 48 kHz mono
// PCM per call, paced by the Call. WriteFrame must not retain pcm. Silence
// between replies is not written: a transport that timestamps by the wall
// clock sees the gap.
type AudioOut interface {
	WriteFrame(pcm []int16) error
}

// EventSink receives the events of a call for the `events` data channel.
// Send is called from several goroutines of the call and must be safe for
// concurrent use; it must not block for long and may drop events when the
// peer is slow.
type EventSink interface {
	Send(ev *Event)
}

// EventSinkFunc adapts a function to an EventSink.
type EventSinkFunc func(ev *Event)

// Send calls f.
func (f EventSinkFunc) Send(ev *Event) { f(ev) }
