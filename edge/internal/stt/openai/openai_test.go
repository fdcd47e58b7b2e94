package openai_test

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"

	"github.com/avatar-fi/avatar/edge/internal/stt"
	"github.com/avatar-fi/avatar/edge/internal/stt/openai"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeServer speaks /v1/audio/transcriptions: it checks the request and
// answers with the number of samples it received.
func fakeServer(t *testing.T, status int) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.Method != http.MethodPost || r.URL.Path != "/v1/audio/transcriptions" || r.Header.Get("Authorization") != "Bearer k" {
			http.Error(w, "bad request line or key", http.StatusBadRequest)
			return
		}
		if status != http.StatusOK {
			http.Error(w, `{"error":{"message":"nope"}}`, status)
			return
		}
		f, _, err := r.FormFile("file")
		if err != nil || r.FormValue("model") != "whisper-1" || r.FormValue("response_format") != "json" {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		b, _ := io.ReadAll(f)
		if len(b) < 44 || string(b[:4]) != "RIFF" || binary.LittleEndian.Uint32(b[24:]) != 16000 {
			http.Error(w, "bad wav", http.StatusBadRequest)
			return
		}
		text := map[int]string{1600: "hello", 3200: "world"}[(len(b)-44)/2]
		_ = json.NewEncoder(w).Encode(map[string]string{"text": " " + text + " "})
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestStream(t *testing.T) {
	srv, calls := fakeServer(t, http.StatusOK)
	tr, err := openai.New(openai.Config{URL: srv.URL + "/", APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := tr.NewStream(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for range 5 { // 100 ms
		if err := s.Write(make([]int16, 320)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.(stt.Segmenter).Segment(); err != nil {
		t.Fatal(err)
	}
	for range 10 { // 200 ms
		_ = s.Write(make([]int16, 320))
	}
	got, err := s.Final(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got != "hello world" || calls.Load() != 2 {
		t.Errorf("Final %q after %d requests, want \"hello world\" after 2", got, calls.Load())
	}
	if err := s.Write(make([]int16, 320)); !errors.Is(err, stt.ErrClosed) {
		t.Errorf("Write after Final: %v", err)
	}
}

func TestServerError(t *testing.T) {
	srv, _ := fakeServer(t, http.StatusTooManyRequests)
	tr, _ := openai.New(openai.Config{URL: srv.URL, APIKey: "k"})
	s, _ := tr.NewStream(t.Context())
	defer s.Close()
	_ = s.Write(make([]int16, 3200))
	if _, err := s.Final(t.Context()); !errors.Is(err, stt.ErrEngine) {
		t.Errorf("Final: %v, want ErrEngine", err)
	}
	if _, err := openai.New(openai.Config{}); !errors.Is(err, openai.ErrConfig) {
		t.Errorf("New without URL: %v", err)
	}
}
