// Package openai is a text-to-speech provider for servers that speak
// OpenAI's POST /v1/audio/speech (OpenAI, Kokoro-FastAPI, openedai-speech,
// Piper servers with that front end). It asks for raw PCM (24 kHz, 16-bit
// little-endian mono), streams the body as it arrives and resamples it to
// 48 kHz. ForVoice returns a Synthesizer for another voice, mapping the
// persona voice names of package tts (slt, rms, awb, kal) to OpenAI voices.
package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/avatar-fi/avatar/edge/internal/tts"
)

// PCMRate is the sample rate of the "pcm" response format.
const PCMRate = 24000

// ErrConfig is returned by New for a missing URL and by ForVoice for an
// empty voice name.
var ErrConfig = errors.New("openai tts: invalid config")

// Config sets up a Synthesizer.
type Config struct {
	// URL is the server's base URL (the path /v1/audio/speech is
	// appended). Required.
	URL string
	// APIKey is sent as a bearer token when set.
	APIKey string
	// Model is the model name (default "tts-1").
	Model string
	// Voice is the voice name (default "alloy").
	Voice string
	// HTTPClient makes the requests (default a client with a 60 s timeout).
	HTTPClient *http.Client
}

// Synthesizer speaks through the server; it is safe for concurrent use.
type Synthesizer struct{ cfg Config }

// personaVoices maps the Flite voice names that personas are given (see
// package tts) to OpenAI voices of the same kind, so that a persona's voice
// works on either engine.
var personaVoices = map[string]string{
	"slt": "nova",  // US female
	"rms": "onyx",  // US male, deep
	"awb": "echo",  // male, lighter
	"kal": "alloy", // neutral
}

// PersonaVoice returns the voice ForVoice asks the server for: the mapped
// OpenAI voice for a Flite persona voice name (slt, rms, awb, kal), else
// name itself.
func PersonaVoice(name string) string {
	if v, ok := personaVoices[strings.ToLower(strings.TrimSpace(name))]; ok {
		return v
	}
	return name
}

// ForVoice returns a Synthesizer like s that asks for the named voice: a
// Flite persona voice name, mapped by PersonaVoice, or any voice name the
// server knows (OpenAI's alloy, nova, onyx…, or a Kokoro or Piper server's
// own), passed through. It makes no request, so an unknown voice shows up
// as the server's error on the first Synthesize; an empty name returns an
// error wrapping ErrConfig.
func (s *Synthesizer) ForVoice(name string) (*Synthesizer, error) {
	if strings.TrimSpace(name) == "" {
		return nil, fmt.Errorf("%w: empty voice name", ErrConfig)
	}
	cfg := s.cfg
	cfg.Voice = PersonaVoice(name)
	return &Synthesizer{cfg: cfg}, nil
}

// Voice returns the voice the Synthesizer asks for.
func (s *Synthesizer) Voice() string { return s.cfg.Voice }

// New returns a Synthesizer for cfg.
func New(cfg Config) (*Synthesizer, error) {
	if cfg.URL == "" {
		return nil, fmt.Errorf("%w: URL is required", ErrConfig)
	}
	cfg.URL = strings.TrimRight(cfg.URL, "/")
	if cfg.Model == "" {
		cfg.Model = "tts-1"
	}
	if cfg.Voice == "" {
		cfg.Voice = "alloy"
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	}
	return &Synthesizer{cfg: cfg}, nil
}

// Synthesize streams the speech of text to out as 48 kHz PCM chunks.
func (s *Synthesizer) Synthesize(ctx context.Context, text string, out func(pcm []int16) error) error {
	body, err := json.Marshal(map[string]string{"model": s.cfg.Model, "input": text, "voice": s.cfg.Voice, "response_format": "pcm"})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.URL+"/v1/audio/speech", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: %w", tts.ErrEngine, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if s.cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+s.cfg.APIKey)
	}
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		return fmt.Errorf("%w: speech request: %w", tts.ErrEngine, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%w: speech: %s: %s", tts.ErrEngine, resp.Status, bytes.TrimSpace(b))
	}
	rs, err := tts.NewResampler(PCMRate, tts.SampleRate)
	if err != nil {
		return err
	}
	buf := make([]byte, 4800) // 100 ms
	pcm := make([]int16, 0, len(buf)/2)
	var odd []byte
	for {
		n, rerr := resp.Body.Read(buf)
		data := buf[:n]
		if len(odd) > 0 && n > 0 {
			data = append(odd, data...)
			odd = nil
		}
		if len(data)%2 == 1 {
			odd = []byte{data[len(data)-1]}
			data = data[:len(data)-1]
		}
		pcm = pcm[:0]
		for i := 0; i+1 < len(data); i += 2 {
			pcm = append(pcm, int16(uint16(data[i])|uint16(data[i+1])<<8))
		}
		if len(pcm) > 0 {
			if err := out(rs.Process(pcm)); err != nil {
				return err
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			return fmt.Errorf("%w: read speech: %w", tts.ErrEngine, rerr)
		}
	}
}
