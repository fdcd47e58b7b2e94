package analytics

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Service records session events and answers the analytics queries. Build it with New;
// its methods are safe for concurrent use. Run consumes the events and does the upkeep
// (sweeper, retention, webhooks); the queries work without it.
type Service struct {
	cfg   Config // defaults applied
	log   *slog.Logger
	hooks *webhooks
	kick  chan struct{} // wakes the webhook queue after a write ended sessions
}

// New checks cfg and returns the Service.
func New(cfg Config) (*Service, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, log: cfg.Log.With("component", "analytics"), kick: make(chan struct{}, 1)}
	s.hooks = newWebhooks(s)
	return s, nil
}

// Run consumes the session events until ctx ends, with Config.Writers write
// transactions at once, and runs the sweeper, the retention job and the webhook queue.
// It needs Config.Bus, with its streams declared (events.Bus.Ready). When ctx ends, it
// stops taking events, writes those it holds, and returns ctx.Err(); events delivered
// but not yet written are delivered again (to this or another core) after AckWait.
func (s *Service) Run(ctx context.Context) error {
	if s.cfg.Bus == nil {
		return fmt.Errorf("%w: Bus is required by Run", ErrInvalidConfig)
	}
	writers := make([]*writer, s.cfg.Writers)
	for i := range writers {
		writers[i] = &writer{in: make(chan *event, s.cfg.MaxBatch)}
	}
	wctx, stopWriters := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWriters()
	var written sync.WaitGroup
	for _, w := range writers {
		written.Go(func() { s.runWriter(wctx, w) })
	}
	route := s.route(writers)
	var wg sync.WaitGroup
	for _, src := range s.sources() {
		wg.Go(func() { s.consume(ctx, src, route) })
	}
	// The first sweep waits an interval: the consumers catch up first.
	wg.Go(func() { s.every(ctx, s.cfg.SweepInterval, false, nil, s.sweepOnce) })
	wg.Go(func() { s.every(ctx, s.cfg.RetentionInterval, true, nil, s.retainOnce) })
	if s.cfg.Webhooks != nil {
		wg.Go(func() { s.every(ctx, s.cfg.WebhookInterval, true, s.kick, s.hooks.deliverDue) })
	}
	s.log.InfoContext(ctx, "recording session events", "stream", s.cfg.Bus.Names.EventsStream, "writers", s.cfg.Writers, "max_batch", s.cfg.MaxBatch)
	wg.Wait()
	stopWriters()
	written.Wait()
	return ctx.Err()
}

// every runs f every interval, or when wake fires, until ctx ends; at once first when
// now is set.
func (s *Service) every(ctx context.Context, interval time.Duration, now bool, wake <-chan struct{}, f func(context.Context)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if now {
			f(ctx)
		}
		now = true
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-wake:
		}
	}
}

// wake tells the webhook queue that sessions may have ended.
func (s *Service) wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// sweepOnce closes abandoned sessions, unless the consumers are still catching up (the
// ends of those sessions may be among the events not yet written).
func (s *Service) sweepOnce(ctx context.Context) {
	behind, err := s.backlog(ctx)
	if err != nil && ctx.Err() == nil {
		s.log.WarnContext(ctx, "sweep skipped", "error", err.Error())
	}
	if behind {
		return
	}
	if _, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
		s.log.WarnContext(ctx, "sweep failed", "error", err.Error())
	}
}

// retainOnce runs the retention job.
func (s *Service) retainOnce(ctx context.Context) {
	if _, err := s.EnforceRetention(ctx); err != nil && ctx.Err() == nil {
		s.log.WarnContext(ctx, "retention job failed", "error", err.Error())
	}
}
