package analytics

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// source is one durable consumer: the events of one kind.
type source struct {
	kind    kind
	name    string // the durable consumer's name
	subject string // its filter subject
}

// sources are the three consumers, named after the configured prefix.
func (s *Service) sources() []source {
	n, p := s.cfg.Bus.Names, s.cfg.ConsumerPrefix
	return []source{
		{kind: kindStarted, name: p + "-session-started", subject: n.Subject("session", "started", ">")},
		{kind: kindTurn, name: p + "-turn-completed", subject: n.Subject("turn", "completed", ">")},
		{kind: kindEnded, name: p + "-session-ended", subject: n.Subject("session", "ended", ">")},
	}
}

// consumer creates or updates src's durable consumer. It delivers every event in the
// stream not yet acknowledged, from the stream's start for a new consumer, and never
// gives up redelivering one that was not acknowledged (a failed write is retried, not
// dropped).
func (s *Service) consumer(ctx context.Context, src source) (jetstream.Consumer, error) {
	c, err := s.cfg.Bus.JS.CreateOrUpdateConsumer(ctx, s.cfg.Bus.Names.EventsStream, jetstream.ConsumerConfig{
		Durable:       src.name,
		FilterSubject: src.subject,
		AckPolicy:     jetstream.AckExplicitPolicy,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckWait:       s.cfg.AckWait,
		MaxDeliver:    -1,
		// Enough for every writer's batch plus what waits for it.
		MaxAckPending: 4 * s.cfg.MaxBatch * s.cfg.Writers,
	})
	if err != nil {
		return nil, fmt.Errorf("consumer %s: %w", src.name, err)
	}
	return c, nil
}

