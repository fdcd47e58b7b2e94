package analytics_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/avatar-fi/avatar/core/internal/apitest"
	"github.com/avatar-fi/avatar/core/internal/dbtest"
	"github.com/avatar-fi/avatar/core/internal/events"
	"github.com/avatar-fi/avatar/platform/gobuild"
	analyticsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/analytics/v1"
	conversationv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1"
	orgv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1"
	scenariov1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1"
)

// buildCore compiles avatar-core once per test binary.
func buildCore(t *testing.T) string {
	t.Helper()
	bin, err := gobuild.Binary("github.com/avatar-fi/avatar/core/cmd/avatar-core")
	if err != nil {
		t.Fatal(err)
	}
	return bin
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

// coreProc is the real core running as a child process.
type coreProc struct {
	t    *testing.T
	bin  string
	env  []string
	base string
	cmd  *exec.Cmd
	done chan struct{}
}

// start runs the core and waits until /readyz answers 200 (NATS streams declared,
// database migrated).
func (c *coreProc) start() {
	c.t.Helper()
	c.cmd = exec.CommandContext(context.WithoutCancel(c.t.Context()), c.bin)
	c.cmd.Env = c.env
	c.cmd.Stdout, c.cmd.Stderr = apitest.LogWriter(c.t), apitest.LogWriter(c.t)
	if err := c.cmd.Start(); err != nil {
		c.t.Fatalf("start avatar-core: %v", err)
	}
	done := make(chan struct{})
	c.done = done
	cmd := c.cmd
	go func() { _ = cmd.Wait(); close(done) }()
	deadline := time.Now().Add(patience)
	for {
		req, _ := http.NewRequestWithContext(c.t.Context(), http.MethodGet, c.base+"/readyz", nil)
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-done:
			c.t.Fatal("avatar-core exited before it was ready")
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("avatar-core not ready after %s", patience)
		}
	}
}

// signal sends sig and waits for the process to exit.
func (c *coreProc) signal(sig os.Signal) {
	c.t.Helper()
	if c.cmd == nil {
		return
	}
	_ = c.cmd.Process.Signal(sig)
	select {
	case <-c.done:
	case <-time.After(patience):
		_ = c.cmd.Process.Kill()
		c.t.Errorf("avatar-core did not exit on %v", sig)
	}
	c.cmd = nil
}

