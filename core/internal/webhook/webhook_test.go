package webhook_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/avatar-fi/avatar/core/internal/webhook"
)

func TestSign(t *testing.T) {
	// Computed independently: printf '%s' '1700000000.{"event":"x"}' |
	// openssl dgst -sha256 -hmac 'whsec-test'.
	const want = "sha256=3605c210d78964507eea6bbb1ea3114cfa712fe4f96090245bc9f8fcba3499d3"
	if got := webhook.Sign([]byte("whsec-test"), "1700000000", []byte(`{"event":"x"}`)); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}

func TestNewDelivery(t *testing.T) {
	at := time.Unix(1700000000, 0)
	d, err := webhook.NewDelivery("session.ended", "s1:ended", at, "session", json.RawMessage(`{"id":"s1"}`))
	if err != nil {
		t.Fatal(err)
	}
	const body = `{"deliveryId":"s1:ended","event":"session.ended","session":{"id":"s1"},"timestamp":"1700000000"}`
	if d.Event != "session.ended" || d.ID != "s1:ended" || d.Timestamp != "1700000000" || string(d.Body) != body {
		t.Fatalf("delivery %+v body %s", d, d.Body)
	}
	if _, err := webhook.NewDelivery("x", "y", at, "bad", func() {}); err == nil {
		t.Fatal("a payload JSON cannot encode was accepted")
	}
}

func TestNext(t *testing.T) {
	backoff := []time.Duration{time.Second, time.Minute}
	failed := errors.New("post: HTTP 500")
	tests := []struct {
		name      string
		err       error
		attempt   int
		backoff   []time.Duration
		want      webhook.Result
		wantDelay time.Duration
		label     string
	}{
		{name: "delivered", err: nil, backoff: backoff, want: webhook.Delivered, label: "ok"},
		{name: "private target", err: fmt.Errorf("post: %w", webhook.ErrPrivateTarget), backoff: backoff, want: webhook.Refused, label: "refused"},
		{name: "first failure", err: failed, backoff: backoff, want: webhook.Retry, wantDelay: time.Second, label: "retry"},
		{name: "second failure", err: failed, attempt: 1, backoff: backoff, want: webhook.Retry, wantDelay: time.Minute, label: "retry"},
		{name: "schedule spent", err: failed, attempt: 2, backoff: backoff, want: webhook.Failed, label: "failed"},
		{name: "no schedule", err: failed, want: webhook.Failed, label: "failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, delay := webhook.Next(tt.err, tt.attempt, tt.backoff)
			if got != tt.want || delay != tt.wantDelay || got.String() != tt.label {
				t.Fatalf("Next = %v (%s) after %s, want %v (%s) after %s", got, got, delay, tt.want, tt.label, tt.wantDelay)
			}
		})
	}
}

func TestCheckURL(t *testing.T) {
	tests := []struct {
		name         string
		url          string
		allowPrivate bool
		wantPrivate  bool
		wantErr      bool
	}{
		{name: "public address", url: "https://93.184.215.14/hook"},
		{name: "loopback", url: "http://127.0.0.1:9/x", wantPrivate: true},
		{name: "private range", url: "http://10.1.2.3/x", wantPrivate: true},
		{name: "loopback v6", url: "http://[::1]/x", wantPrivate: true},
		{name: "v4-mapped loopback", url: "http://[::ffff:127.0.0.1]/x", wantPrivate: true},
		{name: "link-local metadata", url: "http://169.254.169.254/latest", wantPrivate: true},
		{name: "shared address space", url: "http://100.64.1.1/x", wantPrivate: true},
		{name: "localhost by name", url: "http://localhost/x", wantPrivate: true},
		{name: "private allowed", url: "http://127.0.0.1:9/x", allowPrivate: true},
		{name: "ftp", url: "ftp://example.com/x", wantErr: true},
		{name: "no host", url: "https:///x", wantErr: true},
		{name: "user info", url: "https://u:p@example.com/x", wantErr: true},
		{name: "not a URL", url: "::", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := webhook.NewClient(time.Second, tt.allowPrivate).CheckURL(t.Context(), tt.url)
			switch {
			case tt.wantPrivate && !errors.Is(err, webhook.ErrPrivateTarget):
				t.Fatalf("CheckURL(%s) = %v, want ErrPrivateTarget", tt.url, err)
			case tt.wantErr && (err == nil || errors.Is(err, webhook.ErrPrivateTarget)):
				t.Fatalf("CheckURL(%s) = %v, want a URL error", tt.url, err)
			case !tt.wantPrivate && !tt.wantErr && err != nil:
				t.Fatalf("CheckURL(%s) = %v", tt.url, err)
			}
		})
	}
}

// received is one request the test receiver got.
type received struct {
	header http.Header
	body   []byte
}

func receiver(t *testing.T, status int) (string, <-chan received) {
	t.Helper()
	got := make(chan received, 1)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- received{r.Header.Clone(), body}
		if status == http.StatusFound {
			http.Redirect(w, r, "/elsewhere", status)
			return
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(hs.Close)
	return hs.URL + "/hook", got
}

func TestPost(t *testing.T) {
	secret := []byte("whsec-" + t.Name())
	d, err := webhook.NewDelivery("document.ready", "doc:1:document.ready", time.Now(), "document", map[string]any{"id": "doc"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		status  int
		wantErr bool
	}{
		{name: "ok", status: http.StatusOK},
		{name: "no content", status: http.StatusNoContent},
		{name: "server error", status: http.StatusInternalServerError, wantErr: true},
		{name: "redirect not followed", status: http.StatusFound, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, got := receiver(t, tt.status)
			err := webhook.NewClient(5*time.Second, true).Post(t.Context(), url, secret, d)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Post = %v, want error %v", err, tt.wantErr)
			}
			r := <-got
			h := r.header
			if h.Get("Content-Type") != "application/json" || h.Get("User-Agent") != "avatar-webhooks/1" ||
				h.Get("X-Avatar-Event") != d.Event || h.Get("X-Avatar-Delivery") != d.ID || h.Get("X-Avatar-Timestamp") != d.Timestamp ||
				h.Get("X-Avatar-Signature") != webhook.Sign(secret, d.Timestamp, r.body) || string(r.body) != string(d.Body) {
				t.Fatalf("request headers %v body %s", h, r.body)
			}
			select {
			case extra := <-got:
				t.Fatalf("a second request (redirect followed?): %v", extra.header)
			default:
			}
		})
	}
}

// TestPostRefusesPrivate: without allowPrivate the dial itself is refused, so a host
// that resolved to a public address when checked cannot reach a private one later.
func TestPostRefusesPrivate(t *testing.T) {
	url, got := receiver(t, http.StatusOK)
	d, err := webhook.NewDelivery("e", "id", time.Now(), "p", 1)
	if err != nil {
		t.Fatal(err)
	}
	err = webhook.NewClient(5*time.Second, false).Post(t.Context(), url, []byte("s"), d)
	if !errors.Is(err, webhook.ErrPrivateTarget) {
		t.Fatalf("Post to %s = %v, want ErrPrivateTarget", url, err)
	}
	select {
	case r := <-got:
		t.Fatalf("the receiver got a request: %v", r.header)
	default:
	}
}
