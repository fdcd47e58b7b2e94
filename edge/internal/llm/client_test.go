package llm_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/goleak"

	"github.com/avatar-fi/avatar/edge/internal/llm"
	"github.com/avatar-fi/avatar/edge/internal/metrics"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// coachRequest is a typical coach request.
func coachRequest() llm.Request {
	return llm.Request{
		Messages: []llm.Message{
			{Role: llm.RoleSystem, Content: "Answer from the passages only. Passage: the powertrain warranty covers the engine for five years."},
			{Role: llm.RoleUser, Content: "What does the powertrain warranty cover?"},
			{Role: llm.RoleAssistant, Content: "Shall I check the passages?"},
			{Role: llm.RoleUser, Content: "Yes please."},
		},
		MaxTokens: 120,
		Purpose:   llm.PurposeCoach,
	}
}

// collect returns an out func appending to *got.
func collect(got *[]string) func(string) error {
	return func(d string) error {
		*got = append(*got, d)
		return nil
	}
}

// outcomes reads the request outcome counter for purpose.
func outcomes(purpose string) map[string]float64 {
	m := map[string]float64{}
	for _, o := range []string{"ok", "error", "cancelled", "retried"} {
		m[o] = testutil.ToFloat64(metrics.LLMRequests.WithLabelValues(purpose, o))
	}
	return m
}

// firstTokenCount reads the number of first-token observations for purpose.
func firstTokenCount(t *testing.T, purpose string) uint64 {
	t.Helper()
	var m dto.Metric
	if err := metrics.LLMFirstToken.WithLabelValues(purpose).(prometheus.Histogram).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetHistogram().GetSampleCount()
}

// checkOutcomes fails unless the outcome counters moved from before by want.
func checkOutcomes(t *testing.T, purpose string, before map[string]float64, want map[string]float64) {
	t.Helper()
	after := outcomes(purpose)
	for o := range after {
		if d := after[o] - before[o]; d != want[o] {
			t.Errorf("outcome %q moved by %v, want %v", o, d, want[o])
		}
	}
}

