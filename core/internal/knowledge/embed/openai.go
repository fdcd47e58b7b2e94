package embed

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"time"
)

// OpenAIConfig configures an OpenAI-compatible /v1/embeddings client.
type OpenAIConfig struct {
	// BaseURL is the server's base, e.g. "https://api.openai.com/v1" or
	// "http://127.0.0.1:8000/v1"; "/embeddings" is appended. Required.
	BaseURL string
	// APIKey is sent as a Bearer token when set.
	APIKey string
	// Model is the model name sent with each request. Required.
	Model string
	// Dims is the dimension the model returns; required, and checked on every reply.
	Dims int
	// BatchSize caps the texts per request; default 64.
	BatchSize int
	// Timeout bounds one HTTP attempt; default 30s.
	Timeout time.Duration
	// MaxRetries is how often a failed attempt (network error, 429, 5xx) is retried with
	// exponential backoff; default 3.
	MaxRetries int
	// Backoff is the first retry delay, doubled each retry; default 500ms.
	Backoff time.Duration
	// HTTPClient sends the requests; default a client with no overall timeout (Timeout
	// applies per attempt).
	HTTPClient *http.Client
}

// OpenAI embeds texts through an OpenAI-compatible /v1/embeddings endpoint, in batches,
// with a time-out per attempt and retries with backoff on 429, 5xx and network errors.
// It normalises returned vectors. It is safe for concurrent use.
type OpenAI struct {
	cfg OpenAIConfig
}

// NewOpenAI validates cfg, applies defaults and returns the client.
func NewOpenAI(cfg OpenAIConfig) (*OpenAI, error) {
	if cfg.BaseURL == "" {
		return nil, fmt.Errorf("%w: BaseURL is required", ErrInvalidOption)
	}
	if cfg.Model == "" {
		return nil, fmt.Errorf("%w: Model is required", ErrInvalidOption)
	}
	if cfg.Dims < 1 || cfg.Dims > 2000 {
		return nil, fmt.Errorf("%w: Dims %d must be from 1 to 2000", ErrInvalidOption, cfg.Dims)
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 64
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.MaxRetries < 0 {
		return nil, fmt.Errorf("%w: MaxRetries must not be negative", ErrInvalidOption)
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = 3
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 500 * time.Millisecond
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return &OpenAI{cfg: cfg}, nil
}

// ID names the provider model and dimension.
func (o *OpenAI) ID() string { return fmt.Sprintf("openai-%s-%d", o.cfg.Model, o.cfg.Dims) }

// Dims is the vector dimension.
func (o *OpenAI) Dims() int { return o.cfg.Dims }

type embeddingsRequest struct {
	Model          string   `json:"model"`
	Input          []string `json:"input"`
	EncodingFormat string   `json:"encoding_format"`
}

type embeddingsResponse struct {
	Data []struct {
		Index     int       `json:"index"`
		Embedding []float64 `json:"embedding"`
	} `json:"data"`
}

type apiError struct {
	Error struct {
		Message string `json:"message"`
	} `json:"error"`
}

// Embed returns one vector per text, in order.
func (o *OpenAI) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, 0, len(texts))
	for start := 0; start < len(texts); start += o.cfg.BatchSize {
		end := min(start+o.cfg.BatchSize, len(texts))
		vecs, err := o.batch(ctx, texts[start:end])
		if err != nil {
			return nil, err
		}
		out = append(out, vecs...)
	}
	return out, nil
}

func (o *OpenAI) batch(ctx context.Context, texts []string) ([][]float32, error) {
	body, err := json.Marshal(embeddingsRequest{Model: o.cfg.Model, Input: texts, EncodingFormat: "float"})
	if err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	delay := o.cfg.Backoff
	var lastErr error
	for attempt := 0; attempt <= o.cfg.MaxRetries; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return nil, fmt.Errorf("embeddings: %w", ctx.Err())
			case <-time.After(delay):
			}
			delay *= 2
		}
		vecs, retry, err := o.attempt(ctx, body, len(texts))
		if err == nil {
			return vecs, nil
		}
		lastErr = err
		if !retry || ctx.Err() != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("after %d attempts: %w", o.cfg.MaxRetries+1, lastErr)
}

func (o *OpenAI) attempt(ctx context.Context, body []byte, n int) ([][]float32, bool, error) {
	actx, cancel := context.WithTimeout(ctx, o.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, o.cfg.BaseURL+"/embeddings", bytes.NewReader(body))
	if err != nil {
		return nil, false, fmt.Errorf("%w: build request: %w", ErrProvider, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if o.cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+o.cfg.APIKey)
	}
	res, err := o.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, true, fmt.Errorf("%w: %w", ErrProvider, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 256<<20))
	if err != nil {
		return nil, true, fmt.Errorf("%w: read reply: %w", ErrProvider, err)
	}
	if res.StatusCode != http.StatusOK {
		var ae apiError
		_ = json.Unmarshal(raw, &ae)
		retry := res.StatusCode == http.StatusTooManyRequests || res.StatusCode >= 500
		return nil, retry, fmt.Errorf("%w: HTTP %d: %s", ErrProvider, res.StatusCode, ae.Error.Message)
	}
	var er embeddingsResponse
	if err := json.Unmarshal(raw, &er); err != nil {
		return nil, false, fmt.Errorf("%w: decode reply: %w", ErrProvider, err)
	}
	if len(er.Data) != n {
		return nil, false, fmt.Errorf("%w: %d embeddings for %d inputs", ErrProvider, len(er.Data), n)
	}
	out := make([][]float32, n)
	for _, d := range er.Data {
		if d.Index < 0 || d.Index >= n || out[d.Index] != nil {
			return nil, false, fmt.Errorf("%w: bad index %d", ErrProvider, d.Index)
		}
		if len(d.Embedding) != o.cfg.Dims {
			return nil, false, fmt.Errorf("%w: got %d, want %d", ErrDimension, len(d.Embedding), o.cfg.Dims)
		}
		out[d.Index] = normalise(d.Embedding)
	}
	return out, false, nil
}

func normalise(v []float64) []float32 {
	var norm float64
	for _, x := range v {
		norm += x * x
	}
	out := make([]float32, len(v))
	if norm == 0 {
		return out
	}
	norm = math.Sqrt(norm)
	for i, x := range v {
		out[i] = float32(x / norm)
	}
	return out
}
