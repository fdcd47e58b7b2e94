package lockout

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/avatar-fi/avatar/platform/ratelimit"
)

// Limit is the limit name of a lockout's refusals (LimitedError.Limit) and metrics.
const Limit = "lockout"

// Config sets how failed attempts lock a key.
type Config struct {
	// Free is the number of failures allowed before the first lock. Default 5.
	Free int
	// Base is the first lock's length; each further failure doubles it. Default 30 s.
	Base time.Duration
	// Max caps a lock. Default 1 h.
	Max time.Duration
	// Window is how long failures are remembered after the last one. Default 24 h.
	Window time.Duration
}

// Option configures a Lockout.
type Option func(*Lockout)

// WithLogger sets the logger for Redis fallbacks (default: discard; nil keeps it).
func WithLogger(log *slog.Logger) Option {
	return func(o *Lockout) {
		if log != nil {
			o.log = log
		}
	}
}

// WithMetrics counts refusals and Redis fallbacks in m under the limit name Limit
// (default: not counted).
func WithMetrics(m *ratelimit.Metrics) Option {
	return func(o *Lockout) { o.metrics = m }
}

// Lockout locks a key for a time that doubles with every failure past Config.Free,
// shared by all replicas through Redis. While Redis is down it keeps the same state per
// process. It is safe for concurrent use.
type Lockout struct {
	rdb     redis.UniversalClient
	prefix  string
	cfg     Config
	log     *slog.Logger
	metrics *ratelimit.Metrics

	mu    sync.Mutex
	local map[string]*localLock
}

type localLock struct {
	fails int
	until time.Time
	seen  time.Time
}

// New returns a Lockout over rdb, which must stay open while it is used. prefix starts
// its Redis keys (tests use a unique one) and zero Config fields take their defaults.
func New(rdb redis.UniversalClient, prefix string, cfg Config, opts ...Option) *Lockout {
	if cfg.Free <= 0 {
		cfg.Free = 5
	}
	if cfg.Base <= 0 {
		cfg.Base = 30 * time.Second
	}
	if cfg.Max <= 0 {
		cfg.Max = time.Hour
	}
	if cfg.Window <= 0 {
		cfg.Window = 24 * time.Hour
	}
	o := &Lockout{rdb: rdb, prefix: prefix, cfg: cfg, log: slog.New(slog.DiscardHandler), local: map[string]*localLock{}}
	for _, opt := range opts {
		opt(o)
	}
	return o
}

// Check returns nil when key is not locked, and a *ratelimit.LimitedError (Limit
// "lockout", errors.Is(err, ratelimit.ErrLimited)) with the remaining lock time when it
// is.
func (o *Lockout) Check(ctx context.Context, key string) error {
	ttl, err := o.rdb.PTTL(ctx, o.lockKey(key)).Result()
	if err != nil {
		o.metrics.RedisError(Limit)
		o.log.WarnContext(ctx, "lockout cannot reach Redis, using local state", "error", err.Error())
		o.mu.Lock()
		defer o.mu.Unlock()
		if l := o.local[key]; l != nil && time.Now().Before(l.until) {
			o.metrics.Denied(Limit)
			return &ratelimit.LimitedError{Limit: Limit, RetryAfter: time.Until(l.until)}
		}
		return nil
	}
	if ttl > 0 {
		o.metrics.Denied(Limit)
		return &ratelimit.LimitedError{Limit: Limit, RetryAfter: ttl}
	}
	return nil
}

// Fail records a failure for key and, past Free failures, locks it for
// Base·2^(failures−Free−1), capped at Max. It returns the lock length (zero if none).
// While Redis is down the failure is counted in this process and the error is nil.
func (o *Lockout) Fail(ctx context.Context, key string) (time.Duration, error) {
	n, err := o.incr(ctx, key)
	if err != nil {
		o.metrics.RedisError(Limit)
		return o.failLocal(key), nil
	}
	d := o.lockFor(n)
	if d > 0 {
		if err := o.rdb.Set(ctx, o.lockKey(key), n, d).Err(); err != nil {
			return d, fmt.Errorf("set lock: %w", err)
		}
	}
	return d, nil
}

// Reset forgets key's failures, after a success.
func (o *Lockout) Reset(ctx context.Context, key string) error {
	o.mu.Lock()
	delete(o.local, key)
	o.mu.Unlock()
	if err := o.rdb.Del(ctx, o.failKey(key), o.lockKey(key)).Err(); err != nil {
		return fmt.Errorf("reset lockout: %w", err)
	}
	return nil
}

func (o *Lockout) incr(ctx context.Context, key string) (int, error) {
	pipe := o.rdb.TxPipeline()
	incr := pipe.Incr(ctx, o.failKey(key))
	pipe.PExpire(ctx, o.failKey(key), o.cfg.Window)
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, fmt.Errorf("count failure: %w", err)
	}
	return int(incr.Val()), nil
}

func (o *Lockout) failLocal(key string) time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := time.Now()
	l := o.local[key]
	if l == nil || now.Sub(l.seen) > o.cfg.Window {
		l = &localLock{}
		o.local[key] = l
	}
	l.fails++
	l.seen = now
	d := o.lockFor(l.fails)
	l.until = now.Add(d)
	return d
}

func (o *Lockout) lockFor(fails int) time.Duration {
	over := fails - o.cfg.Free
	if over <= 0 {
		return 0
	}
	if over > 30 {
		return o.cfg.Max
	}
	d := o.cfg.Base << (over - 1)
	if d > o.cfg.Max || d <= 0 {
		d = o.cfg.Max
	}
	return d
}

func (o *Lockout) failKey(key string) string { return o.prefix + "lock:fails:" + key }
func (o *Lockout) lockKey(key string) string { return o.prefix + "lock:until:" + key }
