package store

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Defaults of the replica's health check (Config).
const (
	defaultReadCheckInterval = time.Second
	defaultReadCheckTimeout  = 2 * time.Second
	defaultReadMaxLag        = 5 * time.Second
)

// route is where the read pool's new connections go.
type route int32

const (
	// routeUnknown: the replica has not been checked yet; reads go to the primary.
	routeUnknown route = iota
	// routeReplica: the replica answers and keeps up; reads go to it.
	routeReplica
	// routeUnreachable: the replica did not answer its last check; reads go to the primary.
	routeUnreachable
	// routeLagging: the replica answers but has not replayed what the primary wrote more
	// than ReadMaxLag ago; reads go to the primary.
	routeLagging
)

// fallbackReason is the reason label of the fallback counter, by route.
func (r route) fallbackReason() string {
	if r == routeLagging {
		return "lagging"
	}
	return "unreachable"
}

// walSample is the primary's WAL position at one moment.
type walSample struct {
	at  time.Time
	lsn int64
}

// replica checks the read replica at a fixed interval on its own connection and routes
// the read pool: its new connections go to the replica while the replica answers and
// keeps up, and to the primary otherwise. Each change of route resets the read pool, so
// connections of the old route close (idle ones at once, busy ones when released).
// onPrimary, falling, beforeConnect and the dialer from dialFunc are safe for concurrent
// use; check and what it calls belong to the check loop.
type replica struct {
	read       *pgxpool.Pool   // the pool it routes
	primary    *pgxpool.Pool   // reads the primary's WAL position
	checkCfg   *pgx.ConnConfig // the replica, for the check's own connection
	primaryCfg *pgx.ConnConfig // where the read pool connects while falling back
	interval   time.Duration
	timeout    time.Duration
	maxLag     time.Duration
	log        *slog.Logger

	route atomic.Int32
	// fallbacks counts the changes from the replica (or the start) to the primary, by
	// reason: [0] unreachable, [1] lagging.
	fallbacks [2]atomic.Uint64
	nudge     chan struct{}
	cancel    context.CancelFunc
	done      chan struct{}

	// Owned by the check loop.
	conn    *pgx.Conn
	samples []walSample
}

// onPrimary reports whether the read pool's new connections go to the primary.
func (r *replica) onPrimary() bool { return route(r.route.Load()) != routeReplica }

// falling reports whether reads go to the primary because the replica failed its check.
func (r *replica) falling() bool {
	rt := route(r.route.Load())
	return rt == routeUnreachable || rt == routeLagging
}

// beforeConnect is the read pool's BeforeConnect: while falling back it points the new
// connection at the primary.
func (r *replica) beforeConnect(_ context.Context, cfg *pgx.ConnConfig) error {
	if r.onPrimary() {
		*cfg = *r.primaryCfg.Copy()
	}
	return nil
}

// dialFunc wraps the read pool's dialer: a failed dial to the replica asks for a check
// at once, so a replica that went away is noticed at the first connection refused
// rather than at the next tick.
func (r *replica) dialFunc(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			select {
			case r.nudge <- struct{}{}:
			default:
			}
		}
		return c, err
	}
}

// start runs the check loop until stop.
func (r *replica) start(ctx context.Context) {
	ctx, r.cancel = context.WithCancel(context.WithoutCancel(ctx))
	r.done = make(chan struct{})
	go r.loop(ctx)
}

// stop ends the check loop and waits for it.
func (r *replica) stop() {
	r.cancel()
	<-r.done
}

func (r *replica) loop(ctx context.Context) {
	defer close(r.done)
	defer func() {
		if r.conn != nil {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.timeout)
			_ = r.conn.Close(cctx)
			cancel()
		}
	}()
	tick := time.NewTicker(r.interval)
	defer tick.Stop()
	for {
		r.check(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-r.nudge:
		}
	}
}

