package store_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/avatar-fi/avatar/core/internal/store"
)

// TestReadReplica runs a Store against a real streaming replica: a primary of its own
// (initdb in a temporary directory) and a replica cloned from it with pg_basebackup -R.
// Writes go to the primary and stream to the replica; Read serves from the replica
// (its connection is in recovery); when the replica stops, or falls more than
// ReadMaxLag behind, reads move to the primary within a bound and Ping still passes;
// when it is back and caught up, reads return to it.
func TestReadReplica(t *testing.T) {
	const (
		interval = 100 * time.Millisecond
		timeout  = time.Second
		maxLag   = time.Second
		// bound is how long a move of the reads may take: the next check (at most an
		// interval away, at most a timeout long), plus maxLag when the replica lags,
		// plus room for a loaded machine under -race.
		bound = interval + timeout + maxLag + 5*time.Second
	)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()

	began := time.Now()
	primary := startPrimary(ctx, t)
	admin := connect(ctx, t, primary.url("postgres"))
	if _, err := admin.Exec(ctx, "CREATE DATABASE avatar"); err != nil {
		t.Fatal(err)
	}
	replica := primary.startReplica(ctx, t, "avatar_replica")
	t.Logf("primary and replica up in %v", time.Since(began).Round(time.Millisecond))

	logs := &lockedBuffer{}
	s, err := store.Open(ctx, store.Config{
		URL: primary.url("avatar"), ReadURL: replica.url("avatar"),
		ReadCheckInterval: interval, ReadCheckTimeout: timeout, ReadMaxLag: maxLag,
		Log: slog.New(slog.NewTextHandler(io.MultiWriter(logs, t.Output()), nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	metrics := prometheus.NewPedanticRegistry()
	metrics.MustRegister(s.Collector())

	// Writes on the primary: the core's migrations and a dealership.
	if _, err := store.Migrate(ctx, s.Primary(), nil); err != nil {
		t.Fatalf("migrate the primary: %v", err)
	}
	first := addDealership(ctx, t, s.Primary(), "Replica Motors")

	t.Run("writes stream to the replica", func(t *testing.T) {
		var state string
		if err := admin.QueryRow(ctx, "SELECT state FROM pg_stat_replication WHERE application_name = 'walreceiver'").Scan(&state); err != nil || state != "streaming" {
			t.Fatalf("pg_stat_replication on the primary: state %q (err %v), want streaming", state, err)
		}
		var lsn string
		if err := s.Primary().QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&lsn); err != nil {
			t.Fatal(err)
		}
		standby := connect(ctx, t, replica.url("avatar"))
		waitFor(ctx, t, "the replica replays the primary's writes", bound, func(ctx context.Context) (bool, error) {
			var ok bool
			err := standby.QueryRow(ctx, "SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", lsn).Scan(&ok)
			return ok, err
		})
	})
	if t.Failed() {
		return
	}

	t.Run("reads are served by the replica", func(t *testing.T) {
		took, failed := waitFor(ctx, t, "reads on the replica", bound, readsOn(s.Read(), true, first))
		t.Logf("reads on the replica after %v (%d failed reads)", took.Round(time.Millisecond), failed)
		_, err := s.Read().Exec(ctx, "INSERT INTO dealerships (name) VALUES ('Read Pool Motors')")
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "25006" {
			t.Fatalf("a write through Read: %v, want read_only_sql_transaction (25006) from the standby", err)
		}
		var inRecovery bool
		if err := s.Primary().QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&inRecovery); err != nil || inRecovery {
			t.Fatalf("Primary: in recovery %v (err %v), want the primary", inRecovery, err)
		}
		checkFallbackMetrics(t, metrics, 0, 0, 0)
	})
	if t.Failed() {
		return
	}

	var during string
	t.Run("replica stops: reads fall back to the primary", func(t *testing.T) {
		replica.stop(t)
		took, failed := waitFor(ctx, t, "reads on the primary", bound, readsOn(s.Read(), false, first))
		t.Logf("reads on the primary %v after the replica stopped (%d failed reads)", took.Round(time.Millisecond), failed)
		if err := s.Ping(ctx); err != nil {
			t.Fatalf("Ping with the replica down: %v, want nil (the primary answers)", err)
		}
		during = addDealership(ctx, t, s.Primary(), "Outage Motors")
		if ok, err := readsOn(s.Read(), false, during)(ctx); err != nil || !ok {
			t.Fatalf("Read during the fallback does not see a write on the primary (err %v)", err)
		}
		checkFallbackMetrics(t, metrics, 1, 1, 0)
		if l := logs.String(); !strings.Contains(l, "reads go to the primary") || !strings.Contains(l, "reason=unreachable") {
			t.Fatalf("no log line of the fallback; logs:\n%s", l)
		}
	})
	if t.Failed() {
		return
	}

	t.Run("replica returns: reads go back to it", func(t *testing.T) {
		restarted := time.Now()
		replica.start(ctx, t)
		up := time.Since(restarted)
		took, failed := waitFor(ctx, t, "reads on the replica again, caught up", bound, readsOn(s.Read(), true, during))
		t.Logf("replica accepted connections %v after its start; reads on it %v later (%d failed reads)", up.Round(time.Millisecond), took.Round(time.Millisecond), failed)
		checkFallbackMetrics(t, metrics, 0, 1, 0)
		if !strings.Contains(logs.String(), "read replica in use") {
			t.Fatalf("no log line of the return; logs:\n%s", logs.String())
		}
	})
	if t.Failed() {
		return
	}

	t.Run("replica lags: reads go to the primary until it catches up", func(t *testing.T) {
		standby := connect(ctx, t, replica.url("avatar"))
		if _, err := standby.Exec(ctx, "SELECT pg_wal_replay_pause()"); err != nil {
			t.Fatal(err)
		}
		late := addDealership(ctx, t, s.Primary(), "Lagging Motors")
		took, failed := waitFor(ctx, t, "reads on the primary while the replica lags", bound, readsOn(s.Read(), false, late))
		t.Logf("reads on the primary %v after a write the paused replica lacks (max lag %v; %d failed reads)", took.Round(time.Millisecond), maxLag, failed)
		if took < maxLag/2 {
			t.Fatalf("reads left the replica after %v, before it could lag %v", took, maxLag)
		}
		checkFallbackMetrics(t, metrics, 1, 1, 1)
		if _, err := standby.Exec(ctx, "SELECT pg_wal_replay_resume()"); err != nil {
			t.Fatal(err)
		}
		waitFor(ctx, t, "reads on the replica after it caught up", bound, readsOn(s.Read(), true, late))
		checkFallbackMetrics(t, metrics, 0, 1, 1)
	})
}

// TestOpenRejectsInvalidConfig checks that Open names the wrong field.
func TestOpenRejectsInvalidConfig(t *testing.T) {
	url := "postgres://postgres@127.0.0.1:5432/avatar_test?sslmode=disable"
	tests := []struct {
		name  string
		cfg   store.Config
		field string
	}{
		{name: "negative max conns", cfg: store.Config{URL: url, MaxConns: -1}, field: "MaxConns"},
		{name: "negative check interval", cfg: store.Config{URL: url, ReadURL: url, ReadCheckInterval: -time.Second}, field: "ReadCheckInterval"},
		{name: "negative check timeout", cfg: store.Config{URL: url, ReadURL: url, ReadCheckTimeout: -time.Second}, field: "ReadCheckTimeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := store.Open(t.Context(), tt.cfg)
			if err == nil {
				s.Close()
				t.Fatal("Open accepted the config")
			}
			if !errors.Is(err, store.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("got %v, want ErrInvalidConfig naming %s", err, tt.field)
			}
		})
	}
}

// readsOn returns a probe that is true when one query through pool ran on a standby
// (standby true) or on the primary (false) and saw the dealership id.
func readsOn(pool *pgxpool.Pool, standby bool, id string) func(context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		var inRecovery, seen bool
		err := pool.QueryRow(ctx, "SELECT pg_is_in_recovery(), EXISTS (SELECT 1 FROM dealerships WHERE id = $1)", id).Scan(&inRecovery, &seen)
		return err == nil && inRecovery == standby && seen, err
	}
}

