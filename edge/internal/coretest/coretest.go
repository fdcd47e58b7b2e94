// Package coretest runs the real core for the edge's integration tests: it
// builds avatar-core from the workspace (once per test binary), starts it on
// a database of its own (created for the test and dropped after), an
// embedded NATS server on a free port and the shared Redis, signs in the
// bootstrap super admin, and creates a dealership with an admin and a
// trainee. The edge's tests then talk to it as production edges do: JWKS,
// KnowledgeService.Search, ScenarioService, the AVATAR_EVENTS stream.
//
// It needs what `make test` provides: PostgreSQL with pgvector
// (AVATAR_TEST_DATABASE_URL names the server), Redis
// (AVATAR_TEST_REDIS_URL) and the Go toolchain; a missing one fails the test
// with one message.
package coretest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/avatar-fi/avatar/platform/gobuild"
	authv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/auth/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/auth/v1/authv1connect"
	knowledgev1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/knowledge/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/knowledge/v1/knowledgev1connect"
	orgv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1/orgv1connect"
)

// Password is every test user's password.
const Password = "coretest-password-1"

// Core is a running core with a dealership of its own.
type Core struct {
	// URL is the core's base URL, also the access tokens' issuer.
	URL string
	// NATSURL is its embedded NATS server.
	NATSURL string
	// DealershipID is the test dealership.
	DealershipID string
	// AdminToken and TraineeToken are access tokens of the dealership's
	// admin and trainee; TraineeID is the trainee's user id.
	AdminToken, TraineeToken, TraineeID string
	// RootToken is the super admin's.
	RootToken string
	// HTTP is a client for the core.
	HTTP *http.Client
}

// build compiles avatar-core once per test binary.
func build() (string, error) {
	return gobuild.Binary("github.com/avatar-fi/avatar/core/cmd/avatar-core")
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// Start runs a core for t and stops it, and drops its database, when t ends.
func Start(t *testing.T) *Core {
	t.Helper()
	bin, err := build()
	if err != nil {
		t.Fatal(err)
	}
	dbURL := createDatabase(t)
	addr, nats := freeAddr(t), freeAddr(t)
	base := "http://" + addr
	redisURL := redisDB(t, env("AVATAR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"))
	// t.Context() ends just before the cleanups run: Cancel then interrupts the core, which
	// drains and exits, and WaitDelay kills it if it has not within 20 s.
	cmd := exec.CommandContext(t.Context(), bin)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 20 * time.Second
	cmd.Env = append(os.Environ(),
		"AVATAR_CORE_ADDR="+addr,
		"AVATAR_PUBLIC_URL="+base,
		"AVATAR_DATABASE_URL="+dbURL,
		"AVATAR_REDIS_URL="+redisURL,
		"AVATAR_NATS_URL=",
		"AVATAR_NATS_EMBEDDED_ADDR="+nats,
		"AVATAR_NATS_STORE_DIR="+t.TempDir(),
		"AVATAR_BOOTSTRAP_EMAIL=root@coretest.test",
		"AVATAR_BOOTSTRAP_PASSWORD="+Password,
		"AVATAR_LOG_LEVEL=warn",
	)
	logs := &logWriter{t: t}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start avatar-core: %v", err)
	}
	// exited is closed once Wait has returned waitErr, so both the readiness loop and the
	// cleanup can wait for it.
	var waitErr error
	exited := make(chan struct{})
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		<-exited // the exit status of a core stopped by the test is no part of it
		logs.stop()
	})
	c := &Core{URL: base, NATSURL: "nats://" + nats, HTTP: &http.Client{Timeout: 30 * time.Second}}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, base+"/readyz", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.HTTP.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case <-exited:
			t.Fatalf("avatar-core exited before it was ready: %v", waitErr)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("avatar-core not ready after 2 minutes")
		}
	}
	c.seed(t)
	return c
}

