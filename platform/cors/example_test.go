package cors_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/avatar-fi/avatar/platform/cors"
)

// A WHIP-style call from the web app: the browser first asks whether it may
// POST an SDP offer with a bearer token.
func Example() {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/calls", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Location", "/v1/calls/c1")
		w.WriteHeader(http.StatusCreated)
	})
	h := cors.Handler(cors.Config{Origins: []string{"http://localhost:5173"}}, mux)

	pre := httptest.NewRequest(http.MethodOptions, "/v1/calls", nil)
	pre.Header.Set("Origin", "http://localhost:5173")
	pre.Header.Set("Access-Control-Request-Method", "POST")
	pre.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, pre)
	fmt.Println(rec.Code, rec.Header().Get("Access-Control-Allow-Methods"))

	post := httptest.NewRequest(http.MethodPost, "/v1/calls", nil)
	post.Header.Set("Origin", "http://localhost:5173")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, post)
	fmt.Println(rec.Code, rec.Header().Get("Access-Control-Expose-Headers"))
	// Output:
	// 204 GET, POST, PATCH, DELETE
	// 201 Grpc-Status, Grpc-Message, Grpc-Status-Details-Bin, Retry-After, Location
}
