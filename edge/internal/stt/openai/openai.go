// Package openai is a speech-to-text provider for servers that speak
// OpenAI's POST /v1/audio/transcriptions (OpenAI, Whisper servers such as
// faster-whisper-server, whisper.cpp's server, vLLM).
//
// The protocol is batch: a Stream buffers the turn's audio and uploads it as
// a 16 kHz mono WAV file. At each pause (Segment) the audio so far is
// uploaded in the background, so that the Final at the end of the turn only
// waits for the last piece. Partial returns the pieces already transcribed.
package openai

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/avatar-fi/avatar/edge/internal/stt"
)

// DefaultModel is the model asked for when Config.Model is empty.
const DefaultModel = "whisper-1"

// ErrConfig is returned by New for a missing URL.
var ErrConfig = errors.New("openai stt: invalid config")

// Config sets up a Transcriber.
type Config struct {
	// URL is the server's base URL, e.g. https://api.openai.com (the path
	// /v1/audio/transcriptions is appended). Required.
	URL string
	// APIKey is sent as a bearer token when set.
	APIKey string
	// Model is the model name (default DefaultModel).
	Model string
	// Language is an ISO-639-1 hint (default "en").
	Language string
	// HTTPClient makes the requests (default a client with a 30 s timeout).
	HTTPClient *http.Client
}

// Transcriber opens Streams; it is safe for concurrent use.
type Transcriber struct{ cfg Config }

// New returns a Transcriber for cfg.
func New(cfg Config) (*Transcriber, error) {
	if cfg.URL == "" {
		return nil, fmt.Errorf("%w: URL is required", ErrConfig)
	}
	cfg.URL = strings.TrimRight(cfg.URL, "/")
	if cfg.Model == "" {
		cfg.Model = DefaultModel
	}
	if cfg.Language == "" {
		cfg.Language = "en"
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	return &Transcriber{cfg: cfg}, nil
}

// NewStream returns a Stream for one turn. ctx bounds its uploads.
func (t *Transcriber) NewStream(ctx context.Context) (stt.Stream, error) {
	ctx, cancel := context.WithCancel(ctx)
	return &Stream{t: t, ctx: ctx, cancel: cancel}, nil
}

// Stream buffers a turn and transcribes it in pieces; see the package doc.
type Stream struct {
	t      *Transcriber
	ctx    context.Context //nolint:containedctx // the stream's uploads outlive each method call
	cancel context.CancelFunc

	mu     sync.Mutex
	buf    []int16
	pieces []*piece
	closed bool
	wg     sync.WaitGroup
}

type piece struct {
	done chan struct{}
	text string
	err  error
}

var (
	_ stt.Stream    = (*Stream)(nil)
	_ stt.Segmenter = (*Stream)(nil)
)

// Write buffers pcm.
func (s *Stream) Write(pcm []int16) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return stt.ErrClosed
	}
	s.buf = append(s.buf, pcm...)
	return nil
}

// Partial returns the pieces transcribed so far.
func (s *Stream) Partial() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var parts []string
	for _, p := range s.pieces {
		select {
		case <-p.done:
			if p.text != "" {
				parts = append(parts, p.text)
			}
		default:
			return strings.Join(parts, " ")
		}
	}
	return strings.Join(parts, " ")
}

// Segment uploads the audio buffered since the last piece, in the
// background.
func (s *Stream) Segment() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return stt.ErrClosed
	}
	s.cut()
	return nil
}

// cut starts transcribing the buffer; s.mu must be held.
func (s *Stream) cut() {
	if len(s.buf) < stt.SampleRate/10 { // under 100 ms: nothing to say
		s.buf = s.buf[:0]
		return
	}
	audio := s.buf
	s.buf = nil
	p := &piece{done: make(chan struct{})}
	s.pieces = append(s.pieces, p)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(p.done)
		p.text, p.err = s.t.transcribe(s.ctx, audio)
	}()
}

// Final uploads the rest and returns every piece's text, in order.
func (s *Stream) Final(ctx context.Context) (string, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return "", stt.ErrClosed
	}
	s.cut()
	s.closed = true
	pieces := s.pieces
	s.mu.Unlock()
	var parts []string
	for _, p := range pieces {
		select {
		case <-p.done:
		case <-ctx.Done():
			return strings.Join(parts, " "), context.Cause(ctx)
		}
		if p.err != nil {
			return strings.Join(parts, " "), p.err
		}
		if p.text != "" {
			parts = append(parts, p.text)
		}
	}
	return strings.Join(parts, " "), nil
}

// Close cancels any upload in flight and waits for it.
func (s *Stream) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	return nil
}

// transcribe uploads one piece of audio.
func (t *Transcriber) transcribe(ctx context.Context, pcm []int16) (string, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", "audio.wav")
	if err != nil {
		return "", err
	}
	if err := writeWAV(fw, pcm); err != nil {
		return "", err
	}
	for k, v := range map[string]string{"model": t.cfg.Model, "language": t.cfg.Language, "response_format": "json"} {
		if err := mw.WriteField(k, v); err != nil {
			return "", err
		}
	}
	if err := mw.Close(); err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.cfg.URL+"/v1/audio/transcriptions", &body)
	if err != nil {
		return "", fmt.Errorf("%w: %w", stt.ErrEngine, err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if t.cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+t.cfg.APIKey)
	}
	resp, err := t.cfg.HTTPClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("%w: transcription request: %w", stt.ErrEngine, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("%w: read transcription: %w", stt.ErrEngine, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%w: transcription: %s: %.200s", stt.ErrEngine, resp.Status, b)
	}
	var out struct {
		Text string `json:"text"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return "", fmt.Errorf("%w: transcription response: %w", stt.ErrEngine, err)
	}
	return strings.TrimSpace(out.Text), nil
}

// writeWAV writes 16 kHz mono 16-bit PCM as a WAV file.
func writeWAV(w io.Writer, pcm []int16) error {
	n := uint32(len(pcm) * 2)
	hdr := []any{
		[4]byte{'R', 'I', 'F', 'F'}, 36 + n, [4]byte{'W', 'A', 'V', 'E'},
		[4]byte{'f', 'm', 't', ' '}, uint32(16), uint16(1), uint16(1), uint32(stt.SampleRate), uint32(stt.SampleRate * 2), uint16(2), uint16(16),
		[4]byte{'d', 'a', 't', 'a'}, n,
	}
	for _, v := range hdr {
		if err := binary.Write(w, binary.LittleEndian, v); err != nil {
			return err
		}
	}
	return binary.Write(w, binary.LittleEndian, pcm)
}
