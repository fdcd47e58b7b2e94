package identity_test

import (
	"net/http"
	"testing"
)

// TestBrowserHardening: CORS answers only allow-listed origins, and every answer carries
// the security headers.
func TestBrowserHardening(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tests := []struct {
		name      string
		origin    string
		wantAllow string
	}{
		{name: "allowed origin", origin: "https://app.avatar.test", wantAllow: "https://app.avatar.test"},
		{name: "other origin", origin: "https://evil.test", wantAllow: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := http.NewRequestWithContext(t.Context(), http.MethodOptions, b.url+"/avatar.auth.v1.AuthService/Login", nil)
			r.Header.Set("Origin", tc.origin)
			r.Header.Set("Access-Control-Request-Method", "POST")
			res, err := b.http.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if got := res.Header.Get("Access-Control-Allow-Origin"); got != tc.wantAllow {
				t.Fatalf("Allow-Origin = %q, want %q", got, tc.wantAllow)
			}
			for _, h := range []string{"X-Content-Type-Options", "X-Frame-Options", "Content-Security-Policy", "Referrer-Policy", "Strict-Transport-Security"} {
				if res.Header.Get(h) == "" {
					t.Errorf("missing %s", h)
				}
			}
		})
	}
	res, err := b.http.Get(b.url + jwksPath)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/jwk-set+json" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("JWKS: %d %v", res.StatusCode, res.Header)
	}
}

const jwksPath = "/.well-known/jwks.json"