func TestStream(t *testing.T) {
	deltas := []string{"The powertrain ", "warranty covers ", "the engine ", "for five ", "years."}
	p := newProvider(t, reply(deltas...))
	model := "test-stream-model"
	c := p.client(t, model, nil)
	req := coachRequest()

	before := outcomes(llm.PurposeCoach)
	ttftBefore := firstTokenCount(t, llm.PurposeCoach)
	var got []string
	usage, err := c.Stream(t.Context(), req, collect(&got))
	if err != nil {
		t.Fatalf("Stream: %v", err)
	}
	if strings.Join(got, "|") != strings.Join(deltas, "|") {
		t.Errorf("deltas %q, want %q in order", got, deltas)
	}
	if text := strings.Join(got, ""); text != "The powertrain warranty covers the engine for five years." {
		t.Errorf("text %q", text)
	}

	body := p.body(t, 0)
	wantUsage := llm.Usage{PromptTokens: body.promptTokens(), CompletionTokens: len(deltas)}
	if usage != wantUsage || usage.PromptTokens == 0 {
		t.Errorf("usage %+v, want %+v", usage, wantUsage)
	}
	if got := testutil.ToFloat64(metrics.LLMCompletionTokens.WithLabelValues(llm.PurposeCoach, model)); got != float64(len(deltas)) {
		t.Errorf("completion tokens metric %v, want %d", got, len(deltas))
	}
	if got := testutil.ToFloat64(metrics.LLMPromptTokens.WithLabelValues(llm.PurposeCoach, model)); got != float64(wantUsage.PromptTokens) {
		t.Errorf("prompt tokens metric %v, want %d", got, wantUsage.PromptTokens)
	}
	checkOutcomes(t, llm.PurposeCoach, before, map[string]float64{"ok": 1})
	if d := firstTokenCount(t, llm.PurposeCoach) - ttftBefore; d != 1 {
		t.Errorf("first-token histogram got %d observations, want 1", d)
	}

	// The request as the provider received it.
	if body.Model != model {
		t.Errorf("model %q, want %q", body.Model, model)
	}
	if body.Stream == nil || !*body.Stream {
		t.Errorf("stream is not true")
	}
	if !body.includeUsage() {
		t.Errorf("stream_options.include_usage is not true")
	}
	if body.MaxTokens == nil || *body.MaxTokens != req.MaxTokens {
		t.Errorf("max_tokens %v, want %d", body.MaxTokens, req.MaxTokens)
	}
	if body.Temperature == nil || *body.Temperature != 0 {
		t.Errorf("temperature %v, want 0 sent explicitly", body.Temperature)
	}
	if len(body.Messages) != len(req.Messages) {
		t.Fatalf("%d messages, want %d", len(body.Messages), len(req.Messages))
	}
	for i, m := range req.Messages {
		if body.Messages[i].Role != m.Role || body.Messages[i].Content != m.Content {
			t.Errorf("message %d is %+v, want %+v", i, body.Messages[i], m)
		}
	}
	if n := p.requests(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestStreamBaseURLForms(t *testing.T) {
	p := newProvider(t, reply("Hi."))
	tests := []struct {
		name string
		base func(root string) string
	}{
		{name: "server root", base: func(root string) string { return root }},
		{name: "root with slash", base: func(root string) string { return root + "/" }},
		{name: "ending in /v1", base: func(root string) string { return root + "/v1" }},
		{name: "ending in /v1/", base: func(root string) string { return root + "/v1/" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := p.client(t, "test-base-model", func(cfg *llm.Config) { cfg.BaseURL = tt.base(p.srv.URL) })
			var got []string
			if _, err := c.Stream(t.Context(), coachRequest(), collect(&got)); err != nil {
				t.Fatalf("Stream: %v", err)
			}
			if strings.Join(got, "") != "Hi." {
				t.Errorf("got %q", got)
			}
		})
	}
}

func TestStreamRetry(t *testing.T) {
	tests := []struct {
		name     string
		respond  respondFunc
		edit     func(*llm.Config)
		requests int           // requests the provider must see
		minGap   time.Duration // least time between the first two
		wantErr  []error       // nil: the answer must arrive
	}{
		{
			name: "500 then success",
			respond: func(w http.ResponseWriter, r *http.Request, n int, body chatBody) {
				if n == 1 {
					writeError(w, http.StatusInternalServerError, "engine overloaded")
					return
				}
				reply("Five ", "years.")(w, r, n, body)
			},
			requests: 2,
		},
		{
			name: "429 with Retry-After seconds",
			respond: func(w http.ResponseWriter, r *http.Request, n int, body chatBody) {
				if n == 1 {
					w.Header().Set("Retry-After", "1")
					writeError(w, http.StatusTooManyRequests, "Rate limit reached")
					return
				}
				reply("Five ", "years.")(w, r, n, body)
			},
			requests: 2,
			minGap:   time.Second,
		},
		{
			name: "429 with Retry-After-Ms",
			respond: func(w http.ResponseWriter, r *http.Request, n int, body chatBody) {
				if n == 1 {
					w.Header().Set("Retry-After-Ms", "400")
					writeError(w, http.StatusTooManyRequests, "Rate limit reached")
					return
				}
				reply("Five ", "years.")(w, r, n, body)
			},
			requests: 2,
			minGap:   400 * time.Millisecond,
		},
		{
			name: "connection closed before any byte",
			respond: func(w http.ResponseWriter, r *http.Request, n int, body chatBody) {
				if n == 1 {
					hangUp(t, w)
					return
				}
				reply("Five ", "years.")(w, r, n, body)
			},
			requests: 2,
		},
		{
			name: "connection closed after the role chunk",
			respond: func(w http.ResponseWriter, r *http.Request, n int, body chatBody) {
				if n == 1 {
					startSSE(w, body)
					hangUp(t, w)
					return
				}
				reply("Five ", "years.")(w, r, n, body)
			},
			requests: 2,
		},
		{
			name: "first-token timeout",
			respond: func(w http.ResponseWriter, r *http.Request, n int, body chatBody) {
				if n == 1 {
					startSSE(w, body) // the role chunk is not a token
					stall(t, r)
					return
				}
				reply("Five ", "years.")(w, r, n, body)
			},
			// Generous, so that the second, prompt attempt never times out
			// on a loaded machine.
			edit:     func(cfg *llm.Config) { cfg.FirstTokenTimeout = time.Second },
			requests: 2,
			minGap:   time.Second,
		},
		{
			name: "503 on every attempt",
			respond: func(w http.ResponseWriter, _ *http.Request, _ int, _ chatBody) {
				writeError(w, http.StatusServiceUnavailable, "no replica ready")
			},
			requests: 3,
			wantErr:  []error{llm.ErrUnavailable},
		},
		{
			name: "first-token timeout on every attempt",
			respond: func(w http.ResponseWriter, r *http.Request, _ int, body chatBody) {
				startSSE(w, body)
				stall(t, r)
			},
			edit:     func(cfg *llm.Config) { cfg.FirstTokenTimeout = 100 * time.Millisecond },
			requests: 3,
			wantErr:  []error{llm.ErrUnavailable, llm.ErrFirstTokenTimeout},
		},
		{
			name: "Retry-After beyond the deadline gives up at once",
			respond: func(w http.ResponseWriter, _ *http.Request, _ int, _ chatBody) {
				w.Header().Set("Retry-After", "120")
				writeError(w, http.StatusTooManyRequests, "Rate limit reached")
			},
			requests: 1,
			wantErr:  []error{llm.ErrUnavailable},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProvider(t, tt.respond)
			c := p.client(t, "test-retry-model", tt.edit)
			before := outcomes(llm.PurposeCustomer)
			req := coachRequest()
			req.Purpose = llm.PurposeCustomer
			var got []string
			_, err := c.Stream(t.Context(), req, collect(&got))
			if n := p.requests(); n != tt.requests {
				t.Errorf("provider saw %d requests, want %d", n, tt.requests)
			}
			retried := float64(tt.requests - 1)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Stream: %v", err)
				}
				if text := strings.Join(got, ""); text != "Five years." {
					t.Errorf("text %q, want one answer %q", text, "Five years.")
				}
				checkOutcomes(t, llm.PurposeCustomer, before, map[string]float64{"ok": 1, "retried": retried})
			} else {
				for _, want := range tt.wantErr {
					if !errors.Is(err, want) {
						t.Errorf("error %v, want one wrapping %v", err, want)
					}
				}
				if len(got) != 0 {
					t.Errorf("deltas %q delivered from a failed call", got)
				}
				checkOutcomes(t, llm.PurposeCustomer, before, map[string]float64{"error": 1, "retried": retried})
			}
			if tt.minGap > 0 {
				if gap := p.gap(t, 0); gap < tt.minGap {
					t.Errorf("retry came %v after the first request, want at least %v", gap, tt.minGap)
				}
			}
		})
	}
}

