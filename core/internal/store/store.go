package store

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Store holds the primary pool and the pool read-only queries go to.
type Store struct {
	primary *pgxpool.Pool
	read    *pgxpool.Pool
	replica *replica // nil without ReadURL
}

// Config says where the databases are.
type Config struct {
	// URL is the primary's DSN. Required.
	URL string
	// ReadURL is a streaming replica's DSN; empty sends reads to the primary. The read
	// pool connects to the replica only while it passes a check made every
	// ReadCheckInterval on a connection of its own: it answers within ReadCheckTimeout
	// and has replayed what the primary had written ReadMaxLag ago. Otherwise — and
	// until the first check passes — the read pool connects to the primary, so a replica
	// that stops or falls behind costs the reads that were under way, not the service.
	ReadURL string
	// MaxConns caps each pool; zero keeps pgx's default. While reads fall back, the read
	// pool's connections go to the primary too.
	MaxConns int32
	// ReadCheckInterval is how often the replica is checked; default 1 s. A connection to
	// the replica that cannot be made triggers a check at once.
	ReadCheckInterval time.Duration
	// ReadCheckTimeout bounds each check, and each connection the read pool makes to the
	// replica when ReadURL sets no connect_timeout; default 2 s.
	ReadCheckTimeout time.Duration
	// ReadMaxLag is how far behind the primary the replica may be and still serve reads
	// (measured to about ReadCheckInterval); default 5 s; negative turns the lag check
	// off. A read that must see its caller's own write goes to Primary, not Read.
	ReadMaxLag time.Duration
	// Log receives the changes of the reads' route; nil discards them.
	Log *slog.Logger
}

// validate names the field that is wrong.
func (c *Config) validate() error {
	switch {
	case c.MaxConns < 0:
		return fmt.Errorf("%w: MaxConns %d is negative", ErrInvalidConfig, c.MaxConns)
	case c.ReadCheckInterval < 0:
		return fmt.Errorf("%w: ReadCheckInterval %v is negative", ErrInvalidConfig, c.ReadCheckInterval)
	case c.ReadCheckTimeout < 0:
		return fmt.Errorf("%w: ReadCheckTimeout %v is negative", ErrInvalidConfig, c.ReadCheckTimeout)
	}
	return nil
}

// Open connects both pools and, with a replica, starts its check. It does not wait for
// the databases to be up; Ping does. Close releases them.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.ReadCheckInterval == 0 {
		cfg.ReadCheckInterval = defaultReadCheckInterval
	}
	if cfg.ReadCheckTimeout == 0 {
		cfg.ReadCheckTimeout = defaultReadCheckTimeout
	}
	if cfg.ReadMaxLag == 0 {
		cfg.ReadMaxLag = defaultReadMaxLag
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	pc, err := poolConfig(cfg.URL, cfg.MaxConns)
	if err != nil {
		return nil, fmt.Errorf("primary pool: %w", err)
	}
	primaryConn := pc.ConnConfig.Copy()
	primary, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("primary pool: create pool: %w", err)
	}
	s := &Store{primary: primary, read: primary}
	if cfg.ReadURL == "" {
		return s, nil
	}
	rc, err := poolConfig(cfg.ReadURL, cfg.MaxConns)
	if err != nil {
		primary.Close()
		return nil, fmt.Errorf("read pool: %w", err)
	}
	if rc.ConnConfig.ConnectTimeout == 0 {
		rc.ConnConfig.ConnectTimeout = cfg.ReadCheckTimeout
	}
	rep := &replica{
		primary:    primary,
		checkCfg:   rc.ConnConfig.Copy(),
		primaryCfg: primaryConn,
		interval:   cfg.ReadCheckInterval,
		timeout:    cfg.ReadCheckTimeout,
		maxLag:     cfg.ReadMaxLag,
		log:        cfg.Log.With("pool", "read"),
		nudge:      make(chan struct{}, 1),
	}
	if rc.ConnConfig.DialFunc != nil {
		rc.ConnConfig.DialFunc = rep.dialFunc(rc.ConnConfig.DialFunc)
	}
	rc.BeforeConnect = rep.beforeConnect
	read, err := pgxpool.NewWithConfig(ctx, rc)
	if err != nil {
		primary.Close()
		return nil, fmt.Errorf("read pool: create pool: %w", err)
	}
	rep.read = read
	s.read, s.replica = read, rep
	rep.start(ctx)
	return s, nil
}

func poolConfig(url string, maxConns int32) (*pgxpool.Config, error) {
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	if maxConns > 0 {
		pc.MaxConns = maxConns
	}
	return pc, nil
}

// Primary is the read-write pool.
func (s *Store) Primary() *pgxpool.Pool { return s.primary }

// Read is the pool for read-only queries that may lag the primary by up to
// Config.ReadMaxLag: with a replica, a pool whose connections go to the replica while it
// passes its check and to the primary while it does not; else the primary itself. A
// read that must see a write its caller just made (read-your-writes) uses Primary.
func (s *Store) Read() *pgxpool.Pool { return s.read }

// Ping checks that the primary answers. The replica is not part of it: while the
// replica fails its check the reads go to the primary, so a core whose primary answers
// can serve, and readiness that waited for the replica would take every core out of
// service together for a server they can do without.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.primary.Ping(ctx); err != nil {
		return fmt.Errorf("ping primary: %w", err)
	}
	return nil
}

// Close stops the replica's check and closes both pools. Nothing may use the Store
// afterwards.
func (s *Store) Close() {
	if s.replica != nil {
		s.replica.stop()
		s.read.Close()
	}
	s.primary.Close()
}
