// Package dbtest gives each test its own freshly migrated PostgreSQL database on the real
// server (AVATAR_TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/avatar_test).
// A template database is migrated once per migration set and cloned per test, which takes
// tens of milliseconds; the clone is dropped when the test ends. A missing server is a
// test failure with one clear message, never a skip.
package dbtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/avatar-fi/avatar/core/internal/store"
)

// DefaultURL is used when AVATAR_TEST_DATABASE_URL is unset.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/avatar_test?sslmode=disable"

// BaseURL returns the admin database URL tests connect through.
func BaseURL() string {
	if v := os.Getenv("AVATAR_TEST_DATABASE_URL"); v != "" {
		return v
	}
	return DefaultURL
}

// New creates a migrated database for t and returns its URL. It is dropped in Cleanup.
func New(tb testing.TB) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	base := BaseURL()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("dbtest: PostgreSQL is not reachable at %s (run deploy/dev/services.sh): %v", base, err)
	}
	defer admin.Close(context.WithoutCancel(ctx))

	tmpl, err := ensureTemplate(ctx, admin, base)
	if err != nil {
		tb.Fatalf("dbtest: prepare template: %v", err)
	}
	name := "avatar_t_" + randomHex(6)
	// CREATE DATABASE ... TEMPLATE fails while another session is connected to the
	// template; retry briefly when a parallel test is still migrating it.
	var cerr error
	for i := 0; i < 50; i++ {
		_, cerr = admin.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, tmpl))
		if cerr == nil || !strings.Contains(cerr.Error(), "being accessed by other users") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if cerr != nil {
		tb.Fatalf("dbtest: create database: %v", cerr)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			tb.Logf("dbtest: drop %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name)); err != nil {
			tb.Logf("dbtest: drop %s: %v", name, err)
		}
	})
	return withDatabase(base, name)
}

// NewPool is New plus a pool closed in Cleanup.
func NewPool(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	u := New(tb)
	pool, err := pgxpool.New(context.Background(), u)
	if err != nil {
		tb.Fatalf("dbtest: pool: %v", err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

// Empty creates an empty (unmigrated) database with the vector extension available and
// returns its URL; for migration tests. It is dropped in Cleanup.
func Empty(tb testing.TB) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	base := BaseURL()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("dbtest: PostgreSQL is not reachable at %s (run deploy/dev/services.sh): %v", base, err)
	}
	defer admin.Close(ctx)
	name := "avatar_e_" + randomHex(6)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE template0"); err != nil {
		tb.Fatalf("dbtest: create database: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return withDatabase(base, name)
}

// ensureTemplate creates and migrates avatar_tmpl_<hash of migrations> once; concurrent
// test processes serialise on an advisory lock.
func ensureTemplate(ctx context.Context, admin *pgx.Conn, base string) (string, error) {
	ms, err := store.Migrations()
	if err != nil {
		return "", err
	}
	var sig strings.Builder
	for _, m := range ms {
		sig.WriteString(m.Sum)
	}
	name := "avatar_tmpl_" + shortHash(sig.String())
	if _, err := admin.Exec(ctx, "SELECT pg_advisory_lock(7262001)"); err != nil {
		return "", fmt.Errorf("lock: %w", err)
	}
	defer func() { _, _ = admin.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(7262001)") }()
	var exists bool
	if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", fmt.Errorf("look up template: %w", err)
	}
	if exists {
		return name, nil
	}
	// Templates of older migration sets are dead weight now.
	if rows, err := admin.Query(ctx, "SELECT datname FROM pg_database WHERE datname LIKE 'avatar_tmpl_%' AND datname <> $1", name); err == nil {
		old, _ := pgx.CollectRows(rows, pgx.RowTo[string])
		for _, o := range old {
			_, _ = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{o}.Sanitize()+" WITH (FORCE)")
		}
	}
	building := name + "_b"
	_, _ = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+building+" WITH (FORCE)")
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+building+" TEMPLATE template0"); err != nil {
		return "", fmt.Errorf("create template: %w", err)
	}
	pool, err := pgxpool.New(ctx, withDatabase(base, building))
	if err != nil {
		return "", fmt.Errorf("connect template: %w", err)
	}
	_, merr := store.Migrate(ctx, pool, nil)
	pool.Close()
	if merr != nil {
		return "", fmt.Errorf("migrate template: %w", merr)
	}
	if _, err := admin.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s RENAME TO %s", building, name)); err != nil {
		return "", fmt.Errorf("rename template: %w", err)
	}
	return name, nil
}

func withDatabase(base, name string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	u.Path = "/" + name
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:6])
}
