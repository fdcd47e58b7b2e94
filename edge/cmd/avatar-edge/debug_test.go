package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestListenDebug(t *testing.T) {
	tests := []struct {
		name     string
		addr     string
		path     string
		wantCode int    // 0: no listener
		wantBody string // a substring of the answer
	}{
		{name: "off", addr: ""},
		{name: "goroutine profile", addr: "127.0.0.1:0", path: "/debug/pprof/goroutine?debug=1", wantCode: http.StatusOK, wantBody: "goroutine profile:"},
		{name: "index names block and mutex", addr: "127.0.0.1:0", path: "/debug/pprof/", wantCode: http.StatusOK, wantBody: "mutex"},
		{name: "nothing else", addr: "127.0.0.1:0", path: "/metrics", wantCode: http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, ln, err := listenDebug(t.Context(), tt.addr)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantCode == 0 {
				if srv != nil || ln != nil {
					t.Fatal("a listener with no address")
				}
				return
			}
			go func() { _ = srv.Serve(ln) }()
			t.Cleanup(func() { _ = srv.Close() })
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+ln.Addr().String()+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantCode || !strings.Contains(string(body), tt.wantBody) {
				t.Errorf("GET %s: %d %.200q, want %d with %q", tt.path, resp.StatusCode, body, tt.wantCode, tt.wantBody)
			}
		})
	}
	if _, _, err := listenDebug(t.Context(), "127.0.0.1:99999"); err == nil {
		t.Error("a bad address: no error")
	}
}
