package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Store holds the primary pool and the pool read-only queries go to.
type Store struct {
	primary *pgxpool.Pool
	read    *pgxpool.Pool
}

// Config says where the databases are.
type Config struct {
	// URL is the primary's DSN. Required.
	URL string
	// ReadURL is a replica's DSN; empty sends reads to the primary.
	ReadURL string
	// MaxConns caps each pool; zero keeps pgx's default.
	MaxConns int32
}

// Open connects both pools. It does not wait for the database to be up; Ping does.
// Close releases them.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	primary, err := newPool(ctx, cfg.URL, cfg.MaxConns)
	if err != nil {
		return nil, fmt.Errorf("primary pool: %w", err)
	}
	s := &Store{primary: primary, read: primary}
	if cfg.ReadURL != "" {
		read, err := newPool(ctx, cfg.ReadURL, cfg.MaxConns)
		if err != nil {
			primary.Close()
			return nil, fmt.Errorf("read pool: %w", err)
		}
		s.read = read
	}
	return s, nil
}

func newPool(ctx context.Context, url string, maxConns int32) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	if maxConns > 0 {
		pc.MaxConns = maxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("create pool: %w", err)
	}
	return pool, nil
}

// Primary is the read-write pool.
func (s *Store) Primary() *pgxpool.Pool { return s.primary }

// Read is the pool for read-only queries: the replica when configured, else the primary.
func (s *Store) Read() *pgxpool.Pool { return s.read }

// Ping checks that the primary (and the replica, if any) answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.primary.Ping(ctx); err != nil {
		return fmt.Errorf("ping primary: %w", err)
	}
	if s.read != s.primary {
		if err := s.read.Ping(ctx); err != nil {
			return fmt.Errorf("ping read replica: %w", err)
		}
	}
	return nil
}

// Close closes both pools. Nothing may use the Store afterwards.
func (s *Store) Close() {
	if s.read != s.primary {
		s.read.Close()
	}
	s.primary.Close()
}
