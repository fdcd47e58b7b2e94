package cors_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/avatar-fi/avatar/platform/cors"
)

func TestHandler(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Location", "/v1/calls/abc")
		w.WriteHeader(http.StatusCreated)
	})
	cfg := cors.Config{
		Origins:       []string{"http://localhost:5173", "http://localhost:8080/"},
		AllowHeaders:  []string{"X-Request-Id"},
		ExposeHeaders: []string{"X-Request-Id"},
	}
	tests := []struct {
		name       string
		cfg        cors.Config
		method     string
		header     map[string]string
		wantStatus int
		wantOrigin string
		wantExpose bool
		wantMaxAge bool
	}{
		{name: "no origin passes through", cfg: cfg, method: http.MethodPost, wantStatus: http.StatusCreated},
		{name: "allowed origin, simple request", cfg: cfg, method: http.MethodPost,
			header:     map[string]string{"Origin": "http://localhost:5173"},
			wantStatus: http.StatusCreated, wantOrigin: "http://localhost:5173", wantExpose: true},
		{name: "configured with a trailing slash", cfg: cfg, method: http.MethodDelete,
			header:     map[string]string{"Origin": "http://localhost:8080"},
			wantStatus: http.StatusCreated, wantOrigin: "http://localhost:8080", wantExpose: true},
		{name: "other origin gets no CORS headers", cfg: cfg, method: http.MethodPost,
			header:     map[string]string{"Origin": "https://evil.example"},
			wantStatus: http.StatusCreated},
		{name: "WHIP preflight", cfg: cfg, method: http.MethodOptions,
			header: map[string]string{"Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST",
				"Access-Control-Request-Headers": "authorization,content-type"},
			wantStatus: http.StatusNoContent, wantOrigin: "http://localhost:5173", wantMaxAge: true},
		{name: "Connect preflight", cfg: cfg, method: http.MethodOptions,
			header: map[string]string{"Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST",
				"Access-Control-Request-Headers": "Content-Type, Connect-Protocol-Version, Connect-Timeout-Ms, Authorization, X-Request-Id"},
			wantStatus: http.StatusNoContent, wantOrigin: "http://localhost:5173", wantMaxAge: true},
		{name: "DELETE preflight", cfg: cfg, method: http.MethodOptions,
			header:     map[string]string{"Origin": "http://localhost:8080", "Access-Control-Request-Method": "DELETE", "Access-Control-Request-Headers": "authorization"},
			wantStatus: http.StatusNoContent, wantOrigin: "http://localhost:8080", wantMaxAge: true},
		{name: "PATCH preflight (ICE restart)", cfg: cfg, method: http.MethodOptions,
			header:     map[string]string{"Origin": "http://localhost:8080", "Access-Control-Request-Method": "PATCH", "Access-Control-Request-Headers": "authorization,content-type"},
			wantStatus: http.StatusNoContent, wantOrigin: "http://localhost:8080", wantMaxAge: true},
		{name: "preflight from another origin refused", cfg: cfg, method: http.MethodOptions,
			header:     map[string]string{"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
			wantStatus: http.StatusForbidden},
		{name: "preflight for PUT refused", cfg: cfg, method: http.MethodOptions,
			header:     map[string]string{"Origin": "http://localhost:5173", "Access-Control-Request-Method": "PUT"},
			wantStatus: http.StatusForbidden},
		{name: "preflight for an unknown header refused", cfg: cfg, method: http.MethodOptions,
			header:     map[string]string{"Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type, x-evil"},
			wantStatus: http.StatusForbidden},
		{name: "no origins configured allows none", cfg: cors.Config{}, method: http.MethodOptions,
			header:     map[string]string{"Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST"},
			wantStatus: http.StatusForbidden},
		{name: "wildcard echoes the origin", cfg: cors.Config{Origins: []string{"*"}}, method: http.MethodGet,
			header:     map[string]string{"Origin": "https://anywhere.example"},
			wantStatus: http.StatusCreated, wantOrigin: "https://anywhere.example", wantExpose: true},
		{name: "plain OPTIONS is not a preflight", cfg: cfg, method: http.MethodOptions,
			header:     map[string]string{"Origin": "http://localhost:5173"},
			wantStatus: http.StatusCreated, wantOrigin: "http://localhost:5173", wantExpose: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, "/v1/calls?sessionId=s", nil)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			cors.Handler(tt.cfg, ok).ServeHTTP(rec, req)
			res := rec.Result()
			defer res.Body.Close()
			if res.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", res.StatusCode, tt.wantStatus)
			}
			if got := res.Header.Get("Access-Control-Allow-Origin"); got != tt.wantOrigin {
				t.Errorf("Allow-Origin = %q, want %q", got, tt.wantOrigin)
			}
			expose := res.Header.Get("Access-Control-Expose-Headers")
			if tt.wantExpose != (expose != "") {
				t.Errorf("Expose-Headers = %q, want set %v", expose, tt.wantExpose)
			}
			if tt.wantExpose && !contains(expose, "Location") {
				t.Errorf("Expose-Headers = %q, want Location", expose)
			}
			for _, extra := range tt.cfg.ExposeHeaders {
				if tt.wantExpose && !contains(expose, extra) {
					t.Errorf("Expose-Headers = %q, want %s", expose, extra)
				}
			}
			if got := res.Header.Get("Access-Control-Max-Age") != ""; got != tt.wantMaxAge {
				t.Errorf("Max-Age set = %v, want %v", got, tt.wantMaxAge)
			}
			if tt.wantMaxAge {
				if m := res.Header.Get("Access-Control-Allow-Methods"); m != "GET, POST, PATCH, DELETE" {
					t.Errorf("Allow-Methods = %q", m)
				}
				if h := res.Header.Get("Access-Control-Allow-Headers"); !contains(h, "Authorization") || !contains(h, "Content-Type") {
					t.Errorf("Allow-Headers = %q", h)
				}
			}
			if tt.header["Origin"] != "" && !contains(res.Header.Get("Vary"), "Origin") {
				t.Errorf("Vary = %q, want Origin", res.Header.Get("Vary"))
			}
		})
	}
}

func TestCheckOrigin(t *testing.T) {
	tests := []struct {
		name   string
		origin string
		ok     bool
	}{
		{name: "wildcard", origin: "*", ok: true},
		{name: "https", origin: "https://app.example.com", ok: true},
		{name: "http with port", origin: "http://localhost:5173", ok: true},
		{name: "trailing slash", origin: "http://localhost:8080/", ok: true},
		{name: "path", origin: "https://app.example.com/app", ok: false},
		{name: "no scheme", origin: "app.example.com", ok: false},
		{name: "other scheme", origin: "ftp://app.example.com", ok: false},
		{name: "credentials", origin: "https://u:p@app.example.com", ok: false},
		{name: "query", origin: "https://app.example.com?x=1", ok: false},
		{name: "not a URL", origin: "not an origin", ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := cors.CheckOrigin(tt.origin)
			if (err == nil) != tt.ok {
				t.Fatalf("CheckOrigin(%q) = %v, want ok %v", tt.origin, err, tt.ok)
			}
			if err != nil && !errors.Is(err, cors.ErrBadOrigin) {
				t.Fatalf("error %v does not wrap ErrBadOrigin", err)
			}
		})
	}
}

func contains(list, item string) bool {
	for s := range strings.SplitSeq(list, ",") {
		if strings.TrimSpace(s) == item {
			return true
		}
	}
	return false
}