func TestStreamRejected(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		wantMsg string
	}{
		{
			name:    "OpenAI error object",
			status:  http.StatusBadRequest,
			body:    `{"error":{"message":"max_tokens is too large: 99999.","type":"invalid_request_error","param":"max_tokens","code":null}}`,
			wantMsg: "max_tokens is too large: 99999.",
		},
		{
			name:    "older vLLM top-level message",
			status:  http.StatusBadRequest,
			body:    `{"object":"error","message":"This model's maximum context length is 4096 tokens.","type":"BadRequestError","param":null,"code":400}`,
			wantMsg: "This model's maximum context length is 4096 tokens.",
		},
		{
			name:    "Ollama error string",
			status:  http.StatusNotFound,
			body:    `{"error":"model \"llama3.2\" not found, try pulling it first"}`,
			wantMsg: `model "llama3.2" not found, try pulling it first`,
		},
		{
			name:    "plain text",
			status:  http.StatusUnauthorized,
			body:    "Unauthorized",
			wantMsg: "401 Unauthorized: Unauthorized",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProvider(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ chatBody) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			})
			c := p.client(t, "test-rejected-model", nil)
			before := outcomes(llm.PurposeCoach)
			_, err := c.Stream(t.Context(), coachRequest(), func(string) error { return nil })
			if !errors.Is(err, llm.ErrRejected) {
				t.Fatalf("error %v, want ErrRejected", err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not carry %q", err, tt.wantMsg)
			}
			if n := p.requests(); n != 1 {
				t.Errorf("provider saw %d requests, want 1 (no retry)", n)
			}
			checkOutcomes(t, llm.PurposeCoach, before, map[string]float64{"error": 1})
		})
	}
}

