package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/nats-io/nats-server/v2/server"

	"github.com/avatar-fi/avatar/core/internal/app"
	"github.com/avatar-fi/avatar/core/internal/dbtest"
	authv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/auth/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/auth/v1/authv1connect"
	knowledgev1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/knowledge/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/knowledge/v1/knowledgev1connect"
	orgv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1"
	"github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1/orgv1connect"
)

// patience bounds every wait on the running core. It is generous on purpose: other
// tests may load the machine, which makes the core slower but must not make it wrong,
// and a core that is wrong fails the wait (or exits, which fails it at once).
const patience = 2 * time.Minute

// syncBuffer is a bytes.Buffer safe for the core's logger and the test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRunRejectsBadConfiguration(t *testing.T) {
	tests := []struct {
		name  string
		vars  map[string]string
		match string
	}{
		{name: "database url", vars: map[string]string{"AVATAR_DATABASE_URL": "nonsense"}, match: "AVATAR_DATABASE_URL:"},
		{name: "read url", vars: map[string]string{"AVATAR_DATABASE_READ_URL": "nonsense"}, match: "AVATAR_DATABASE_READ_URL:"},
		{name: "redis url", vars: map[string]string{"AVATAR_REDIS_URL": "nonsense"}, match: "AVATAR_REDIS_URL:"},
		{name: "nats url", vars: map[string]string{"AVATAR_NATS_URL": "nonsense"}, match: "AVATAR_NATS_URL:"},
		{name: "core addr", vars: map[string]string{"AVATAR_CORE_ADDR": "nonsense"}, match: "AVATAR_CORE_ADDR:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := app.Run(t.Context(), func(k string) string { return tt.vars[k] }, &stdout, &stderr)
			if code == 0 {
				t.Fatal("exit code 0 for a bad configuration")
			}
			line := stderr.String()
			if strings.Count(line, "\n") != 1 || !strings.Contains(line, tt.match) {
				t.Fatalf("stderr %q: want one line naming %s", line, tt.match)
			}
		})
	}
}

// redisServer runs a private redis-server (the real binary the set-up script installs)
// on port, so the test can stop and restart it without disturbing other tests.
type redisServer struct {
	t    *testing.T
	port int
	cmd  *exec.Cmd
}