// seed creates the dealership and its users.
func (c *Core) seed(t *testing.T) {
	t.Helper()
	ctx := t.Context()
	root := c.Login(t, "root@coretest.test")
	c.RootToken = root
	org := orgv1connect.NewOrgServiceClient(c.HTTP, c.URL)
	d, err := org.CreateDealership(ctx, Authed(&orgv1.CreateDealershipRequest{Name: "Coretest Motors " + randHex(4)}, root))
	if err != nil {
		t.Fatalf("create dealership: %v", err)
	}
	c.DealershipID = d.Msg.GetDealership().GetId()
	suffix := randHex(4)
	for _, u := range []struct {
		email string
		role  orgv1.Role
	}{{"admin-" + suffix + "@coretest.test", orgv1.Role_ROLE_DEALERSHIP_ADMIN}, {"trainee-" + suffix + "@coretest.test", orgv1.Role_ROLE_TRAINEE}} {
		resp, err := org.CreateUser(ctx, Authed(&orgv1.CreateUserRequest{DealershipId: c.DealershipID, Email: u.email, Password: Password, Role: u.role, DisplayName: "Coretest"}, root))
		if err != nil {
			t.Fatalf("create user %s: %v", u.email, err)
		}
		tok := c.Login(t, u.email)
		if u.role == orgv1.Role_ROLE_TRAINEE {
			c.TraineeToken, c.TraineeID = tok, resp.Msg.GetUser().GetId()
		} else {
			c.AdminToken = tok
		}
	}
}

// Login returns an access token of a test user. A login refused by the
// core's per-IP limit (30 a minute, shared by every core of a test run
// that lands on the same Redis database) is retried after the time the
// core gives, for up to a minute and a quarter.
func (c *Core) Login(t *testing.T, email string) string {
	t.Helper()
	auth := authv1connect.NewAuthServiceClient(c.HTTP, c.URL)
	deadline := time.Now().Add(75 * time.Second)
	for {
		resp, err := auth.Login(t.Context(), connect.NewRequest(&authv1.LoginRequest{Email: email, Password: Password}))
		if err == nil {
			return resp.Msg.GetAccessToken()
		}
		wait := retryAfter(err)
		if wait == 0 || time.Now().Add(wait).After(deadline) {
			t.Fatalf("login %s: %v", email, err)
		}
		select {
		case <-t.Context().Done():
			t.Fatalf("login %s: %v", email, err)
		case <-time.After(wait):
		}
	}
}

// retryAfter returns how long to wait before retrying a call the core
// refused for a rate limit (its Retry-After, at least a second), or 0 for
// any other error.
func retryAfter(err error) time.Duration {
	var ce *connect.Error
	if !errors.As(err, &ce) || ce.Code() != connect.CodeResourceExhausted {
		return 0
	}
	if s, perr := strconv.Atoi(ce.Meta().Get("Retry-After")); perr == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return time.Second
}

// EdgeKey creates an edge service key (ROLE_EDGE_SERVICE) and returns its
// secret.
func (c *Core) EdgeKey(t *testing.T) string {
	t.Helper()
	auth := authv1connect.NewAuthServiceClient(c.HTTP, c.URL)
	resp, err := auth.CreateApiKey(t.Context(), Authed(&authv1.CreateApiKeyRequest{Name: "edge " + randHex(3), Role: orgv1.Role_ROLE_EDGE_SERVICE}, c.RootToken))
	if err != nil {
		t.Fatalf("create edge key: %v", err)
	}
	return resp.Msg.GetSecret()
}

// NewUser creates another trainee of the dealership and returns its token.
func (c *Core) NewUser(t *testing.T) string {
	t.Helper()
	email := "trainee-" + randHex(4) + "@coretest.test"
	org := orgv1connect.NewOrgServiceClient(c.HTTP, c.URL)
	if _, err := org.CreateUser(t.Context(), Authed(&orgv1.CreateUserRequest{DealershipId: c.DealershipID, Email: email, Password: Password, Role: orgv1.Role_ROLE_TRAINEE, DisplayName: "Other"}, c.AdminToken)); err != nil {
		t.Fatalf("create user: %v", err)
	}
	return c.Login(t, email)
}