func TestStreamCut(t *testing.T) {
	tests := []struct {
		name string
		cut  func(t *testing.T, w http.ResponseWriter, s *sse)
	}{
		{name: "connection closed", cut: func(t *testing.T, w http.ResponseWriter, _ *sse) { t.Helper(); hangUp(t, w) }},
		{name: "error event", cut: func(_ *testing.T, _ http.ResponseWriter, s *sse) {
			s.data(map[string]any{"error": map[string]any{"message": "engine died", "type": "server_error"}})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProvider(t, func(w http.ResponseWriter, _ *http.Request, _ int, body chatBody) {
				s := startSSE(w, body)
				s.content("The warranty ")
				s.content("covers ")
				tt.cut(t, w, s)
			})
			c := p.client(t, "test-cut-model", nil)
			before := outcomes(llm.PurposeCoach)
			var got []string
			_, err := c.Stream(t.Context(), coachRequest(), collect(&got))
			if !errors.Is(err, llm.ErrStreamCut) {
				t.Errorf("error %v, want ErrStreamCut", err)
			}
			if text := strings.Join(got, ""); text != "The warranty covers " {
				t.Errorf("partial text %q, want %q", text, "The warranty covers ")
			}
			if n := p.requests(); n != 1 {
				t.Errorf("provider saw %d requests, want 1 (no retry after a delta)", n)
			}
			checkOutcomes(t, llm.PurposeCoach, before, map[string]float64{"error": 1})
		})
	}
}

func TestStreamCancel(t *testing.T) {
	errBargeIn := errors.New("test: barge-in")
	tests := []struct {
		name       string
		firstDelta bool // whether the provider sends a delta before stalling
	}{
		{name: "barge-in after the first delta", firstDelta: true},
		{name: "hang-up before the first token", firstDelta: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sawClose := make(chan bool, 1)
			streaming := make(chan struct{})
			p := newProvider(t, func(w http.ResponseWriter, r *http.Request, _ int, body chatBody) {
				s := startSSE(w, body)
				if tt.firstDelta {
					s.content("Sure, ")
				}
				close(streaming)
				sawClose <- stall(t, r)
			})
			c := p.client(t, "test-cancel-model", nil)
			ctx, cancel := context.WithCancelCause(t.Context())
			defer cancel(nil)
			if !tt.firstDelta {
				go func() {
					select {
					case <-streaming:
					case <-time.After(5 * time.Second):
					}
					cancel(errBargeIn)
				}()
			}
			before := outcomes(llm.PurposeCustomer)
			var got []string
			req := coachRequest()
			req.Purpose = llm.PurposeCustomer
			_, err := c.Stream(ctx, req, func(d string) error {
				got = append(got, d)
				cancel(errBargeIn)
				return nil
			})
			if !errors.Is(err, errBargeIn) {
				t.Errorf("error %v, want the cause %v", err, errBargeIn)
			}
			select {
			case ok := <-sawClose:
				if !ok {
					t.Error("the provider never saw the request end")
				}
			case <-time.After(5 * time.Second):
				t.Error("the provider handler never returned")
			}
			wantDeltas := 0
			if tt.firstDelta {
				wantDeltas = 1
			}
			if len(got) != wantDeltas {
				t.Errorf("deltas %q, want %d", got, wantDeltas)
			}
			if n := p.requests(); n != 1 {
				t.Errorf("provider saw %d requests, want 1", n)
			}
			checkOutcomes(t, llm.PurposeCustomer, before, map[string]float64{"cancelled": 1})
		})
	}
}

func TestStreamOutError(t *testing.T) {
	p := newProvider(t, reply("One. ", "Two. ", "Three."))
	c := p.client(t, "test-out-model", nil)
	errStop := errors.New("test: tts failed")
	var got []string
	_, err := c.Stream(t.Context(), coachRequest(), func(d string) error {
		got = append(got, d)
		if len(got) == 2 {
			return errStop
		}
		return nil
	})
	if !errors.Is(err, errStop) {
		t.Errorf("error %v, want out's %v", err, errStop)
	}
	if len(got) != 2 {
		t.Errorf("out called %d times, want 2", len(got))
	}
	if n := p.requests(); n != 1 {
		t.Errorf("provider saw %d requests, want 1", n)
	}
}

func TestStreamTimeout(t *testing.T) {
	p := newProvider(t, func(w http.ResponseWriter, r *http.Request, _ int, body chatBody) {
		s := startSSE(w, body)
		s.content("Let me ")
		stall(t, r)
	})
	c := p.client(t, "test-timeout-model", func(cfg *llm.Config) {
		cfg.FirstTokenTimeout = time.Second
		cfg.Timeout = 1500 * time.Millisecond
	})
	var got []string
	_, err := c.Stream(t.Context(), coachRequest(), collect(&got))
	if !errors.Is(err, llm.ErrStreamCut) || !errors.Is(err, llm.ErrTimeout) {
		t.Errorf("error %v, want ErrStreamCut and ErrTimeout", err)
	}
	if strings.Join(got, "") != "Let me " {
		t.Errorf("partial text %q", got)
	}
	if n := p.requests(); n != 1 {
		t.Errorf("provider saw %d requests, want 1", n)
	}
}