// waitFor polls cond every 10 ms until it holds, and fails the test when it does not
// within limit. It returns how long that took and how many polls failed with an error.
func waitFor(ctx context.Context, t *testing.T, what string, limit time.Duration, cond func(context.Context) (bool, error)) (time.Duration, int) {
	t.Helper()
	start := time.Now()
	failed := 0
	var last error
	for {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		ok, err := cond(pctx)
		cancel()
		if ok {
			return time.Since(start), failed
		}
		if err != nil {
			failed++
			last = err
		}
		if time.Since(start) > limit || ctx.Err() != nil {
			t.Fatalf("%s: not within %v (%d failed polls, last error: %v)", what, limit, failed, last)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// checkFallbackMetrics compares avatar_db_read_fallback and
// avatar_db_read_fallbacks_total{reason} with what the test expects.
func checkFallbackMetrics(t *testing.T, reg *prometheus.Registry, fallback, unreachable, lagging float64) {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			switch f.GetName() {
			case "avatar_db_read_fallback":
				got["fallback"] = m.GetGauge().GetValue()
			case "avatar_db_read_fallbacks_total":
				for _, l := range m.GetLabel() {
					if l.GetName() == "reason" {
						got[l.GetValue()] = m.GetCounter().GetValue()
					}
				}
			}
		}
	}
	want := map[string]float64{"fallback": fallback, "unreachable": unreachable, "lagging": lagging}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("metric %s: got %v (present %v), want %v", k, g, ok, v)
		}
	}
}

// addDealership inserts a dealership through pool and returns its id.
func addDealership(ctx context.Context, t *testing.T, pool *pgxpool.Pool, name string) string {
	t.Helper()
	var id string
	if err := pool.QueryRow(ctx, "INSERT INTO dealerships (name) VALUES ($1) RETURNING id::text", name).Scan(&id); err != nil {
		t.Fatalf("insert dealership: %v", err)
	}
	return id
}

// connect opens a connection closed in Cleanup.
func connect(ctx context.Context, t *testing.T, url string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	t.Cleanup(func() { _ = c.Close(context.WithoutCancel(ctx)) })
	return c
}

// lockedBuffer is a bytes.Buffer safe for the logger and the test to share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
