package store

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrationLockID is the transaction-scoped advisory lock every migrating transaction
// takes, so replicas starting together apply each migration exactly once.
const migrationLockID int64 = 0x6176617461720001 // "avatar" + 1

// Migration is one versioned SQL file, NNNN_name.sql.
type Migration struct {
	Version int
	Name    string
	SQL     string
	Sum     string
}

// Migrations returns the embedded migrations in version order.
func Migrations() ([]Migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var out []Migration
	for _, e := range entries {
		name := e.Name()
		num, rest, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(name, ".sql") {
			return nil, fmt.Errorf("migration file %q: want NNNN_name.sql", name)
		}
		b, err := migrationFS.ReadFile(path.Join("migrations", name))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", name, err)
		}
		sum := sha256.Sum256(b)
		out = append(out, Migration{Version: v, Name: strings.TrimSuffix(rest, ".sql"), SQL: string(b), Sum: hex.EncodeToString(sum[:])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("two migrations with version %d", out[i].Version)
		}
	}
	return out, nil
}

// Migrate applies every embedded migration not yet applied, each in its own transaction
// that first takes a transaction-scoped advisory lock and checks again whether another
// process applied it meanwhile, so concurrent callers (core replicas starting together)
// apply each migration exactly once. Nothing outlives a transaction, so the pool may sit
// behind PgBouncer in transaction mode. It returns the versions it applied (none when
// the database is current).
func Migrate(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) ([]int, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ms, err := Migrations()
	if err != nil {
		return nil, err
	}
	// Two first runs would race on CREATE TABLE IF NOT EXISTS without the lock.
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if err := lockMigrations(ctx, tx); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version integer PRIMARY KEY,
			name text NOT NULL,
			checksum text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now())`)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	// Without the lock: what is applied already needs no lock; the rest is checked
	// again under it.
	applied := map[int]string{}
	rows, err := pool.Query(ctx, "SELECT version, checksum FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	for rows.Next() {
		var v int
		var sum string
		if err := rows.Scan(&v, &sum); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan schema_migrations: %w", err)
		}
		applied[v] = sum
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	var done []int
	for _, m := range ms {
		if sum, ok := applied[m.Version]; ok {
			if sum != m.Sum {
				return done, fmt.Errorf("%w: %04d_%s", ErrMigrationChanged, m.Version, m.Name)
			}
			continue
		}
		ran, err := apply(ctx, pool, m)
		if err != nil {
			if errors.Is(err, ErrMigrationChanged) {
				return done, err
			}
			return done, fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
		}
		if ran {
			log.InfoContext(ctx, "migration applied", "version", m.Version, "name", m.Name)
			done = append(done, m.Version)
		}
	}
	return done, nil
}

// apply runs m in one transaction under the migration lock, unless another process
// applied it first; it reports whether it ran m.
func apply(ctx context.Context, pool *pgxpool.Pool, m Migration) (bool, error) {
	ran := false
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if err := lockMigrations(ctx, tx); err != nil {
			return err
		}
		var sum string
		err := tx.QueryRow(ctx, "SELECT checksum FROM schema_migrations WHERE version = $1", m.Version).Scan(&sum)
		switch {
		case err == nil:
			if sum != m.Sum {
				return fmt.Errorf("%w: %04d_%s", ErrMigrationChanged, m.Version, m.Name)
			}
			return nil
		case !errors.Is(err, pgx.ErrNoRows):
			return fmt.Errorf("check applied: %w", err)
		}
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return fmt.Errorf("apply: %w", err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", m.Version, m.Name, m.Sum); err != nil {
			return fmt.Errorf("record: %w", err)
		}
		ran = true
		return nil
	})
	return ran, err
}

// lockMigrations takes the migration lock until tx ends. Each statement after it sees
// what the previous holder committed (READ COMMITTED takes a snapshot per statement).
func lockMigrations(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLockID); err != nil {
		return fmt.Errorf("take migration lock: %w", err)
	}
	return nil
}