func TestStreamInvalidRequest(t *testing.T) {
	p := newProvider(t, reply("Hi."))
	c := p.client(t, "test-invalid-model", nil)
	tests := []struct {
		name string
		edit func(*llm.Request)
		want string
	}{
		{name: "no messages", edit: func(r *llm.Request) { r.Messages = nil }, want: "Messages"},
		{name: "unknown role", edit: func(r *llm.Request) { r.Messages[1].Role = "tool" }, want: "Messages[1].Role"},
		{name: "unknown purpose", edit: func(r *llm.Request) { r.Purpose = "session-42" }, want: "Purpose"},
		{name: "negative max tokens", edit: func(r *llm.Request) { r.MaxTokens = -1 }, want: "MaxTokens"},
		{name: "temperature above 2", edit: func(r *llm.Request) { r.Temperature = 2.5 }, want: "Temperature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := coachRequest()
			tt.edit(&req)
			_, err := c.Stream(t.Context(), req, func(string) error { return nil })
			if !errors.Is(err, llm.ErrInvalidRequest) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want ErrInvalidRequest naming %s", err, tt.want)
			}
		})
	}
	if n := p.requests(); n != 0 {
		t.Errorf("provider saw %d requests, want none", n)
	}
}

func TestNew(t *testing.T) {
	valid := llm.Config{BaseURL: "http://127.0.0.1:8000", Model: "m"}
	tests := []struct {
		name string
		edit func(*llm.Config)
		want string // the field the error names; "" for a valid config
	}{
		{name: "valid", edit: func(*llm.Config) {}},
		{name: "no base URL", edit: func(c *llm.Config) { c.BaseURL = "" }, want: "BaseURL"},
		{name: "base URL without scheme", edit: func(c *llm.Config) { c.BaseURL = "127.0.0.1:8000" }, want: "BaseURL"},
		{name: "base URL with query", edit: func(c *llm.Config) { c.BaseURL = "http://h/?x=1" }, want: "BaseURL"},
		{name: "no model", edit: func(c *llm.Config) { c.Model = " " }, want: "Model"},
		{name: "negative first-token timeout", edit: func(c *llm.Config) { c.FirstTokenTimeout = -time.Second }, want: "FirstTokenTimeout"},
		{name: "negative timeout", edit: func(c *llm.Config) { c.Timeout = -time.Second }, want: "Timeout"},
		{name: "first-token timeout above timeout", edit: func(c *llm.Config) {
			c.FirstTokenTimeout, c.Timeout = 2*time.Second, time.Second
		}, want: "FirstTokenTimeout"},
		{name: "negative attempts", edit: func(c *llm.Config) { c.MaxAttempts = -1 }, want: "MaxAttempts"},
		{name: "negative backoff", edit: func(c *llm.Config) { c.Backoff = -time.Millisecond }, want: "Backoff"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid
			tt.edit(&cfg)
			c, err := llm.New(cfg)
			if tt.want == "" {
				if err != nil || c == nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if !errors.Is(err, llm.ErrConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want ErrConfig naming %s", err, tt.want)
			}
		})
	}
}

func TestStreamIgnoresOpenAIEnvironment(t *testing.T) {
	// A self-hosted server must never receive an OpenAI key from the
	// environment, nor be swapped for OPENAI_BASE_URL.
	t.Setenv("OPENAI_API_KEY", "sk-from-environment")
	t.Setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1/")
	t.Setenv("OPENAI_ORG_ID", "org-from-environment")
	headers := make(chan http.Header, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		headers <- r.Header.Clone()
		var body chatBody
		_ = json.NewDecoder(r.Body).Decode(&body)
		reply("Hi.")(w, r, 1, body)
	}))
	t.Cleanup(srv.Close)
	transport := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(transport.CloseIdleConnections)
	c, err := llm.New(llm.Config{BaseURL: srv.URL, Model: "test-env-model", HTTPClient: &http.Client{Transport: transport}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	if _, err := c.Stream(t.Context(), coachRequest(), collect(&got)); err != nil {
		t.Fatalf("Stream: %v", err)
	}
	h := <-headers
	if a := h.Get("Authorization"); a != "" {
		t.Errorf("Authorization %q sent without an APIKey", a)
	}
	if o := h.Get("OpenAI-Organization"); o != "" {
		t.Errorf("OpenAI-Organization %q sent from the environment", o)
	}
	if strings.Join(got, "") != "Hi." {
		t.Errorf("got %q", got)
	}
}
