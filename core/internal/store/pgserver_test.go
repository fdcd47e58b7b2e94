package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgServer is a PostgreSQL server of this machine's installation (the binaries of
// AVATAR_TEST_PG_BINDIR, else of `pg_config --bindir`) running in a temporary
// directory on a free loopback port, for one test: a primary of its own, or a streaming
// replica of one. Run as root, it runs as the postgres user (PostgreSQL refuses root).
// It is the postmaster's parent: the postmaster gets SIGQUIT (immediate shutdown) if
// the test binary dies, and Cleanup stops it and removes its directory.
type pgServer struct {
	bin  string
	data string
	logf string
	port int
	cred *syscall.Credential
	cmd  *exec.Cmd
	done chan error // the postmaster's exit, while it runs
}

// pgServerFlags keep the test servers small; the replica must allow at least as many
// connections as its primary.
var pgServerFlags = []string{
	"-c", "listen_addresses=127.0.0.1",
	"-c", "unix_socket_directories=",
	"-c", "shared_buffers=16MB",
	"-c", "max_connections=40",
	"-c", "fsync=off",
}

// pgBinDir finds the PostgreSQL binaries, failing the test with one clear message.
func pgBinDir(ctx context.Context, t *testing.T) string {
	t.Helper()
	dir := os.Getenv("AVATAR_TEST_PG_BINDIR")
	if dir == "" {
		out, err := exec.CommandContext(ctx, "pg_config", "--bindir").Output()
		if err != nil {
			t.Fatalf("pgserver: PostgreSQL's binaries not found: pg_config --bindir: %v (install postgresql via deploy/dev/services.sh, or set AVATAR_TEST_PG_BINDIR)", err)
		}
		dir = strings.TrimSpace(string(out))
	}
	for _, b := range []string{"initdb", "postgres", "pg_basebackup"} {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			t.Fatalf("pgserver: %s not found in %s (install postgresql via deploy/dev/services.sh, or set AVATAR_TEST_PG_BINDIR): %v", b, dir, err)
		}
	}
	return dir
}

// pgCredential is the postgres user's when the test runs as root, else nil (run as
// the current user).
func pgCredential(t *testing.T) *syscall.Credential {
	t.Helper()
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Fatalf("pgserver: running as root needs the postgres user to run PostgreSQL as: %v", err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
}

// pgTempDir returns a new directory the server's user owns, removed in Cleanup (after
// the server stops: Cleanup runs in reverse order).
func pgTempDir(t *testing.T, cred *syscall.Credential) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "avatar-pgserver-")
	if err != nil {
		t.Fatalf("pgserver: %v", err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			t.Fatalf("pgserver: %v", err)
		}
	}
	return dir
}

// freePort returns a loopback TCP port nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("pgserver: free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// run runs a PostgreSQL program as the server's user and fails the test with its
// output when it fails.
func (s *pgServer) run(ctx context.Context, t *testing.T, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(s.bin, name), args...)
	cmd.Dir = filepath.Dir(s.data)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pgserver: %s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// startPrimary creates a cluster with initdb (trust authentication, replication
// connections allowed from loopback, which initdb's pg_hba.conf does) and starts it.
func startPrimary(ctx context.Context, t *testing.T) *pgServer {
	t.Helper()
	cred := pgCredential(t)
	s := &pgServer{bin: pgBinDir(ctx, t), cred: cred}
	dir := pgTempDir(t, cred)
	s.data, s.logf = filepath.Join(dir, "data"), filepath.Join(dir, "server.log")
	s.run(ctx, t, "initdb", "-D", s.data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
	s.port = freePort(t)
	t.Cleanup(func() { _ = s.stopWith(syscall.SIGQUIT) })
	s.start(ctx, t)
	return s
}

// startReplica clones s with pg_basebackup into a new directory — with -R, so the clone
// starts as a standby that streams from s over the replication slot slot — and starts it.
func (s *pgServer) startReplica(ctx context.Context, t *testing.T, slot string) *pgServer {
	t.Helper()
	r := &pgServer{bin: s.bin, cred: s.cred}
	dir := pgTempDir(t, s.cred)
	r.data, r.logf = filepath.Join(dir, "data"), filepath.Join(dir, "server.log")
	r.run(ctx, t, "pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(s.port), "-U", "postgres",
		"-D", r.data, "-R", "-X", "stream", "-C", "-S", slot, "--checkpoint=fast", "--no-sync")
	r.port = freePort(t)
	t.Cleanup(func() { _ = r.stopWith(syscall.SIGQUIT) })
	r.start(ctx, t)
	return r
}

// url returns the DSN of database db on the server.
func (s *pgServer) url(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, db)
}

// start starts the postmaster and waits until it accepts connections (a standby: once
// it is consistent). The test that created the server stops it in its Cleanup, so a
// subtest may start it again.
func (s *pgServer) start(ctx context.Context, t *testing.T) {
	t.Helper()
	logf, err := os.OpenFile(s.logf, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatalf("pgserver: %v", err)
	}
	defer logf.Close()
	args := append([]string{"-D", s.data, "-p", strconv.Itoa(s.port)}, pgServerFlags...)
	// Not CommandContext: the server outlives the context of the step that starts it.
	cmd := exec.Command(filepath.Join(s.bin, "postgres"), args...)
	cmd.Dir = filepath.Dir(s.data)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred, Pdeathsig: syscall.SIGQUIT}
	if err := cmd.Start(); err != nil {
		t.Fatalf("pgserver: start postgres: %v", err)
	}
	s.cmd, s.done = cmd, make(chan error, 1)
	go func(done chan<- error) { done <- cmd.Wait() }(s.done)

	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		c, err := pgx.Connect(ctx, s.url("postgres"))
		if err == nil {
			_ = c.Close(ctx)
			return
		}
		select {
		case exitErr := <-s.done:
			s.done <- exitErr
			t.Fatalf("pgserver: postgres on port %d exited (%v):\n%s", s.port, exitErr, s.logTail())
		case <-ctx.Done():
			t.Fatalf("pgserver: postgres on port %d did not accept connections within 30 s (%v):\n%s", s.port, err, s.logTail())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// stop shuts the server down fast (SIGINT: clients disconnected, a clean shutdown) and
// waits for it.
func (s *pgServer) stop(t *testing.T) {
	t.Helper()
	if err := s.stopWith(syscall.SIGINT); err != nil {
		t.Fatalf("pgserver: stop postgres on port %d: %v\n%s", s.port, err, s.logTail())
	}
}

// stopWith signals the postmaster and waits up to 30 s for it to exit; it does nothing
// when the server is not running.
func (s *pgServer) stopWith(sig syscall.Signal) error {
	if s.cmd == nil {
		return nil
	}
	cmd, done := s.cmd, s.done
	s.cmd, s.done = nil, nil
	_ = cmd.Process.Signal(sig)
	select {
	case err := <-done:
		var exitErr *exec.ExitError
		if err != nil && !errors.As(err, &exitErr) {
			return err
		}
		return nil
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		return errors.New("did not stop within 30 s; killed")
	}
}

// logTail returns the end of the server's log, for failure messages.
func (s *pgServer) logTail() string {
	b, err := os.ReadFile(s.logf)
	if err != nil {
		return err.Error()
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(bytes.TrimSpace(b))
}
