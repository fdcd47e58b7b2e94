package llm_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/avatar-fi/avatar/edge/internal/llm"
)

// testKey is the API key the fake provider expects.
const testKey = "sk-test"

// chatBody is the part of a chat completions request the fake provider
// reads. Pointers tell a field that was sent from one that was not.
type chatBody struct {
	Model    string `json:"model"`
	Messages []struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	} `json:"messages"`
	Stream        *bool `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	MaxTokens   *int     `json:"max_tokens"`
	Temperature *float64 `json:"temperature"`
}

// includeUsage reports whether the request asked for a usage chunk.
func (b chatBody) includeUsage() bool { return b.StreamOptions != nil && b.StreamOptions.IncludeUsage }

// promptTokens is the fake provider's token count of the prompt: one token
// per word.
func (b chatBody) promptTokens() int {
	n := 0
	for _, m := range b.Messages {
		n += len(strings.Fields(m.Content))
	}
	return n
}

// respondFunc answers request n (from 1) of a test.
type respondFunc func(w http.ResponseWriter, r *http.Request, n int, body chatBody)

// provider is an in-process server speaking the documented OpenAI chat
// completions wire protocol on POST /v1/chat/completions; each test scripts
// its answers.
type provider struct {
	srv     *httptest.Server
	respond respondFunc

	mu     sync.Mutex
	bodies []chatBody
	times  []time.Time
}

// newProvider starts a provider answering with respond.
func newProvider(tb testing.TB, respond respondFunc) *provider {
	tb.Helper()
	p := &provider{respond: respond}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	tb.Cleanup(p.srv.Close)
	return p
}

func (p *provider) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no route %s %s", r.Method, r.URL.Path))
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+testKey {
		writeError(w, http.StatusUnauthorized, "Incorrect API key provided.")
		return
	}
	var body chatBody
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, "invalid JSON body: "+err.Error())
		return
	}
	p.mu.Lock()
	p.bodies = append(p.bodies, body)
	p.times = append(p.times, time.Now())
	n := len(p.bodies)
	p.mu.Unlock()
	p.respond(w, r, n, body)
}

// requests returns how many chat requests the provider received.
func (p *provider) requests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.bodies)
}

// body returns the body of request i (from 0).
func (p *provider) body(t *testing.T, i int) chatBody {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if i >= len(p.bodies) {
		t.Fatalf("request %d never arrived (%d did)", i+1, len(p.bodies))
	}
	return p.bodies[i]
}

// gap returns the time between requests i and i+1 (from 0).
func (p *provider) gap(t *testing.T, i int) time.Duration {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if i+1 >= len(p.times) {
		t.Fatalf("request %d never arrived (%d did)", i+2, len(p.times))
	}
	return p.times[i+1].Sub(p.times[i])
}

// client returns a Client for p with a transport of its own, test-sized
// time-outs and logs routed to t; edit adjusts the config first.
func (p *provider) client(tb testing.TB, model string, edit func(*llm.Config)) *llm.Client {
	tb.Helper()
	transport := http.DefaultTransport.(*http.Transport).Clone()
	tb.Cleanup(transport.CloseIdleConnections)
	cfg := llm.Config{
		BaseURL:           p.srv.URL,
		APIKey:            testKey,
		Model:             model,
		FirstTokenTimeout: 5 * time.Second,
		Timeout:           10 * time.Second,
		Backoff:           10 * time.Millisecond,
		HTTPClient:        &http.Client{Transport: transport},
		Logger:            slog.New(slog.NewTextHandler(testWriter{tb}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if edit != nil {
		edit(&cfg)
	}
	c, err := llm.New(cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return c
}

// testWriter routes log lines to t.Log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(b), "\n"))
	return len(b), nil
}

// writeError answers with status and an OpenAI-style error body.
func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"error": map[string]any{"message": msg, "type": "invalid_request_error", "param": nil, "code": nil},
	})
}

// sse writes one streamed reply the way the API documents it.
type sse struct {
	w     http.ResponseWriter
	body  chatBody
	count int // content deltas written
}

// startSSE sends the headers of a stream and its role-only first chunk.
func startSSE(w http.ResponseWriter, body chatBody) *sse {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	s := &sse{w: w, body: body}
	s.chunk(map[string]any{"role": "assistant", "content": ""}, nil)
	return s
}

// chunk writes a chat.completion.chunk with one choice.
func (s *sse) chunk(delta map[string]any, finish any) {
	c := map[string]any{
		"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 1700000000, "model": s.body.Model,
		"choices": []any{map[string]any{"index": 0, "delta": delta, "logprobs": nil, "finish_reason": finish}},
	}
	if s.body.includeUsage() {
		c["usage"] = nil
	}
	s.data(c)
}

// data writes one event and flushes it.
func (s *sse) data(v any) {
	b, _ := json.Marshal(v)
	_, _ = fmt.Fprintf(s.w, "data: %s\n\n", b)
	s.w.(http.Flusher).Flush()
}

// content writes one content delta.
func (s *sse) content(text string) {
	s.count++
	s.chunk(map[string]any{"content": text}, nil)
}

// finish writes the finish chunk, the usage chunk when it was asked for,
// and [DONE].
func (s *sse) finish() {
	s.chunk(map[string]any{}, "stop")
	if s.body.includeUsage() {
		p := s.body.promptTokens()
		s.data(map[string]any{
			"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 1700000000, "model": s.body.Model,
			"choices": []any{}, "usage": map[string]any{"prompt_tokens": p, "completion_tokens": s.count, "total_tokens": p + s.count},
		})
	}
	_, _ = fmt.Fprint(s.w, "data: [DONE]\n\n")
	s.w.(http.Flusher).Flush()
}

// reply answers with a whole stream of deltas.
func reply(deltas ...string) respondFunc {
	return func(w http.ResponseWriter, _ *http.Request, _ int, body chatBody) {
		s := startSSE(w, body)
		for _, d := range deltas {
			s.content(d)
		}
		s.finish()
	}
}

// hangUp closes the connection without another byte.
func hangUp(tb testing.TB, w http.ResponseWriter) {
	tb.Helper()
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		tb.Errorf("hijack: %v", err)
		return
	}
	_ = conn.Close()
}

// stall waits until the client goes away (or a bound passes, which fails
// the test) and reports whether it went.
func stall(tb testing.TB, r *http.Request) bool {
	tb.Helper()
	select {
	case <-r.Context().Done():
		return true
	case <-time.After(5 * time.Second):
		tb.Error("the client never closed the request")
		return false
	}
}
