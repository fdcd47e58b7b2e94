package ratelimit

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"
)

// DefaultPrefix starts every Redis key of a Limiter without WithPrefix.
const DefaultPrefix = "avatar:"

// Limiter checks named budgets. It is safe for concurrent use by many goroutines, and
// several Limiters (in one process or many) with the same Redis and prefix share
// budgets.
type Limiter struct {
	rl      *redis_rate.Limiter
	prefix  string
	limits  map[string]Limit
	log     *slog.Logger
	metrics *Metrics

	mu       sync.Mutex
	local    map[string]*localEntry
	lastWarn map[string]time.Time
	sweepAt  time.Time
}

type localEntry struct {
	lim  *rate.Limiter
	seen time.Time
}

// Option configures a Limiter.
type Option func(*Limiter) error

// WithPrefix sets the Redis key prefix (default DefaultPrefix); tests use a unique
// prefix per test.
func WithPrefix(p string) Option {
	return func(l *Limiter) error { l.prefix = p; return nil }
}

// WithLimits adds limits, or replaces the limits of the same name. A limit with no
// name, a non-positive rate or period, or a negative burst is refused with an error
// wrapping ErrInvalidLimit.
func WithLimits(limits ...Limit) Option {
	return func(l *Limiter) error {
		for _, lim := range limits {
			if lim.Name == "" || lim.Rate <= 0 || lim.Period <= 0 || lim.Burst < 0 {
				return fmt.Errorf("%w: %+v", ErrInvalidLimit, lim)
			}
			l.limits[lim.Name] = lim
		}
		return nil
	}
}

// WithLogger sets the logger for Redis fallbacks (default: discard; nil keeps it).
func WithLogger(log *slog.Logger) Option {
	return func(l *Limiter) error {
		if log != nil {
			l.log = log
		}
		return nil
	}
}

// WithMetrics counts the Limiter's refusals and Redis fallbacks in m (default: not
// counted).
func WithMetrics(m *Metrics) Option {
	return func(l *Limiter) error { l.metrics = m; return nil }
}

// New returns a Limiter over rdb with DefaultLimits plus any WithLimits. rdb must stay
// open while the Limiter is used.
func New(rdb redis.UniversalClient, opts ...Option) (*Limiter, error) {
	l := &Limiter{
		rl: redis_rate.NewLimiter(rdb), prefix: DefaultPrefix, limits: map[string]Limit{},
		log: slog.New(slog.DiscardHandler), local: map[string]*localEntry{}, lastWarn: map[string]time.Time{},
	}
	for _, d := range DefaultLimits() {
		l.limits[d.Name] = d
	}
	for _, o := range opts {
		if err := o(l); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// Allow takes one request from the budget of (limit, key), where key is typically a user
// id, email or IP. It returns nil when the request is allowed; a *LimitedError
// (errors.Is(err, ErrLimited)) when the budget is spent; an error wrapping
// ErrUnavailable when Redis cannot be reached and the limit fails closed; an error
// wrapping ctx.Err() when ctx ends first; and an error wrapping ErrUnknownLimit for a
// name the Limiter does not have.
func (l *Limiter) Allow(ctx context.Context, limit, key string) error {
	lim, ok := l.limits[limit]
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownLimit, limit)
	}
	burst := lim.Burst
	if burst == 0 {
		burst = lim.Rate
	}
	res, err := l.rl.Allow(ctx, l.key(limit, key), redis_rate.Limit{Rate: lim.Rate, Burst: burst, Period: lim.Period})
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("rate limit %s: %w", limit, ctx.Err())
		}
		return l.fallback(ctx, lim, burst, key, err)
	}
	if res.Allowed > 0 {
		return nil
	}
	l.metrics.Denied(limit)
	return &LimitedError{Limit: limit, RetryAfter: res.RetryAfter}
}

func (l *Limiter) fallback(ctx context.Context, lim Limit, burst int, key string, cause error) error {
	l.metrics.RedisError(lim.Name)
	now := time.Now()
	l.mu.Lock()
	if now.Sub(l.lastWarn[lim.Name]) > time.Minute {
		l.lastWarn[lim.Name] = now
		l.log.WarnContext(ctx, "rate limiter cannot reach Redis, using fallback", "limit", lim.Name, "fail_closed", lim.Fallback == FailClosed, "error", cause.Error())
	}
	if lim.Fallback == FailClosed {
		l.mu.Unlock()
		return fmt.Errorf("rate limit %s: %w: %w", lim.Name, ErrUnavailable, cause)
	}
	k := lim.Name + ":" + key
	e := l.local[k]
	if e == nil {
		e = &localEntry{lim: rate.NewLimiter(rate.Every(lim.Period/time.Duration(lim.Rate)), burst)}
		l.local[k] = e
	}
	e.seen = now
	if now.Sub(l.sweepAt) > time.Minute {
		l.sweepAt = now
		for k, v := range l.local {
			if now.Sub(v.seen) > 10*time.Minute {
				delete(l.local, k)
			}
		}
	}
	r := e.lim.ReserveN(now, 1)
	l.mu.Unlock()
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		l.metrics.Denied(lim.Name)
		return &LimitedError{Limit: lim.Name, RetryAfter: d}
	}
	return nil
}

// Reset clears the budget of (limit, key) in Redis, for example after a successful
// login.
func (l *Limiter) Reset(ctx context.Context, limit, key string) error {
	if err := l.rl.Reset(ctx, l.key(limit, key)); err != nil {
		return fmt.Errorf("reset rate limit %s: %w", limit, err)
	}
	return nil
}

// key is the Redis key of (limit, key); redis_rate puts "rate:" in front of it.
func (l *Limiter) key(limit, key string) string { return l.prefix + "rl:" + limit + ":" + key }
