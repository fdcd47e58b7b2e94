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

// fakeServer speaks /v1/audio/speech with response_format pcm: 24 kHz PCM,
// 10 ms per input character, flushed in odd-sized pieces.
func fakeServer(t *testing.T) *httptest.Server {
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
		if req.ResponseFormat != "pcm" || req.Model != "tts-1" || req.Voice != "alloy" {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
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
	srv := fakeServer(t)
	s, err := openai.New(openai.Config{URL: srv.URL, APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	var n, chunks int
	err = s.Synthesize(t.Context(), "Hello there.", func(pcm []int16) error { n += len(pcm); chunks++; return nil })
	if err != nil {
		t.Fatal(err)
	}
	want := 12 * 480 // 12 characters × 10 ms at 48 kHz
	if n < want-100 || n > want || chunks < 2 {
		t.Errorf("%d samples in %d chunks, want about %d streamed", n, chunks, want)
	}
	errStop := errors.New("stop")
	ctx, cancel := context.WithCancelCause(t.Context())
	err = s.Synthesize(ctx, "A much longer sentence to be interrupted.", func([]int16) error { cancel(errStop); return errStop })
	if !errors.Is(err, errStop) {
		t.Errorf("interrupted: %v", err)
	}
	bad, _ := openai.New(openai.Config{URL: srv.URL, APIKey: "wrong"})
	if err := bad.Synthesize(t.Context(), "x", func([]int16) error { return nil }); !errors.Is(err, tts.ErrEngine) {
		t.Errorf("bad key: %v", err)
	}
}