// Upload uploads a document as the dealership admin and waits until it is
// searchable; it returns the document's id.
func (c *Core) Upload(t *testing.T, title, filename string, data []byte) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	k := knowledgev1connect.NewKnowledgeServiceClient(c.HTTP, c.URL)
	stream := k.UploadDocument(ctx)
	stream.RequestHeader().Set("Authorization", "Bearer "+c.AdminToken)
	if err := stream.Send(&knowledgev1.UploadDocumentRequest{Payload: &knowledgev1.UploadDocumentRequest_Metadata{Metadata: &knowledgev1.DocumentMetadata{Title: title, Filename: filename}}}); err != nil {
		t.Fatalf("upload metadata: %v", err)
	}
	if err := stream.Send(&knowledgev1.UploadDocumentRequest{Payload: &knowledgev1.UploadDocumentRequest_Chunk{Chunk: data}}); err != nil {
		t.Fatalf("upload bytes: %v", err)
	}
	resp, err := stream.CloseAndReceive()
	if err != nil {
		t.Fatalf("upload %s: %v", filename, err)
	}
	id := resp.Msg.GetDocument().GetId()
	for {
		d, err := k.GetDocument(ctx, Authed(&knowledgev1.GetDocumentRequest{Id: id}, c.AdminToken))
		if err != nil {
			t.Fatalf("get document: %v", err)
		}
		switch d.Msg.GetDocument().GetStatus() {
		case knowledgev1.DocumentStatus_DOCUMENT_STATUS_READY:
			return id
		case knowledgev1.DocumentStatus_DOCUMENT_STATUS_FAILED:
			t.Fatalf("document %s failed: %s", filename, d.Msg.GetDocument().GetFailureReason())
		}
		select {
		case <-ctx.Done():
			t.Fatalf("document %s not ready: %v", filename, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Authed wraps msg in a request carrying token.
func Authed[T any](msg *T, token string) *connect.Request[T] {
	r := connect.NewRequest(msg)
	r.Header().Set("Authorization", "Bearer "+token)
	return r
}

// createDatabase creates an empty database with pgvector on the test
// server and drops it when t ends.
func createDatabase(t *testing.T) string {
	t.Helper()
	admin := env("AVATAR_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/avatar_test?sslmode=disable")
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("AVATAR_TEST_DATABASE_URL: %v", err)
	}
	name := "coretest_" + randHex(6)
	psql := func(db, sql string) {
		t.Helper()
		v := *u
		v.Path = "/" + db
		out, err := exec.CommandContext(t.Context(), "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", v.String(), "-c", sql).CombinedOutput()
		if err != nil {
			t.Fatalf("psql %q: %v\n%s (is PostgreSQL running? make test starts it)", sql, err, out)
		}
	}
	psql("postgres", "CREATE DATABASE "+name)
	t.Cleanup(func() {
		v := *u
		v.Path = "/postgres"
		// t.Context() is done by the time cleanups run.
		_ = exec.CommandContext(context.Background(), "psql", "-X", "-q", v.String(), "-c", "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)").Run()
	})
	psql(name, "CREATE EXTENSION IF NOT EXISTS vector")
	v := *u
	v.Path = "/" + name
	return v.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := new(net.ListenConfig).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// logWriter sends the core's log lines to t.Log while the test runs.
type logWriter struct {
	t    *testing.T
	mu   sync.Mutex
	done bool
	buf  []byte
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return len(p), nil
	}
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.t.Log("core: " + strings.TrimSpace(string(w.buf[:i])))
		w.buf = w.buf[i+1:]
	}
	return len(p), nil
}

func (w *logWriter) stop() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}

var _ io.Writer = (*logWriter)(nil)

// redisDB points base at a Redis database of this test process's own (1 to
// 15, by process id), so that the login and search rate limits of cores run
// by different test binaries at once do not add up.
func redisDB(t *testing.T, base string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("AVATAR_TEST_REDIS_URL: %v", err)
	}
	u.Path = fmt.Sprintf("/%d", 1+os.Getpid()%15)
	return u.String()
}
