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
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/avatar-fi/avatar/core/internal/app"
	"github.com/avatar-fi/avatar/core/internal/dbtest"
)

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
	deadline := time.Now().Add(10 * time.Second)
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
}

func ready(t *testing.T, base string) readiness {
	t.Helper()
	res, err := http.Get(base + "/readyz")
	if err != nil {
		return readiness{}
	}
	defer res.Body.Close()
	var body struct {
		Failed []string `json:"failed"`
	}
	_ = json.NewDecoder(res.Body).Decode(&body)
	return readiness{code: res.StatusCode, failed: body.Failed}
}

func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if f() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestReadinessFollowsRedis starts the whole core against the real PostgreSQL and NATS and
// a private Redis, stops Redis (503 naming redis), restarts it (200 again, no restart).
func TestReadinessFollowsRedis(t *testing.T) {
	rs := &redisServer{t: t, port: freePort(t)}
	rs.start()
	t.Cleanup(rs.stop)
	corePort := freePort(t)
	natsURL := os.Getenv("AVATAR_TEST_NATS_URL")
	if natsURL == "" {
		natsURL = "nats://127.0.0.1:4222"
	}
	vars := map[string]string{
		"AVATAR_CORE_ADDR":      fmt.Sprintf("127.0.0.1:%d", corePort),
		"AVATAR_DATABASE_URL":   dbtest.New(t),
		"AVATAR_REDIS_URL":      fmt.Sprintf("redis://127.0.0.1:%d/0", rs.port),
		"AVATAR_NATS_URL":       natsURL,
		"AVATAR_NATS_STORE_DIR": filepath.Join(t.TempDir(), "nats"),
	}
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() { done <- app.Run(ctx, func(k string) string { return vars[k] }, &stdout, &stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("core exited %d: %s", code, stderr.String())
			}
		case <-time.After(30 * time.Second):
			t.Error("core did not stop")
		}
		t.Log(stdout.String())
	})
	base := fmt.Sprintf("http://127.0.0.1:%d", corePort)
	eventually(t, "core ready", func() bool { return ready(t, base).code == http.StatusOK })

	rs.stop()
	eventually(t, "503 naming redis", func() bool {
		r := ready(t, base)
		return r.code == http.StatusServiceUnavailable && len(r.failed) == 1 && r.failed[0] == "redis"
	})

	rs.start()
	eventually(t, "ready again", func() bool { return ready(t, base).code == http.StatusOK })
}
