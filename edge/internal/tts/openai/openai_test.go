package openai_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.uber.org/goleak"

	"github.com/avatar-fi/avatar/edge/internal/tts"
	"github.com/avatar-fi/avatar/edge/internal/tts/openai"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// openAIVoices are the voices OpenAI's speech endpoint documents.
var openAIVoices = map[string]bool{
	"alloy": true, "ash": true, "ballad": true, "coral": true, "echo": true, "fable": true,
	"onyx": true, "nova": true, "sage": true, "shimmer": true, "verse": true,
}

// fakeServer speaks /v1/audio/speech with response_format pcm: 24 kHz PCM,
// 10 ms per input character, flushed in odd-sized pieces. It answers 400
// for a voice OpenAI does not have, and sends each request's voice to
// voices when that is not nil.
func fakeServer(t *testing.T, voices chan<- string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Model, Input, Voice, ResponseFormat string }
		req.ResponseFormat = ""
		var raw map[string]string
		if r.URL.Path != "/v1/audio/speech" || r.Header.Get("Authorization") != "Bearer k" || json.NewDecoder(r.Body).Decode(&raw) != nil {
			http.Error(w, `{"error":"bad request"}`, http.StatusBadRequest)
			return
		}
		req.Model, req.Input, req.Voice, req.ResponseFormat = raw["model"], raw["input"], raw["voice"], raw["response_format"]
		if req.ResponseFormat != "pcm" || req.Model != "tts-1" {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		if !openAIVoices[req.Voice] {
			http.Error(w, `{"error":{"message":"Invalid voice","type":"invalid_request_error"}}`, http.StatusBadRequest)
			return
		}
		if voices != nil {
			voices <- req.Voice
		}
		pcm := make([]byte, 2*240*len(req.Input))
		for i := 0; i < len(pcm)/2; i++ {
			binary.LittleEndian.PutUint16(pcm[2*i:], uint16(int16(1000)))
		}
		w.Header().Set("Content-Type", "audio/pcm")
		for len(pcm) > 0 {
			n := min(len(pcm), 1001)
			_, _ = w.Write(pcm[:n])
			w.(http.Flusher).Flush()
			pcm = pcm[n:]
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestSynthesize(t *testing.T) {
	voices := make(chan string, 1)
	srv := fakeServer(t, voices)
	s, err := openai.New(openai.Config{URL: srv.URL, APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	var n, chunks int
	err = s.Synthesize(t.Context(), "Hello there.", func(pcm []int16) error { n += len(pcm); chunks++; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if v := <-voices; v != "alloy" {
		t.Errorf("voice %q, want the default alloy", v)
	}
	want := 12 * 480 // 12 characters × 10 ms at 48 kHz
	if n < want-100 || n > want || chunks < 2 {
		t.Errorf("%d samples in %d chunks, want about %d streamed", n, chunks, want)
	}
	errStop := errors.New("stop")
	ctx, cancel := context.WithCancelCause(t.Context())
	err = s.Synthesize(ctx, "A much longer sentence to be interrupted.", func([]int16) error { cancel(errStop); return errStop })
	<-voices
	if !errors.Is(err, errStop) {
		t.Errorf("interrupted: %v", err)
	}
	bad, _ := openai.New(openai.Config{URL: srv.URL, APIKey: "wrong"})
	if err := bad.Synthesize(t.Context(), "x", func([]int16) error { return nil }); !errors.Is(err, tts.ErrEngine) {
		t.Errorf("bad key: %v", err)
	}
}

// TestForVoice checks that persona voice names map to OpenAI voices, that
// OpenAI names pass through, and that the server's refusal of an unknown
// voice reaches the caller.
func TestForVoice(t *testing.T) {
	voices := make(chan string, 1)
	srv := fakeServer(t, voices)
	s, err := openai.New(openai.Config{URL: srv.URL, APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, voice, want string
	}{
		{"slt", "slt", "nova"},
		{"rms", "RMS", "onyx"},
		{"awb", "awb", "echo"},
		{"kal", "kal", "alloy"},
		{"openai name", "shimmer", "shimmer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := s.ForVoice(tc.voice)
			if err != nil {
				t.Fatal(err)
			}
			if v.Voice() != tc.want || openai.PersonaVoice(tc.voice) != tc.want {
				t.Errorf("voice %q, want %q", v.Voice(), tc.want)
			}
			if err := v.Synthesize(t.Context(), "Hi.", func([]int16) error { return nil }); err != nil {
				t.Fatal(err)
			}
			if got := <-voices; got != tc.want {
				t.Errorf("server got voice %q, want %q", got, tc.want)
			}
		})
	}
	if s.Voice() != "alloy" {
		t.Errorf("ForVoice changed the original's voice to %q", s.Voice())
	}
	v, err := s.ForVoice("af_bella")
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Synthesize(t.Context(), "Hi.", func([]int16) error { return nil }); !errors.Is(err, tts.ErrEngine) {
		t.Errorf("voice the server lacks: %v, want ErrEngine", err)
	}
	if _, err := s.ForVoice(" "); !errors.Is(err, openai.ErrConfig) {
		t.Errorf("empty voice: %v, want ErrConfig", err)
	}
}
