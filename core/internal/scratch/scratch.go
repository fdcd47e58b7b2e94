// Package scratch builds a throwaway environment on the real services for the measurement
// commands (avatar-eval-retrieval, avatar-bench-retrieval): a freshly migrated PostgreSQL
// database with one dealership, a Redis key prefix and NATS streams of their own, all
// removed by Close, so a measurement never touches the development data and leaves
// nothing behind.
package scratch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/avatar-fi/avatar/core/internal/events"
	"github.com/avatar-fi/avatar/core/internal/store"
)

// Config says where the services are and what to call the environment.
type Config struct {
	// Name prefixes the database ("avatar_<name>_<suffix>"), Redis keys, NATS subjects
	// and streams, and names the dealership. Lower-case letters only.
	Name string
	// DatabaseURL is an admin connection to the PostgreSQL server.
	DatabaseURL string
	RedisURL    string
	NATSURL     string
	// MaxConns caps the scratch pool; zero keeps pgx's default.
	MaxConns int32
	// Reuse names a database left by an earlier Keep run: it is migrated and reused
	// (with its dealership) instead of created, and kept.
	Reuse string
	// Keep leaves the database in place after Close, for EXPLAIN.
	Keep bool
}

// Env is the scratch environment. Close releases and removes it.
type Env struct {
	Pool         *pgxpool.Pool
	Redis        *redis.Client
	Bus          *events.Bus
	Names        events.Names
	DBName       string
	DealershipID string
	// KeyPrefix is this environment's Redis key prefix; Close deletes its keys.
	KeyPrefix string
	closers   []func(context.Context)
}

// New creates the environment. On error, whatever was created is removed again.
func New(ctx context.Context, cfg Config, log *slog.Logger) (env *Env, err error) {
	suffix := randHex(4)
	e := &Env{DBName: "avatar_" + cfg.Name + "_" + suffix, KeyPrefix: cfg.Name + ":" + suffix + ":"}
	defer func() {
		if err != nil {
			e.Close(ctx)
		}
	}()
	if cfg.Reuse != "" {
		e.DBName = cfg.Reuse
	} else {
		admin, err := pgx.Connect(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
		}
		if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{e.DBName}.Sanitize()); err != nil {
			_ = admin.Close(ctx)
			return nil, fmt.Errorf("create scratch database: %w", err)
		}
		e.closers = append(e.closers, func(ctx context.Context) {
			if !cfg.Keep {
				_, _ = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{e.DBName}.Sanitize()+" WITH (FORCE)")
			}
			_ = admin.Close(ctx)
		})
	}
	u, err := url.Parse(cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("database url: %w", err)
	}
	u.Path = "/" + e.DBName
	pc, err := pgxpool.ParseConfig(u.String())
	if err != nil {
		return nil, fmt.Errorf("database url: %w", err)
	}
	if cfg.MaxConns > 0 {
		pc.MaxConns = cfg.MaxConns
	}
	if e.Pool, err = pgxpool.NewWithConfig(ctx, pc); err != nil {
		return nil, fmt.Errorf("connect scratch database: %w", err)
	}
	e.closers = append(e.closers, func(context.Context) { e.Pool.Close() })
	if _, err := store.Migrate(ctx, e.Pool, log); err != nil {
		return nil, err
	}
	q := "INSERT INTO dealerships (name) VALUES ($1) RETURNING id::text"
	if cfg.Reuse != "" {
		q = "SELECT id::text FROM dealerships WHERE name = $1"
	}
	if err := e.Pool.QueryRow(ctx, q, cfg.Name).Scan(&e.DealershipID); err != nil {
		return nil, fmt.Errorf("dealership: %w", err)
	}

	ropts, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("redis url: %w", err)
	}
	e.Redis = redis.NewClient(ropts)
	e.closers = append(e.closers, func(ctx context.Context) {
		deleteKeys(ctx, e.Redis, e.KeyPrefix)
		_ = e.Redis.Close()
	})

	tag := strings.ToUpper(cfg.Name + suffix)
	e.Names = events.Names{Prefix: cfg.Name + suffix, EventsStream: tag + "_EVENTS", IngestStream: tag + "_INGEST"}
	if e.Bus, err = events.Connect(ctx, events.Config{URL: cfg.NATSURL, Name: "avatar-" + cfg.Name, Names: e.Names}, log); err != nil {
		return nil, fmt.Errorf("connect NATS: %w", err)
	}
	e.closers = append(e.closers, func(ctx context.Context) {
		_ = e.Bus.JS.DeleteStream(ctx, e.Names.EventsStream)
		_ = e.Bus.JS.DeleteStream(ctx, e.Names.IngestStream)
		e.Bus.Close()
	})
	return e, nil
}

// Close removes the environment (the database only when not kept or reused), in the
// reverse order of creation. It ignores the cancellation of ctx.
func (e *Env) Close(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	for i := len(e.closers) - 1; i >= 0; i-- {
		e.closers[i](ctx)
	}
	e.closers = nil
}

func deleteKeys(ctx context.Context, rdb *redis.Client, prefix string) {
	iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	for len(keys) > 0 {
		n := min(len(keys), 500)
		_ = rdb.Del(ctx, keys[:n]...).Err()
		keys = keys[n:]
	}
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
