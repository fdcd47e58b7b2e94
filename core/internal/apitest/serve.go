package apitest

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"connectrpc.com/connect"

	"github.com/avatar-fi/avatar/core/internal/server"
)

// Served is a handler on an HTTP/2 test server, with clients of its service.
type Served[C any] struct {
	// URL is the server's base URL.
	URL string
	// HTTP is an HTTP/2 client that trusts the server's certificate.
	HTTP *http.Client
	// Connect speaks the Connect protocol; GRPC speaks gRPC.
	Connect, GRPC C
}

// Serve builds a core server with cfg (Addr defaults to 127.0.0.1:0; cfg.Interceptors,
// such as Auth or Issuer.Authn, run inside the shared error model and metrics), mounts
// the handler that mount returns when given the server's HandlerOptions (a generated
// New…ServiceHandler), and serves the server's full middleware on an HTTP/2 TLS
// httptest server closed when the test ends. newClient is the service's generated
// New…ServiceClient.
func Serve[C any](tb testing.TB, cfg server.Config,
	mount func(opts ...connect.HandlerOption) (string, http.Handler),
	newClient func(c connect.HTTPClient, url string, opts ...connect.ClientOption) C,
) Served[C] {
	tb.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	srv, err := server.New(cfg, Logger(tb))
	if err != nil {
		tb.Fatalf("apitest: server: %v", err)
	}
	srv.Handle(mount(srv.HandlerOptions()...))
	hs := httptest.NewUnstartedServer(srv.Handler())
	hs.EnableHTTP2 = true
	hs.StartTLS()
	tb.Cleanup(hs.Close)
	c := hs.Client()
	return Served[C]{URL: hs.URL, HTTP: c, Connect: newClient(c, hs.URL), GRPC: newClient(c, hs.URL, connect.WithGRPC())}
}