func (r *redisServer) start() {
	r.t.Helper()
	r.cmd = exec.Command("redis-server", "--port", fmt.Sprint(r.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", r.t.TempDir())
	if err := r.cmd.Start(); err != nil {
		r.t.Fatalf("start redis-server (install it with deploy/dev/services.sh): %v", err)
	}
	waitPort(r.t, r.port, true)
}

func (r *redisServer) stop() {
	if r.cmd != nil && r.cmd.Process != nil {
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
		r.cmd = nil
	}
	waitPort(r.t, r.port, false)
}

func waitPort(t *testing.T, port int, open bool) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 100*time.Millisecond)
		if err == nil {
			c.Close()
		}
		if (err == nil) == open {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("port %d did not become open=%v", port, open)
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

type readiness struct {
	code   int
	failed []string
	errors map[string]string
}

func ready(t *testing.T, base string) readiness {
	t.Helper()
	res, err := http.Get(base + "/readyz")
	if err != nil {
		return readiness{}
	}
	defer res.Body.Close()
	var body struct {
		Failed []string          `json:"failed"`
		Errors map[string]string `json:"errors"`
	}
	_ = json.NewDecoder(res.Body).Decode(&body)
	return readiness{code: res.StatusCode, failed: body.Failed, errors: body.Errors}
}

// runningCore is a whole core started by app.Run in the test process.
type runningCore struct {
	t      *testing.T
	base   string
	done   chan int
	stdout *syncBuffer
	stderr *syncBuffer
}

// startCore runs the core with vars (AVATAR_CORE_ADDR must be set) until the test ends,
// and then expects a clean exit.
func startCore(t *testing.T, vars map[string]string) *runningCore {
	t.Helper()
	c := &runningCore{t: t, base: "http://" + vars["AVATAR_CORE_ADDR"], done: make(chan int, 1), stdout: &syncBuffer{}, stderr: &syncBuffer{}}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { c.done <- app.Run(ctx, func(k string) string { return vars[k] }, c.stdout, c.stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-c.done:
			if code != 0 {
				t.Errorf("core exited %d: %s", code, c.stderr.String())
			}
		case <-time.After(patience):
			t.Error("core did not stop")
		}
		t.Log(c.stdout.String())
	})
	return c
}

// eventually polls f until it holds; the core exiting first fails the test at once.
func (c *runningCore) eventually(what string, f func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(patience)
	for time.Now().Before(deadline) {
		select {
		case code := <-c.done:
			c.done <- code // for the cleanup
			c.t.Fatalf("core exited %d while waiting for %s: %s", code, what, c.stderr.String())
		default:
		}
		if f() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.t.Fatalf("timed out after %s waiting for %s", patience, what)
}

// TestReadinessFollowsRedis starts the whole core against the real PostgreSQL and NATS and
// a private Redis, stops Redis (503 naming redis), restarts it (200 again, no restart).
func TestReadinessFollowsRedis(t *testing.T) {
	rs := &redisServer{t: t, port: freePort(t)}
	rs.start()
	t.Cleanup(rs.stop)
	natsURL := os.Getenv("AVATAR_TEST_NATS_URL")
	if natsURL == "" {
		natsURL = "nats://127.0.0.1:4222"
	}
	c := startCore(t, map[string]string{
		"AVATAR_CORE_ADDR":      fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		"AVATAR_DATABASE_URL":   dbtest.New(t),
		"AVATAR_REDIS_URL":      fmt.Sprintf("redis://127.0.0.1:%d/0", rs.port),
		"AVATAR_NATS_URL":       natsURL,
		"AVATAR_NATS_STORE_DIR": filepath.Join(t.TempDir(), "nats"),
	})
	c.eventually("core ready", func() bool { return ready(t, c.base).code == http.StatusOK })

	rs.stop()
	c.eventually("503 naming redis", func() bool {
		r := ready(t, c.base)
		return r.code == http.StatusServiceUnavailable && len(r.failed) == 1 && r.failed[0] == "redis"
	})

	rs.start()
	c.eventually("ready again", func() bool { return ready(t, c.base).code == http.StatusOK })
}

// TestCoreWaitsForNATS starts the core with AVATAR_NATS_URL on a port where nothing
// listens: it stays up and answers 503 naming nats; once a real NATS server starts on
// that port it turns ready, and a knowledge upload's ingest job is processed (the
// ingest workers started when the bus became ready).
func TestCoreWaitsForNATS(t *testing.T) {
	rs := &redisServer{t: t, port: freePort(t)}
	rs.start()
	t.Cleanup(rs.stop)
	natsPort := freePort(t)
	var nats *server.Server
	t.Cleanup(func() { // registered before the core's, so it runs after the core stopped
		if nats != nil {
			nats.Shutdown()
			nats.WaitForShutdown()
		}
	})
	const email, password = "root@avatar.test", "correct horse battery staple"
	c := startCore(t, map[string]string{
		"AVATAR_CORE_ADDR":          fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		"AVATAR_DATABASE_URL":       dbtest.New(t),
		"AVATAR_REDIS_URL":          fmt.Sprintf("redis://127.0.0.1:%d/0", rs.port),
		"AVATAR_NATS_URL":           fmt.Sprintf("nats://127.0.0.1:%d", natsPort),
		"AVATAR_BOOTSTRAP_EMAIL":    email,
		"AVATAR_BOOTSTRAP_PASSWORD": password,
	})
	var last readiness
	c.eventually("503 naming nats", func() bool {
		last = ready(t, c.base)
		return last.code == http.StatusServiceUnavailable && slices.Equal(last.failed, []string{"nats"}) &&
			strings.HasPrefix(last.errors["nats"], "NATS not ready: not connected")
	})
	t.Logf("without NATS: %d %v", last.code, last.errors)

	opts := &server.Options{Host: "127.0.0.1", Port: natsPort, JetStream: true, StoreDir: t.TempDir(), NoSigs: true, NoLog: true}
	srv, err := server.NewServer(opts)
	if err != nil {
		t.Fatalf("NATS server: %v", err)
	}
	nats = srv
	started := time.Now()
	go srv.Start()
	if !srv.ReadyForConnections(patience) {
		t.Fatalf("NATS server on port %d did not start", natsPort)
	}
	c.eventually("200 once NATS is up", func() bool { return ready(t, c.base).code == http.StatusOK })
	t.Logf("ready %s after the NATS server started", time.Since(started).Round(time.Millisecond))

	ctx := t.Context()
	hc := &http.Client{Timeout: patience}
	login, err := authv1connect.NewAuthServiceClient(hc, c.base).Login(ctx, connect.NewRequest(&authv1.LoginRequest{Email: email, Password: password}))
	if err != nil {
		t.Fatalf("login as the bootstrap admin: %v", err)
	}
	bearer := "Bearer " + login.Msg.AccessToken
	dreq := connect.NewRequest(&orgv1.CreateDealershipRequest{Name: "Alpha Motors"})
	dreq.Header().Set("Authorization", bearer)
	dres, err := orgv1connect.NewOrgServiceClient(hc, c.base).CreateDealership(ctx, dreq)
	if err != nil {
		t.Fatalf("create dealership: %v", err)
	}
	dealership := dres.Msg.GetDealership().GetId()

	kc := knowledgev1connect.NewKnowledgeServiceClient(hc, c.base)
	up := kc.UploadDocument(ctx)
	up.RequestHeader().Set("Authorization", bearer)
	up.RequestHeader().Set("X-Avatar-Dealership-Id", dealership)
	text := "GAP coverage pays the difference between the loan balance and the vehicle's value after a total loss.\n"
	for _, m := range []*knowledgev1.UploadDocumentRequest{
		{Payload: &knowledgev1.UploadDocumentRequest_Metadata{Metadata: &knowledgev1.DocumentMetadata{Title: "GAP", Filename: "gap.txt"}}},
		{Payload: &knowledgev1.UploadDocumentRequest_Chunk{Chunk: []byte(strings.Repeat(text, 20))}},
	} {
		if err := up.Send(m); err != nil {
			t.Fatalf("send upload: %v", err)
		}
	}
	ures, err := up.CloseAndReceive()
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	doc := ures.Msg.GetDocument()
	c.eventually("the ingest job processed", func() bool {
		req := connect.NewRequest(&knowledgev1.GetDocumentRequest{Id: doc.GetId()})
		req.Header().Set("Authorization", bearer)
		req.Header().Set("X-Avatar-Dealership-Id", dealership)
		res, err := kc.GetDocument(ctx, req)
		if err != nil {
			t.Fatalf("get document: %v", err)
		}
		doc = res.Msg.GetDocument()
		if doc.GetStatus() == knowledgev1.DocumentStatus_DOCUMENT_STATUS_FAILED {
			t.Fatalf("document failed: %s", doc.GetFailureReason())
		}
		return doc.GetStatus() == knowledgev1.DocumentStatus_DOCUMENT_STATUS_READY
	})
	if doc.GetChunkCount() == 0 {
		t.Fatalf("READY document without chunks: %v", doc)
	}
}
