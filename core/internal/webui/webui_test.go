package webui_test

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/avatar-fi/avatar/core/internal/webui"
)

const indexHTML = `<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>`

var appJS = "console.log('avatar');" + strings.Repeat("export const x = 'padding so gzip pays';\n", 100)

func build() fstest.MapFS {
	return fstest.MapFS{
		"index.html":             {Data: []byte(indexHTML)},
		"assets/index-abc123.js": {Data: []byte(appJS)},
		"favicon.svg":            {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"></svg>`)},
		".gitkeep":               {Data: nil},
	}
}

func TestServe(t *testing.T) {
	ui := webui.NewFS(build(), webui.Config{EdgeURL: "http://localhost:8090"})
	tests := []struct {
		name        string
		method      string
		path        string
		header      map[string]string
		wantStatus  int
		wantType    string
		wantCache   string
		wantBody    string // substring of the (decoded) body
		wantGzip    bool
		wantCSPSelf bool
	}{
		{name: "root is index.html", method: "GET", path: "/", wantStatus: 200, wantType: "text/html", wantCache: "no-cache", wantBody: `<div id="root">`, wantCSPSelf: true},
		{name: "client route falls back to index.html", method: "GET", path: "/chat/coach", wantStatus: 200, wantType: "text/html", wantCache: "no-cache", wantBody: `<div id="root">`, wantCSPSelf: true},
		{name: "deep client route", method: "GET", path: "/admin/documents/123", wantStatus: 200, wantType: "text/html", wantBody: `<div id="root">`},
		{name: "hashed asset is immutable", method: "GET", path: "/assets/index-abc123.js", wantStatus: 200, wantType: "text/javascript", wantCache: "public, max-age=31536000, immutable", wantBody: "console.log('avatar')"},
		{name: "asset gzipped when accepted", method: "GET", path: "/assets/index-abc123.js", header: map[string]string{"Accept-Encoding": "br, gzip"}, wantStatus: 200, wantType: "text/javascript", wantBody: "console.log('avatar')", wantGzip: true},
		{name: "gzip refused with q=0", method: "GET", path: "/assets/index-abc123.js", header: map[string]string{"Accept-Encoding": "gzip;q=0"}, wantStatus: 200, wantBody: "console.log('avatar')"},
		{name: "missing asset is 404, not HTML", method: "GET", path: "/assets/gone-999.js", wantStatus: 404},
		{name: "missing file with an extension is 404", method: "GET", path: "/robots.txt", wantStatus: 404},
		{name: "root file", method: "GET", path: "/favicon.svg", wantStatus: 200, wantType: "image/svg+xml", wantCache: "no-cache"},
		{name: "config", method: "GET", path: "/config.json", wantStatus: 200, wantType: "application/json", wantCache: "no-cache", wantBody: `"edgeUrl":"http://localhost:8090"`},
		{name: "HEAD has no body", method: "HEAD", path: "/", wantStatus: 200, wantType: "text/html"},
		{name: "POST to an unknown procedure is 404", method: "POST", path: "/avatar.nope.v1.NopeService/Call", wantStatus: 404},
		{name: "GET of an unknown procedure is 404", method: "GET", path: "/avatar.nope.v1.NopeService/Call", wantStatus: 404},
		{name: "placeholder is not served", method: "GET", path: "/.gitkeep", wantStatus: 404},
		{name: "dot-dot is cleaned", method: "GET", path: "/assets/../index.html", wantStatus: 200, wantType: "text/html", wantBody: `<div id="root">`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, nil)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			ui.ServeHTTP(rec, req)
			res := rec.Result()
			defer res.Body.Close()
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", res.StatusCode, tt.wantStatus)
			}
			if !strings.HasPrefix(res.Header.Get("Content-Type"), tt.wantType) {
				t.Errorf("Content-Type = %q, want %q", res.Header.Get("Content-Type"), tt.wantType)
			}
			if tt.wantCache != "" && res.Header.Get("Cache-Control") != tt.wantCache {
				t.Errorf("Cache-Control = %q, want %q", res.Header.Get("Cache-Control"), tt.wantCache)
			}
			if got := res.Header.Get("Content-Encoding") == "gzip"; got != tt.wantGzip {
				t.Errorf("gzip = %v, want %v", got, tt.wantGzip)
			}
			var body io.Reader = res.Body
			if tt.wantGzip {
				zr, err := gzip.NewReader(res.Body)
				if err != nil {
					t.Fatal(err)
				}
				body = zr
			}
			b, err := io.ReadAll(body)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), tt.wantBody) {
				t.Errorf("body %.80q does not contain %q", b, tt.wantBody)
			}
			if tt.method == "HEAD" && len(b) != 0 {
				t.Errorf("HEAD body has %d bytes", len(b))
			}
			if csp := res.Header.Get("Content-Security-Policy"); tt.wantCSPSelf && !strings.Contains(csp, "script-src 'self'") {
				t.Errorf("Content-Security-Policy = %q, want the app's", csp)
			}
		})
	}
}

func TestConditional(t *testing.T) {
	ui := webui.NewFS(build(), webui.Config{})
	for _, enc := range []string{"", "gzip"} {
		t.Run("encoding "+enc, func(t *testing.T) {
			first := httptest.NewRecorder()
			req := httptest.NewRequest("GET", "/assets/index-abc123.js", nil)
			req.Header.Set("Accept-Encoding", enc)
			ui.ServeHTTP(first, req)
			etag := first.Header().Get("ETag")
			if etag == "" {
				t.Fatal("no ETag")
			}
			again := httptest.NewRequest("GET", "/assets/index-abc123.js", nil)
			again.Header.Set("Accept-Encoding", enc)
			again.Header.Set("If-None-Match", `"other", `+etag)
			rec := httptest.NewRecorder()
			ui.ServeHTTP(rec, again)
			if rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
				t.Fatalf("revalidation = %d with %d bytes, want 304 and none", rec.Code, rec.Body.Len())
			}
		})
	}
}

func TestNotBuilt(t *testing.T) {
	ui := webui.NewFS(fstest.MapFS{".gitkeep": {}}, webui.Config{EdgeURL: "http://edge.example"})
	if ui.Built() {
		t.Fatal("Built() = true without index.html")
	}
	for _, p := range []string{"/", "/chat"} {
		rec := httptest.NewRecorder()
		ui.ServeHTTP(rec, httptest.NewRequest("GET", p, nil))
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), "not built") || !strings.Contains(rec.Body.String(), "make web") {
			t.Fatalf("GET %s = %d %.100q, want the not-built page", p, rec.Code, rec.Body.String())
		}
	}
	rec := httptest.NewRecorder()
	ui.ServeHTTP(rec, httptest.NewRequest("GET", "/config.json", nil))
	var conf struct {
		EdgeURL string `json:"edgeUrl"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &conf); err != nil || conf.EdgeURL != "http://edge.example" {
		t.Fatalf("config = %q (%v)", rec.Body.String(), err)
	}
}

// TestEmbedded checks the handler over the binary's own tree: the build when
// `make web` has copied it, the not-built page otherwise; either way / is a page.
func TestEmbedded(t *testing.T) {
	ui := webui.New(webui.Config{})
	rec := httptest.NewRecorder()
	ui.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GET / = %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	want := "not built"
	if ui.Built() {
		want = `<div id="root">`
	}
	if !strings.Contains(rec.Body.String(), want) {
		t.Fatalf("GET / body lacks %q", want)
	}
}
