// Package events publishes the edge's events to NATS JetStream as
// avatar.events.v1 protobuf messages: avatar.session.started|ended.<region>
// and avatar.turn.completed.<region> for the sessions, each under its event
// id as Nats-Msg-Id, and avatar.edge.heartbeat.<region> every few seconds.
// The stream (AVATAR_EVENTS) is declared by the core.
//
// Publishing never blocks a call: messages go through a bounded queue to one
// publishing goroutine, and when NATS is down they are logged and dropped
// (the edge works without NATS).
package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/events/v1"
)

// Subject prefixes (DESIGN.md); the region is appended.
const (
	SessionStartedSubject = "avatar.session.started."
	SessionEndedSubject   = "avatar.session.ended."
	TurnCompletedSubject  = "avatar.turn.completed."
	HeartbeatSubject      = "avatar.edge.heartbeat."
)

// DefaultHeartbeatInterval is how often Heartbeats publishes.
const DefaultHeartbeatInterval = 5 * time.Second

// ErrQueueFull is counted when a message is dropped because the publishing
// queue is full.
var ErrQueueFull = errors.New("events: publish queue full")

// publishTimeout bounds one JetStream publish (waiting for the ack).
const publishTimeout = 3 * time.Second

type msg struct {
	subject, id string
	data        []byte
}

// Publisher publishes edge events. Start it, and Stop it to flush and
// disconnect; Stop is safe to call twice or before Start.
type Publisher struct {
	url    string
	region string
	log    *slog.Logger

	nc      *nats.Conn
	js      jetstream.JetStream
	queue   chan msg
	dropped atomic.Int64

	cancel context.CancelFunc
	wg     sync.WaitGroup
	stop   sync.Once
}

// New returns a Publisher for the NATS server at url, for region.
func New(url, region string, log *slog.Logger) *Publisher {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Publisher{url: url, region: region, log: log, queue: make(chan msg, 1024)}
}

// Start connects in the background (retrying for ever, so a NATS outage at
// start is not fatal) and starts publishing.
func (p *Publisher) Start(ctx context.Context) error {
	nc, err := nats.Connect(p.url,
		nats.Name("avatar-edge"),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(2*time.Second),
	)
	if err != nil {
		return fmt.Errorf("connect NATS %s: %w", p.url, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return fmt.Errorf("jetstream: %w", err)
	}
	p.nc, p.js = nc, js
	ctx, p.cancel = context.WithCancel(ctx)
	p.wg.Add(1)
	go func() { defer p.wg.Done(); p.run(ctx) }()
	return nil
}

// Stop publishes what is still queued, for up to FlushTimeout while NATS is
// reachable, then closes the connection.
func (p *Publisher) Stop() {
	p.stop.Do(func() {
		if p.cancel != nil {
			p.cancel()
		}
		p.wg.Wait()
		if p.nc != nil {
			p.nc.Close()
		}
	})
}

// Conn returns the NATS connection (nil before Start), for subscribers that
// share it.
func (p *Publisher) Conn() *nats.Conn { return p.nc }

// FlushTimeout bounds how long Stop spends publishing what is queued.
const FlushTimeout = 3 * time.Second

// Connected reports whether the NATS connection is up.
func (p *Publisher) Connected() bool { return p.nc != nil && p.nc.IsConnected() }

func (p *Publisher) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			p.flush(context.WithoutCancel(ctx))
			return
		case m := <-p.queue:
			p.publish(ctx, m)
		}
	}
}

// flush publishes what is queued until the queue is empty, NATS is away or
// FlushTimeout has passed (the session ends of a shutdown are in it).
func (p *Publisher) flush(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, FlushTimeout)
	defer cancel()
	for ctx.Err() == nil && p.Connected() {
		select {
		case m := <-p.queue:
			p.publish(ctx, m)
		default:
			return
		}
	}
}

func (p *Publisher) publish(ctx context.Context, m msg) {
	pctx, cancel := context.WithTimeout(ctx, publishTimeout)
	defer cancel()
	var opts []jetstream.PublishOpt
	if m.id != "" {
		opts = append(opts, jetstream.WithMsgID(m.id))
	}
	if _, err := p.js.Publish(pctx, m.subject, m.data, opts...); err != nil && ctx.Err() == nil {
		p.log.LogAttrs(ctx, slog.LevelWarn, "publish event", slog.String("subject", m.subject), slog.String("error", err.Error()))
	}
}

func (p *Publisher) enqueue(subject, id string, m proto.Message) {
	data, err := proto.Marshal(m)
	if err != nil {
		return
	}
	select {
	case p.queue <- msg{subject: subject, id: id, data: data}:
	default:
		p.dropped.Add(1)
		p.log.Warn("drop event", "subject", subject, "error", ErrQueueFull.Error())
	}
}

// SessionStarted queues a SessionStarted event under its EventId.
func (p *Publisher) SessionStarted(m *eventsv1.SessionStarted) {
	p.enqueue(SessionStartedSubject+p.region, m.GetEventId(), m)
}

// TurnCompleted queues a TurnCompleted event under its EventId, which is
// unique per turn of a session (across its calls and text messages), so
// JetStream drops only true duplicates.
func (p *Publisher) TurnCompleted(m *eventsv1.TurnCompleted) {
	p.enqueue(TurnCompletedSubject+p.region, m.GetEventId(), m)
}

// SessionEnded queues a SessionEnded event under its EventId.
func (p *Publisher) SessionEnded(m *eventsv1.SessionEnded) {
	p.enqueue(SessionEndedSubject+p.region, m.GetEventId(), m)
}

// Heartbeat queues an EdgeHeartbeat (its region and time are filled in).
func (p *Publisher) Heartbeat(hb *eventsv1.EdgeHeartbeat) {
	hb.Region = p.region
	hb.Time = timestamppb.Now()
	p.enqueue(HeartbeatSubject+p.region, "", hb)
}

// Heartbeats publishes status() every interval until ctx ends.
func (p *Publisher) Heartbeats(ctx context.Context, interval time.Duration, status func() *eventsv1.EdgeHeartbeat) {
	if interval <= 0 {
		interval = DefaultHeartbeatInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	p.Heartbeat(status())
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			p.Heartbeat(status())
		}
	}
}
