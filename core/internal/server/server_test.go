package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	"github.com/avatar-fi/avatar/core/internal/apierror"
	"github.com/avatar-fi/avatar/core/internal/health"
	"github.com/avatar-fi/avatar/core/internal/server"
	errorsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/errors/v1"
	orgv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1/orgv1connect"
)

// orgStub answers OrgService calls in ways that exercise the error boundary. It is a
// test double of our own handler, not of a service: the server under test is real.
type orgStub struct {
	orgv1connect.UnimplementedOrgServiceHandler
	release chan struct{}
	started chan struct{}
}

func (s *orgStub) GetUser(_ context.Context, req *connect.Request[orgv1.GetUserRequest]) (*connect.Response[orgv1.GetUserResponse], error) {
	switch req.Msg.GetId() {
	case "internal":
		return nil, errors.New("pq: relation users does not exist at 10.0.0.5")
	case "panic":
		panic("boom")
	case "invalid":
		return nil, apierror.Invalid(apierror.Violation{Field: "id", Description: "must be a UUID"})
	case "bare":
		return nil, connect.NewError(connect.CodeNotFound, errors.New("no such user"))
	case "slow":
		close(s.started)
		<-s.release
		return connect.NewResponse(&orgv1.GetUserResponse{User: &orgv1.User{Id: "slow"}}), nil
	}
	return connect.NewResponse(&orgv1.GetUserResponse{User: &orgv1.User{Id: req.Msg.GetId()}}), nil
}

type bundle struct {
	srv    *server.Server
	stub   *orgStub
	base   string
	cancel context.CancelFunc
	done   chan error
}

func setup(t *testing.T, shutdown time.Duration) *bundle {
	t.Helper()
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0", ShutdownTimeout: shutdown, MaxRequestBytes: 4096}, nil)
	if err != nil {
		t.Fatal(err)
	}
	stub := &orgStub{release: make(chan struct{}), started: make(chan struct{})}
	path, h := orgv1connect.NewOrgServiceHandler(stub, srv.HandlerOptions()...)
	srv.Handle(path, h)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("server did not stop")
		}
	})
	return &bundle{srv: srv, stub: stub, base: "http://" + srv.Addr().String(), cancel: cancel, done: done}
}

func TestErrorModel(t *testing.T) {
	b := setup(t, 5*time.Second)
	clients := map[string]orgv1connect.OrgServiceClient{
		"connect": orgv1connect.NewOrgServiceClient(http.DefaultClient, b.base),
		"grpc":    orgv1connect.NewOrgServiceClient(h2cClient(), b.base, connect.WithGRPC()),
		"grpcweb": orgv1connect.NewOrgServiceClient(http.DefaultClient, b.base, connect.WithGRPCWeb()),
	}
	tests := []struct {
		name       string
		id         string
		wantCode   connect.Code
		wantReason string
		wantField  string
	}{
		{name: "internal error hides its text", id: "internal", wantCode: connect.CodeInternal, wantReason: apierror.ReasonInternal},
		{name: "panic becomes internal", id: "panic", wantCode: connect.CodeInternal, wantReason: apierror.ReasonInternal},
		{name: "validation carries fields", id: "invalid", wantCode: connect.CodeInvalidArgument, wantReason: apierror.ReasonValidation, wantField: "id"},
		{name: "bare connect error gets a reason", id: "bare", wantCode: connect.CodeNotFound, wantReason: apierror.ReasonNotFound},
	}
	for proto, c := range clients {
		for _, tt := range tests {
			t.Run(proto+"/"+tt.name, func(t *testing.T) {
				_, err := c.GetUser(t.Context(), connect.NewRequest(&orgv1.GetUserRequest{Id: tt.id}))
				if connect.CodeOf(err) != tt.wantCode {
					t.Fatalf("code %v, want %v (err %v)", connect.CodeOf(err), tt.wantCode, err)
				}
				if strings.Contains(err.Error(), "10.0.0.5") || strings.Contains(err.Error(), "boom") {
					t.Fatalf("internal text leaked: %v", err)
				}
				d, ok := apierror.Detail(err)
				if !ok || d.GetReason() != tt.wantReason {
					t.Fatalf("detail %v, want reason %s", d, tt.wantReason)
				}
				if tt.wantField != "" && (len(d.GetFieldViolations()) != 1 || d.GetFieldViolations()[0].GetField() != tt.wantField) {
					t.Fatalf("field violations %v, want %s", d.GetFieldViolations(), tt.wantField)
				}
			})
		}
	}
}

