// Package health serves /healthz (the process is alive) and /readyz (every dependency
// answers). Readiness is probed on each request with a short timeout, so a dependency
// that comes back turns the answer to 200 again without a restart.
package health

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"sync"
	"time"
)

// Check reports whether one dependency is reachable.
type Check func(ctx context.Context) error

// Handler serves the two endpoints.
type Handler struct {
	checks  map[string]Check
	timeout time.Duration
}

// New returns a Handler probing checks (name → probe) with a per-probe timeout.
func New(timeout time.Duration, checks map[string]Check) *Handler {
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	return &Handler{checks: checks, timeout: timeout}
}

// Register mounts /healthz and /readyz on mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", h.ready)
}

type result struct {
	Status string            `json:"status"`
	Failed []string          `json:"failed,omitempty"`
	Errors map[string]string `json:"errors,omitempty"`
}

func (h *Handler) ready(w http.ResponseWriter, r *http.Request) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	res := result{Status: "ok"}
	for name, check := range h.checks {
		wg.Add(1)
		go func(ctx context.Context) {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(ctx, h.timeout)
			defer cancel()
			if err := check(ctx); err != nil {
				mu.Lock()
				res.Failed = append(res.Failed, name)
				if res.Errors == nil {
					res.Errors = map[string]string{}
				}
				res.Errors[name] = err.Error()
				mu.Unlock()
			}
		}(r.Context())
	}
	wg.Wait()
	if len(res.Failed) > 0 {
		sort.Strings(res.Failed)
		res.Status = "unavailable"
		writeJSON(w, http.StatusServiceUnavailable, res)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
