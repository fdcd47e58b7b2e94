// Package fakeengine provides a speech-to-text and a text-to-speech engine
// of negligible cost, for the edge's tests that need no real engine. (The
// density measurement now drives a real avatar-edge from loadtest/, with its
// production engines only.)
package fakeengine

import (
	"context"
	"math"
	"strings"
	"sync"

	"github.com/avatar-fi/avatar/edge/internal/stt"
)

// Transcriber hears Text in any audio. It is safe for concurrent use.
type Transcriber struct {
	// Text is the transcript of every turn (default "hello").
	Text string
}

// NewStream returns a stream that reports Text once it has heard audio.
func (t Transcriber) NewStream(context.Context) (stt.Stream, error) {
	text := t.Text
	if text == "" {
		text = "hello"
	}
	return &stream{text: text}, nil
}

type stream struct {
	mu    sync.Mutex
	text  string
	heard bool
}

func (s *stream) Write([]int16) error { s.mu.Lock(); s.heard = true; s.mu.Unlock(); return nil }

func (s *stream) Partial() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.heard {
		return ""
	}
	return s.text
}

func (s *stream) Segment() error                        { return nil }
func (s *stream) Final(context.Context) (string, error) { return s.Partial(), nil }
func (s *stream) Close() error                          { return nil }

// Synthesizer speaks any text as a 220 Hz tone, 60 ms per word, at 48 kHz.
// It is safe for concurrent use.
type Synthesizer struct{}

var tone = func() []int16 {
	b := make([]int16, 2880) // 60 ms
	for i := range b {
		b[i] = int16(6000 * math.Sin(2*math.Pi*220*float64(i)/48000))
	}
	return b
}()

// Synthesize calls out with 60 ms of tone per word of text.
func (Synthesizer) Synthesize(ctx context.Context, text string, out func([]int16) error) error {
	for range strings.Fields(text) {
		if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		if err := out(tone); err != nil {
			return err
		}
	}
	return nil
}