func TestBadInputOverHTTP(t *testing.T) {
	b := setup(t, 5*time.Second)
	tests := []struct {
		name       string
		body       string
		ctype      string
		wantHTTP   int
		wantReason string
		wantField  string
	}{
		{name: "malformed json", body: `{"id":`, ctype: "application/json", wantHTTP: http.StatusBadRequest, wantReason: apierror.ReasonValidation, wantField: "body"},
		{name: "wrong type", body: `{"id": 42}`, ctype: "application/json", wantHTTP: http.StatusBadRequest, wantReason: apierror.ReasonValidation, wantField: "id"},
		{name: "oversized body", body: `{"id":"` + strings.Repeat("x", 10000) + `"}`, ctype: "application/json", wantHTTP: http.StatusRequestEntityTooLarge, wantReason: apierror.ReasonPayloadTooLarge},
		{name: "handler validation keeps its own detail", body: `{"id":"invalid"}`, ctype: "application/json", wantHTTP: http.StatusBadRequest, wantReason: apierror.ReasonValidation, wantField: "id"},
		{name: "unknown content type", body: `id=1`, ctype: "application/x-www-form-urlencoded", wantHTTP: http.StatusUnsupportedMediaType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, b.base+orgv1connect.OrgServiceGetUserProcedure, strings.NewReader(tt.body))
			req.Header.Set("Content-Type", tt.ctype)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != tt.wantHTTP {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tt.wantHTTP, body)
			}
			if tt.wantReason == "" {
				return
			}
			var wire struct {
				Code    string `json:"code"`
				Details []struct {
					Type  string `json:"type"`
					Value string `json:"value"`
				} `json:"details"`
			}
			if err := json.Unmarshal(body, &wire); err != nil {
				t.Fatalf("error body %q: %v", body, err)
			}
			if len(wire.Details) != 1 || wire.Details[0].Type != "avatar.errors.v1.ErrorDetail" {
				t.Fatalf("details %+v, want one avatar.errors.v1.ErrorDetail", wire.Details)
			}
			raw, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(wire.Details[0].Value, "="))
			if err != nil {
				t.Fatal(err)
			}
			var d errorsv1.ErrorDetail
			if err := proto.Unmarshal(raw, &d); err != nil {
				t.Fatal(err)
			}
			if d.GetReason() != tt.wantReason {
				t.Fatalf("reason %q, want %q", d.GetReason(), tt.wantReason)
			}
			if tt.wantField != "" && (len(d.GetFieldViolations()) == 0 || d.GetFieldViolations()[0].GetField() != tt.wantField) {
				t.Fatalf("violations %v, want field %q", d.GetFieldViolations(), tt.wantField)
			}
		})
	}
}

func TestHealthAndSecurityHeaders(t *testing.T) {
	b := setup(t, 5*time.Second)
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		res, err := http.Get(b.base + p)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", p, res.StatusCode)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("X-Request-Id") == "" {
			t.Fatalf("%s: missing security or request-id headers: %v", p, res.Header)
		}
	}
}

// TestGracefulDrain: on shutdown an in-flight call finishes, /readyz stops answering
// 200, and new connections are refused.
func TestGracefulDrain(t *testing.T) {
	b := setup(t, 5*time.Second)
	c := orgv1connect.NewOrgServiceClient(http.DefaultClient, b.base)
	type result struct {
		id  string
		err error
	}
	resc := make(chan result, 1)
	go func() {
		res, err := c.GetUser(context.Background(), connect.NewRequest(&orgv1.GetUserRequest{Id: "slow"}))
		if err != nil {
			resc <- result{err: err}
			return
		}
		resc <- result{id: res.Msg.GetUser().GetId()}
	}()
	<-b.stub.started
	b.cancel()
	// Shutdown closes the listener first: new connections must fail.
	deadline := time.Now().Add(3 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", b.srv.Addr().String(), 200*time.Millisecond)
		if err != nil {
			break
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatal("listener still accepts connections during drain")
		}
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case <-b.done:
		t.Fatal("server stopped before the in-flight call finished")
	default:
	}
	close(b.stub.release)
	r := <-resc
	if r.err != nil || r.id != "slow" {
		t.Fatalf("in-flight call: %v %q", r.err, r.id)
	}
	select {
	case err := <-b.done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("server did not stop after drain")
	}
	b.done <- nil // let Cleanup's receive succeed
}

// TestDrainDeadline: a call that outlives ShutdownTimeout is cut and Serve returns.
func TestDrainDeadline(t *testing.T) {
	b := setup(t, 300*time.Millisecond)
	c := orgv1connect.NewOrgServiceClient(http.DefaultClient, b.base)
	go func() { _, _ = c.GetUser(context.Background(), connect.NewRequest(&orgv1.GetUserRequest{Id: "slow"})) }()
	<-b.stub.started
	start := time.Now()
	b.cancel()
	select {
	case err := <-b.done:
		if err == nil {
			t.Fatal("Serve returned nil although a call was cut")
		}
		if time.Since(start) > 3*time.Second {
			t.Fatalf("drain took %v, deadline was 300ms", time.Since(start))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("drain did not respect its deadline")
	}
	close(b.stub.release)
	b.done <- nil
}

func TestReadyzNamesFailingDependency(t *testing.T) {
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0", Checks: map[string]health.Check{
		"redis": func(context.Context) error { return errors.New("connection refused") },
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	defer func() { cancel(); <-done }()
	res, err := http.Get("http://" + srv.Addr().String() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		Failed []string `json:"failed"`
	}
	_ = json.NewDecoder(res.Body).Decode(&body)
	if res.StatusCode != http.StatusServiceUnavailable || len(body.Failed) != 1 || body.Failed[0] != "redis" {
		t.Fatalf("readyz %d %v", res.StatusCode, body.Failed)
	}
}