// consume feeds src's events to route until ctx ends. A consumer that cannot be created
// or an iterator that fails (NATS away, the consumer lost with the server's store) is
// set up again with backoff.
func (s *Service) consume(ctx context.Context, src source, route func(context.Context, *event) bool) {
	log := s.log.With("consumer", src.name)
	for attempt := 1; ctx.Err() == nil; attempt++ {
		err := s.consumeOnce(ctx, src, route, log)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			attempt = 0
			continue
		}
		wait := backoff(attempt, 5*time.Second)
		log.WarnContext(ctx, "session events: consumer failed, retrying", "error", err.Error(), "retry_in", wait.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

func (s *Service) consumeOnce(ctx context.Context, src source, route func(context.Context, *event) bool, log *slog.Logger) error {
	c, err := s.consumer(ctx, src)
	if err != nil {
		return err
	}
	it, err := c.Messages(jetstream.PullMaxMessages(s.cfg.MaxBatch))
	if err != nil {
		return fmt.Errorf("consume %s: %w", src.name, err)
	}
	defer it.Stop()
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	for {
		msg, err := it.Next()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("next event of %s: %w", src.name, err)
		}
		e, err := decode(src.kind, msg.Data())
		if err != nil {
			eventsRecorded.WithLabelValues(src.kind.String(), "malformed").Inc()
			log.ErrorContext(ctx, "session event dropped", "subject", msg.Subject(), "error", err.Error())
			_ = msg.Term()
			continue
		}
		e.msg, e.delivered = msg, 1
		if md, err := msg.Metadata(); err == nil {
			e.delivered = int(md.NumDelivered)
		}
		if !route(ctx, e) {
			_ = msg.Nak()
			return nil
		}
	}
}

// writer writes the events routed to it, in batches: what is waiting when a write
// starts goes into one transaction (up to MaxBatch events).
type writer struct {
	in chan *event
}

// route sends e to the writer of its session; false when ctx ended first.
func (s *Service) route(writers []*writer) func(context.Context, *event) bool {
	return func(ctx context.Context, e *event) bool {
		h := fnv.New32a()
		_, _ = h.Write([]byte(e.sessionID))
		w := writers[int(h.Sum32()%uint32(len(writers)))]
		select {
		case w.in <- e:
			return true
		case <-ctx.Done():
			return false
		}
	}
}

// runWriter writes batches from w until ctx ends, and then what is still queued. The
// writes run to their end even when ctx ends meanwhile: their messages are then
// acknowledged rather than redelivered.
func (s *Service) runWriter(ctx context.Context, w *writer) {
	batch := make([]*event, 0, s.cfg.MaxBatch)
	wctx := context.WithoutCancel(ctx)
	for {
		select {
		case <-ctx.Done():
			for {
				batch = s.fill(batch[:0], w)
				if len(batch) == 0 {
					return
				}
				s.flush(wctx, batch)
			}
		case e := <-w.in:
			batch = s.fill(append(batch[:0], e), w)
			s.flush(wctx, batch)
		}
	}
}

// fill adds the events waiting in w to batch, up to MaxBatch.
func (s *Service) fill(batch []*event, w *writer) []*event {
	for len(batch) < s.cfg.MaxBatch {
		select {
		case e := <-w.in:
			batch = append(batch, e)
		default:
			return batch
		}
	}
	return batch
}

// flush writes a batch and settles its messages: acknowledged when written (or found
// to be duplicates), redelivered later when the write failed. When the database
// refuses a batch, its events are written one by one, so one bad event does not hold
// back the others.
func (s *Service) flush(ctx context.Context, batch []*event) {
	start := time.Now()
	w, err := s.write(ctx, batch)
	writeDuration.Observe(time.Since(start).Seconds())
	if err == nil {
		writeBatch.Observe(float64(len(batch)))
		s.count(batch, w)
		for _, e := range batch {
			_ = e.msg.Ack()
		}
		s.wake()
		return
	}
	if len(batch) > 1 && refused(err) {
		for _, e := range batch {
			s.flush(ctx, []*event{e})
		}
		return
	}
	for _, e := range batch {
		s.settleFailure(ctx, e, err)
	}
}

// count adds a written batch to the metrics.
func (s *Service) count(batch []*event, w written) {
	n := map[kind]int{}
	for _, e := range batch {
		n[e.kind]++
	}
	for k, took := range map[kind]int{kindStarted: w.started, kindTurn: w.turns, kindEnded: w.ended} {
		if took > 0 {
			eventsRecorded.WithLabelValues(k.String(), "written").Add(float64(took))
		}
		if dup := n[k] - took; dup > 0 {
			eventsRecorded.WithLabelValues(k.String(), "duplicate").Add(float64(dup))
		}
	}
}

// settleFailure has e delivered again after a backoff, or drops it when the database
// refused it MaxRefusals times.
func (s *Service) settleFailure(ctx context.Context, e *event, err error) {
	log := s.log.With("event_id", e.eventID, "session_id", e.sessionID, "dealership_id", e.dealershipID)
	if refused(err) && e.delivered >= s.cfg.MaxRefusals {
		eventsRecorded.WithLabelValues(e.kind.String(), "refused").Inc()
		log.ErrorContext(ctx, "session event dropped: the database refuses it", "error", err.Error(), "attempts", e.delivered)
		_ = e.msg.Term()
		return
	}
	eventsRecorded.WithLabelValues(e.kind.String(), "retry").Inc()
	delay := s.cfg.RetryBackoff[min(max(e.delivered, 1)-1, len(s.cfg.RetryBackoff)-1)]
	log.WarnContext(ctx, "session event not written, will retry", "error", err.Error(), "attempt", e.delivered, "delay", delay.String())
	_ = e.msg.NakWithDelay(delay)
}

// backlog reports whether any consumer still has events to deliver or acknowledge; the
// sweeper waits until the consumers caught up.
func (s *Service) backlog(ctx context.Context) (bool, error) {
	for _, src := range s.sources() {
		c, err := s.cfg.Bus.JS.Consumer(ctx, s.cfg.Bus.Names.EventsStream, src.name)
		if err != nil {
			return true, fmt.Errorf("consumer %s: %w", src.name, err)
		}
		info, err := c.Info(ctx)
		if err != nil {
			return true, fmt.Errorf("consumer %s: %w", src.name, err)
		}
		if info.NumPending > 0 || info.NumAckPending > 0 {
			return true, nil
		}
	}
	return false, nil
}

// backoff is the wait before retry number attempt (from 1): 250 ms doubling up to
// limit, plus up to a fifth of jitter.
func backoff(attempt int, limit time.Duration) time.Duration {
	d := limit
	if attempt < 16 {
		d = min(250*time.Millisecond<<(max(attempt, 1)-1), limit)
	}
	return d + rand.N(d/5+1)
}
