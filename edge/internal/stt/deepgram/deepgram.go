// Package deepgram is a speech-to-text provider for servers that speak
// Deepgram's streaming WebSocket API (wss://…/v1/listen): raw 16 kHz
// linear16 audio goes up as binary messages, "Results" messages with
// interim and final transcripts come down, and {"type":"CloseStream"} asks
// the server to flush and close.
package deepgram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"unsafe"

	"github.com/coder/websocket"

	"github.com/avatar-fi/avatar/edge/internal/stt"
)

// DefaultModel is the model asked for when Config.Model is empty.
const DefaultModel = "nova-2"

// ErrConfig is returned by New for a missing or invalid URL.
var ErrConfig = errors.New("deepgram stt: invalid config")

// Config sets up a Transcriber.
type Config struct {
	// URL is the listen endpoint, e.g. wss://api.deepgram.com/v1/listen
	// (http and https are turned into ws and wss). Required.
	URL string
	// APIKey is sent as "Authorization: Token <key>" when set.
	APIKey string
	// Model is the model name (default DefaultModel).
	Model string
	// Language is the language code (default "en").
	Language string
	// HTTPClient dials the WebSocket (optional).
	HTTPClient *http.Client
}

// Transcriber opens one WebSocket per turn; it is safe for concurrent use.
type Transcriber struct{ cfg Config }

// New returns a Transcriber for cfg.
func New(cfg Config) (*Transcriber, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("%w: URL %q", ErrConfig, cfg.URL)
	}
	switch u.Scheme {
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	case "ws", "wss":
	default:
		return nil, fmt.Errorf("%w: URL scheme %q", ErrConfig, u.Scheme)
	}
	if cfg.Model == "" {
		cfg.Model = DefaultModel
	}
	if cfg.Language == "" {
		cfg.Language = "en"
	}
	q := u.Query()
	for k, v := range map[string]string{"encoding": "linear16", "sample_rate": "16000", "channels": "1", "interim_results": "true", "punctuate": "true", "model": cfg.Model, "language": cfg.Language} {
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	cfg.URL = u.String()
	return &Transcriber{cfg: cfg}, nil
}

// NewStream dials the server for one turn.
func (t *Transcriber) NewStream(ctx context.Context) (stt.Stream, error) {
	opts := &websocket.DialOptions{HTTPClient: t.cfg.HTTPClient, HTTPHeader: http.Header{}}
	if t.cfg.APIKey != "" {
		opts.HTTPHeader.Set("Authorization", "Token "+t.cfg.APIKey)
	}
	conn, resp, err := websocket.Dial(ctx, t.cfg.URL, opts)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("%w: dial: %w", stt.ErrEngine, err)
	}
	conn.SetReadLimit(1 << 20)
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &Stream{conn: conn, cancel: cancel, done: make(chan struct{})}
	go s.read(rctx)
	return s, nil
}

// Stream is one turn on one WebSocket; see stt.Stream.
type Stream struct {
	conn   *websocket.Conn
	cancel context.CancelFunc
	done   chan struct{} // closed when the reader stops

	mu      sync.Mutex
	finals  []string
	interim string
	err     error
	closed  bool
}

var _ stt.Stream = (*Stream)(nil)

type result struct {
	Type    string `json:"type"`
	IsFinal bool   `json:"is_final"`
	Channel struct {
		Alternatives []struct {
			Transcript string `json:"transcript"`
		} `json:"alternatives"`
	} `json:"channel"`
}

// read collects results until the server closes the socket.
func (s *Stream) read(ctx context.Context) {
	defer close(s.done)
	for {
		_, b, err := s.conn.Read(ctx)
		if err != nil {
			s.mu.Lock()
			if s.err == nil && websocket.CloseStatus(err) != websocket.StatusNormalClosure && !s.closed {
				s.err = fmt.Errorf("%w: read: %w", stt.ErrEngine, err)
			}
			s.mu.Unlock()
			return
		}
		var r result
		if json.Unmarshal(b, &r) != nil || r.Type != "Results" || len(r.Channel.Alternatives) == 0 {
			continue
		}
		text := strings.TrimSpace(r.Channel.Alternatives[0].Transcript)
		s.mu.Lock()
		if r.IsFinal {
			if text != "" {
				s.finals = append(s.finals, text)
			}
			s.interim = ""
		} else {
			s.interim = text
		}
		s.mu.Unlock()
	}
}

// Write sends pcm as linear16.
func (s *Stream) Write(pcm []int16) error {
	s.mu.Lock()
	closed, err := s.closed, s.err
	s.mu.Unlock()
	if closed {
		return stt.ErrClosed
	}
	if err != nil {
		return err
	}
	if len(pcm) == 0 {
		return nil
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(&pcm[0])), 2*len(pcm)) // little-endian host
	if err := s.conn.Write(context.Background(), websocket.MessageBinary, b); err != nil {
		return fmt.Errorf("%w: write: %w", stt.ErrEngine, err)
	}
	return nil
}

// Partial returns the final results so far and the latest interim one.
func (s *Stream) Partial() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return joinWords(s.finals, s.interim)
}

// Final asks the server to flush and close, and returns every final result.
func (s *Stream) Final(ctx context.Context) (string, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return "", stt.ErrClosed
	}
	s.closed = true
	s.mu.Unlock()
	if err := s.conn.Write(ctx, websocket.MessageText, []byte(`{"type":"CloseStream"}`)); err != nil {
		return "", fmt.Errorf("%w: close stream: %w", stt.ErrEngine, err)
	}
	select {
	case <-s.done:
	case <-ctx.Done():
		return s.Partial(), context.Cause(ctx)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return joinWords(s.finals, ""), s.err
}

// Close closes the socket and waits for the reader.
func (s *Stream) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	_ = s.conn.Close(websocket.StatusNormalClosure, "")
	s.cancel()
	<-s.done
	return nil
}

func joinWords(finals []string, interim string) string {
	if interim == "" {
		return strings.Join(finals, " ")
	}
	return strings.TrimSpace(strings.Join(finals, " ") + " " + interim)
}
