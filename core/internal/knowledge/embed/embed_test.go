package embed_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/avatar-fi/avatar/core/internal/knowledge/embed"
)

func cosine(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func TestHashedDeterministicAndNormalised(t *testing.T) {
	h, err := embed.NewHashed(0)
	if err != nil {
		t.Fatal(err)
	}
	if h.ID() != "hashed-v1-384" || h.Dims() != 384 {
		t.Fatalf("id %s dims %d", h.ID(), h.Dims())
	}
	a := h.Vector("Trade-in appraisals for used vehicles")
	b := h.Vector("Trade-in appraisals for used vehicles")
	if cosine(a, b) < 0.9999 {
		t.Fatal("not deterministic")
	}
	var n float64
	for _, x := range a {
		n += float64(x) * float64(x)
	}
	if math.Abs(n-1) > 1e-5 {
		t.Fatalf("norm² %f", n)
	}
	near := h.Vector("appraisal of a used vehicle trade in")
	far := h.Vector("quarterly payroll tax filing deadline")
	if cosine(a, near) <= cosine(a, far) {
		t.Fatalf("related %f <= unrelated %f", cosine(a, near), cosine(a, far))
	}
	if z := h.Vector("the of and"); cosine(z, z) != 0 {
		t.Fatal("stop words only should give the zero vector")
	}
}

func TestNewHashedRejectsBadDims(t *testing.T) {
	if _, err := embed.NewHashed(3); !errors.Is(err, embed.ErrInvalidOption) {
		t.Fatalf("err %v", err)
	}
}

// openAIServer speaks the documented /v1/embeddings wire protocol in process.
func openAIServer(t *testing.T, dims int, failFirst int32) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		if r.URL.Path != "/v1/embeddings" || r.Header.Get("Authorization") != "Bearer k" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":{"message":"bad key"}}`))
			return
		}
		if n <= failFirst {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"error":{"message":"overloaded"}}`))
			return
		}
		var req struct {
			Model string   `json:"model"`
			Input []string `json:"input"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Model != "m" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		type item struct {
			Object    string    `json:"object"`
			Index     int       `json:"index"`
			Embedding []float64 `json:"embedding"`
		}
		var data []item
		// Reply in reverse order: clients must use index.
		for i := len(req.Input) - 1; i >= 0; i-- {
			v := make([]float64, dims)
			v[len(req.Input[i])%dims] = 3
			data = append(data, item{Object: "embedding", Index: i, Embedding: v})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data, "model": "m"})
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestOpenAI(t *testing.T) {
	tests := []struct {
		name      string
		dims      int
		serveDims int
		failFirst int32
		key       string
		wantErr   error
		wantCalls int32
	}{
		{name: "batches in order", dims: 8, serveDims: 8, wantCalls: 3},
		{name: "retries 503", dims: 8, serveDims: 8, failFirst: 2, wantCalls: 5},
		{name: "wrong dimension", dims: 8, serveDims: 4, wantErr: embed.ErrDimension, wantCalls: 1},
		{name: "bad key not retried", dims: 8, serveDims: 8, key: "x", wantErr: embed.ErrProvider, wantCalls: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, calls := openAIServer(t, tc.serveDims, tc.failFirst)
			key := "k"
			if tc.key != "" {
				key = tc.key
			}
			c, err := embed.NewOpenAI(embed.OpenAIConfig{BaseURL: srv.URL + "/v1", APIKey: key, Model: "m", Dims: tc.dims, BatchSize: 2, Backoff: time.Millisecond, Timeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			texts := []string{"a", "bb", "ccc", "dddd", "eeeee"}
			vecs, err := c.Embed(context.Background(), texts)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err %v, want %v", err, tc.wantErr)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				for i, v := range vecs {
					if v[len(texts[i])%tc.dims] != 1 {
						t.Fatalf("vector %d out of order or not normalised: %v", i, v)
					}
				}
			}
			if calls.Load() != tc.wantCalls {
				t.Fatalf("calls %d, want %d", calls.Load(), tc.wantCalls)
			}
		})
	}
}