// check records the primary's WAL position, asks the replica whether it answers and how
// far it has replayed, compares that with the primary's position ReadMaxLag ago, and
// sets the route. The primary is sampled at every check, the replica's outages
// included, so a replica that comes back far behind stays out until it catches up.
func (r *replica) check(ctx context.Context) {
	if r.maxLag > 0 {
		r.samplePrimary(ctx)
	}
	inRecovery, replayed, err := r.probe(ctx)
	if ctx.Err() != nil {
		return
	}
	if err != nil {
		r.set(ctx, routeUnreachable, err)
		return
	}
	if inRecovery && r.maxLag > 0 && r.behind(replayed) {
		r.set(ctx, routeLagging, nil)
		return
	}
	r.set(ctx, routeReplica, nil)
}

// probe returns whether the replica is a standby and the WAL position it has replayed
// (in bytes; zero when it is not a standby), on the check's own connection, opened
// again after any failure.
func (r *replica) probe(ctx context.Context) (bool, int64, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	if r.conn == nil {
		c, err := pgx.ConnectConfig(ctx, r.checkCfg.Copy())
		if err != nil {
			return false, 0, fmt.Errorf("connect: %w", err)
		}
		r.conn = c
	}
	var inRecovery bool
	var replayed *int64
	err := r.conn.QueryRow(ctx, "SELECT pg_is_in_recovery(), (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint").Scan(&inRecovery, &replayed)
	if err != nil {
		cctx, ccancel := context.WithTimeout(context.WithoutCancel(ctx), r.timeout)
		_ = r.conn.Close(cctx)
		ccancel()
		r.conn = nil
		return false, 0, fmt.Errorf("query: %w", err)
	}
	if replayed == nil {
		return inRecovery, 0, nil
	}
	return inRecovery, *replayed, nil
}

// samplePrimary records the primary's WAL position now and forgets the positions older
// than the newest one at least ReadMaxLag old, the one behind compares with. When the
// primary does not answer, nothing is recorded: the replica is then compared with an
// older position.
func (r *replica) samplePrimary(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	var lsn int64
	if err := r.primary.QueryRow(ctx, "SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint").Scan(&lsn); err != nil {
		return
	}
	now := time.Now()
	r.samples = append(r.samples, walSample{at: now, lsn: lsn})
	if ref := r.reference(now); ref > 0 {
		r.samples = slices.Delete(r.samples, 0, ref)
	}
}

// reference returns the index of the newest sample at least ReadMaxLag old, or -1.
func (r *replica) reference(now time.Time) int {
	ref := -1
	for i, s := range r.samples {
		if now.Sub(s.at) < r.maxLag {
			break
		}
		ref = i
	}
	return ref
}

// behind reports whether the replica has not yet replayed the position the primary had
// ReadMaxLag ago (then it is more than ReadMaxLag behind). Without a sample that old
// (just started), it is not held behind.
func (r *replica) behind(replayed int64) bool {
	ref := r.reference(time.Now())
	return ref >= 0 && replayed < r.samples[ref].lsn
}

// set moves reads to next, resetting the read pool when they change server, and logs and
// counts the change.
func (r *replica) set(ctx context.Context, next route, err error) {
	prev := route(r.route.Swap(int32(next)))
	if prev == next {
		return
	}
	if (prev == routeReplica) != (next == routeReplica) {
		r.read.Reset()
	}
	switch next {
	case routeReplica:
		r.log.InfoContext(ctx, "read replica in use: reads go to it")
	case routeUnreachable, routeLagging:
		if prev == routeReplica || prev == routeUnknown {
			i := 0
			if next == routeLagging {
				i = 1
			}
			r.fallbacks[i].Add(1)
		}
		attrs := []any{"reason", next.fallbackReason()}
		if next == routeLagging {
			attrs = append(attrs, "max_lag", r.maxLag.String())
		}
		if err != nil {
			attrs = append(attrs, "error", err.Error())
		}
		r.log.WarnContext(ctx, "read replica failed its check: reads go to the primary", attrs...)
	}
}
