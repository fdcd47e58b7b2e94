package deepgram_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"

	"github.com/avatar-fi/avatar/edge/internal/stt/deepgram"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeServer speaks Deepgram's streaming protocol: an interim result after
// the first audio, a final result per 100 ms of audio, and on CloseStream a
// last final and a normal close.
func fakeServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if r.URL.Path != "/v1/listen" || r.Header.Get("Authorization") != "Token k" || q.Get("encoding") != "linear16" || q.Get("sample_rate") != "16000" {
			http.Error(w, "bad request", http.StatusUnauthorized)
			return
		}
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx := r.Context()
		send := func(text string, final bool) {
			b, _ := json.Marshal(map[string]any{"type": "Results", "is_final": final,
				"channel": map[string]any{"alternatives": []map[string]any{{"transcript": text, "confidence": 0.9}}}})
			_ = c.Write(ctx, websocket.MessageText, b)
		}
		bytes := 0
		words := []string{"go", "forward", "ten", "meters"}
		n := 0
		for {
			typ, b, err := c.Read(ctx)
			if err != nil {
				return
			}
			if typ == websocket.MessageText {
				var m struct{ Type string }
				_ = json.Unmarshal(b, &m)
				if m.Type == "CloseStream" {
					send("meters", true)
					_ = c.Write(ctx, websocket.MessageText, []byte(`{"type":"Metadata"}`))
					c.Close(websocket.StatusNormalClosure, "")
					return
				}
				continue
			}
			bytes += len(b)
			if bytes == len(b) {
				send("go", false)
			}
			if bytes >= 3200*(n+1) && n < 3 {
				send(words[n], true)
				n++
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestStream(t *testing.T) {
	srv := fakeServer(t)
	tr, err := deepgram.New(deepgram.Config{URL: srv.URL + "/v1/listen", APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	s, err := tr.NewStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for range 15 { // 300 ms
		if err := s.Write(make([]int16, 320)); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.Partial() != "go forward ten" && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if p := s.Partial(); p != "go forward ten" {
		t.Errorf("Partial %q", p)
	}
	got, err := s.Final(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got != "go forward ten meters" {
		t.Errorf("Final %q", got)
	}
}

func TestDialRefused(t *testing.T) {
	srv := fakeServer(t)
	tr, _ := deepgram.New(deepgram.Config{URL: srv.URL + "/v1/listen", APIKey: "wrong"})
	if _, err := tr.NewStream(t.Context()); err == nil {
		t.Error("NewStream with a bad key succeeded")
	}
	if _, err := deepgram.New(deepgram.Config{URL: "ftp://x"}); err == nil {
		t.Error("New with ftp URL succeeded")
	}
}
