package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// maxRetryAfter caps a provider's Retry-After; Stream gives up anyway when
// the wait would pass its deadline.
const maxRetryAfter = time.Hour

// maxErrorBody is how much of an error body is read, and maxErrorText how
// much of a body that is not JSON goes into the error text.
const (
	maxErrorBody = 64 << 10
	maxErrorText = 300
)

// backoff returns the wait after failed attempt n (from 1): Backoff doubled
// n-1 times, less up to half of it at random so that many edges retrying
// at once spread out.
func (c *Client) backoff(n int) time.Duration {
	d := c.cfg.Backoff << min(n-1, 16)
	if half := d / 2; half > 0 {
		d -= rand.N(half)
	}
	return d
}

// sleep waits for d or until ctx ends, returning ctx's error then.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// statusError classifies a reply with status 400 or above: 408, 429 and
// 5xx may pass on another attempt (after the Retry-After, when the
// provider sent one); any other status wraps ErrRejected. The provider's message is
// taken from the body, which the SDK has left readable.
func statusError(resp *http.Response) attemptResult {
	var body []byte
	if resp.Body != nil {
		body, _ = io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	}
	msg := providerMessage(body)
	switch code := resp.StatusCode; {
	case code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= http.StatusInternalServerError:
		return attemptResult{
			err:        fmt.Errorf("%s: %s", resp.Status, msg),
			retryable:  true,
			retryAfter: parseRetryAfter(resp.Header, time.Now()),
		}
	default:
		return attemptResult{err: fmt.Errorf("%w: %s: %s", ErrRejected, resp.Status, msg)}
	}
}

// providerMessage finds the message in an error body in the shapes the
// supported servers use: {"error":{"message":…}} (OpenAI, llama.cpp, Ollama,
// recent vLLM), {"error":"…"} (Ollama's native errors), {"message":…}
// (older vLLM) and {"detail":…} (FastAPI validation). Anything else is
// quoted, shortened.
func providerMessage(body []byte) string {
	var v struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
		Detail  json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(body, &v) == nil {
		var nested struct {
			Message string `json:"message"`
		}
		var text string
		switch {
		case len(v.Error) > 0 && json.Unmarshal(v.Error, &nested) == nil && nested.Message != "":
			return nested.Message
		case len(v.Error) > 0 && json.Unmarshal(v.Error, &text) == nil && text != "":
			return text
		case v.Message != "":
			return v.Message
		case len(v.Detail) > 0 && json.Unmarshal(v.Detail, &text) == nil && text != "":
			return text
		case len(v.Detail) > 0 && !bytes.Equal(v.Detail, []byte("null")):
			return shorten(string(v.Detail))
		}
	}
	if text := strings.TrimSpace(string(body)); text != "" {
		return shorten(text)
	}
	return "(empty body)"
}

// shorten cuts s to maxErrorText bytes on a rune boundary.
func shorten(s string) string {
	if len(s) <= maxErrorText {
		return s
	}
	cut := maxErrorText
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// parseRetryAfter reads Retry-After-Ms (OpenAI) or Retry-After (seconds or
// an HTTP date) relative to now; 0 when absent or unreadable.
func parseRetryAfter(h http.Header, now time.Time) time.Duration {
	if v := h.Get("Retry-After-Ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 && !math.IsInf(ms, 0) {
			return min(time.Duration(min(ms, float64(maxRetryAfter/time.Millisecond))*float64(time.Millisecond)), maxRetryAfter)
		}
	}
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s < 0 || math.IsInf(s, 0) || math.IsNaN(s) {
			return 0
		}
		return time.Duration(min(s, maxRetryAfter.Seconds()) * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), maxRetryAfter)
	}
	return 0
}