// TestCoreKilledMidSession runs the real avatar-core binary on a database and a NATS
// server of the test's own (the server stands in for the cluster the edges publish
// to). An edge publishes a session's turns at a steady pace; the core is killed with
// SIGKILL in the middle of it while the edge goes on, then started again. In the end
// the session has every turn, once, and its end.
func TestCoreKilledMidSession(t *testing.T) {
	bin := buildCore(t)
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(patience) {
		t.Fatal("NATS server did not start")
	}
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })

	dbURL := dbtest.New(t)
	pool, err := pgxpool.New(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	var trainee user
	if err := pool.QueryRow(t.Context(), `INSERT INTO dealerships (name) VALUES ('Killed Motors') RETURNING id::text`).Scan(&trainee.dealership); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(t.Context(), `INSERT INTO users (dealership_id, email, password_hash, role) VALUES ($1, 'kill@analytics.test', 'x', $2)
		RETURNING id::text`, trainee.dealership, orgv1.Role_ROLE_TRAINEE.String()).Scan(&trainee.id); err != nil {
		t.Fatal(err)
	}

	redisURL := os.Getenv("AVATAR_TEST_REDIS_URL")
	if redisURL == "" {
		redisURL = "redis://127.0.0.1:6379/0"
	}
	ru, err := url.Parse(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	ru.Path = fmt.Sprintf("/%d", 1+os.Getpid()%15) // rate-limit keys of our own
	addr := freeAddr(t)
	core := &coreProc{t: t, bin: bin, base: "http://" + addr, env: append(os.Environ(),
		"AVATAR_CORE_ADDR="+addr,
		"AVATAR_PUBLIC_URL=http://"+addr,
		"AVATAR_DATABASE_URL="+dbURL,
		"AVATAR_REDIS_URL="+ru.String(),
		"AVATAR_NATS_URL="+ns.ClientURL(),
		"AVATAR_LOG_LEVEL=warn",
	)}
	t.Cleanup(func() { core.signal(os.Interrupt) })
	core.start()

	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	names := events.DefaultNames()
	ed := &edge{t: t, js: js, names: names, region: "us-east"}

	const n = 400
	s := newSession(trainee, conversationv1.Mode_MODE_ROLE_PLAY, time.Now().Add(-time.Hour))
	turns := []*analyticsv1.Turn{s.opening("Let's keep this short.")}
	for i := range n {
		turns = append(turns, s.text(fmt.Sprintf("Line %d about the menu.", i+1), "I see.", scenariov1.Technique_TECHNIQUE_FULL_MENU))
	}
	ed.start(s)

	// The edge publishes one turn every 2 ms, whatever happens to the core.
	var published atomic.Int64
	pubErr := make(chan error, 1)
	go func() {
		defer close(pubErr)
		for _, tr := range turns {
			m := s.turnEvent(ed.region, tr)
			data, err := proto.Marshal(m)
			if err != nil {
				pubErr <- err
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			_, err = js.Publish(ctx, names.Subject("turn", "completed", ed.region), data, jetstream.WithMsgID(m.EventId))
			cancel()
			if err != nil {
				pubErr <- err
				return
			}
			published.Add(1)
			time.Sleep(2 * time.Millisecond)
		}
	}()

	turnRows := func() int { return count(t, pool, `SELECT count(*) FROM analytics_turns WHERE session_id = $1`, s.id) }
	eventually(t, "the core writing turns", func() error {
		if got := turnRows(); got < 60 {
			return fmt.Errorf("%d turn rows", got)
		}
		return nil
	})
	core.signal(syscall.SIGKILL)
	atKill := published.Load()
	// A COMMIT the core sent just before it died still completes in PostgreSQL: count
	// once none of its transactions is left.
	eventually(t, "the dead core's transactions finished", func() error {
		if n := count(t, pool, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
			AND pid <> pg_backend_pid() AND state IS DISTINCT FROM 'idle'`); n > 0 {
			return fmt.Errorf("%d backends busy", n)
		}
		return nil
	})
	rowsAtKill := turnRows()
	t.Logf("SIGKILL with %d turns published, %d written", atKill, rowsAtKill)
	if atKill == int64(len(turns)) {
		t.Fatal("the edge finished before the kill: the test did not kill the core mid-session")
	}
	eventually(t, "the edge going on without the core", func() error {
		if p := published.Load(); p < atKill+100 && p < int64(len(turns)) {
			return fmt.Errorf("%d published", p)
		}
		return nil
	})
	if got := turnRows(); got != rowsAtKill {
		t.Fatalf("%d turn rows with the core dead, %d at the kill", got, rowsAtKill)
	}
	core.start()
	if err := <-pubErr; err != nil {
		t.Fatalf("the edge failed to publish: %v", err)
	}
	ed.end(s, card(81, []scenariov1.Technique{scenariov1.Technique_TECHNIQUE_FULL_MENU}, nil), "ended")
	waitTurns(t, pool, s.id, len(turns))
	waitEnded(t, pool, s.id, "ended")

	var rows, distinct, lo, hi, recorded, reported int
	if err := pool.QueryRow(t.Context(), `SELECT count(*), count(DISTINCT turn_index), min(turn_index), max(turn_index),
		(SELECT recorded_turns FROM analytics_sessions WHERE id = $1), (SELECT reported_turns FROM analytics_sessions WHERE id = $1)
		FROM analytics_turns WHERE session_id = $1`, s.id).Scan(&rows, &distinct, &lo, &hi, &recorded, &reported); err != nil {
		t.Fatal(err)
	}
	if rows != n+1 || distinct != n+1 || lo != 0 || hi != n || recorded != n || reported != n {
		t.Fatalf("%d rows, %d distinct indexes %d..%d, %d recorded and %d reported trainee turns; want every one of %d turns once",
			rows, distinct, lo, hi, recorded, reported, n+1)
	}
}
