// Package events publishes the edge's events to NATS JetStream as
// avatar.events.v1 protobuf messages: avatar.turn.completed.<region> for
// every turn and avatar.edge.heartbeat.<region> every few seconds. The
// stream (AVATAR_EVENTS) is declared by the core.
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

	"github.com/avatar-fi/avatar/edge/internal/pipeline"
	analyticsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/analytics/v1"
	eventsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/events/v1"
)

// Subject prefixes (DESIGN.md); the region is appended.
const (
	TurnCompletedSubject = "avatar.turn.completed."
	HeartbeatSubject     = "avatar.edge.heartbeat."
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

// Stop stops publishing (messages still queued are dropped) and closes the
// connection.
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

// Connected reports whether the NATS connection is up.
func (p *Publisher) Connected() bool { return p.nc != nil && p.nc.IsConnected() }

func (p *Publisher) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-p.queue:
			pctx, cancel := context.WithTimeout(ctx, publishTimeout)
			var opts []jetstream.PublishOpt
			if m.id != "" {
				opts = append(opts, jetstream.WithMsgID(m.id))
			}
			_, err := p.js.Publish(pctx, m.subject, m.data, opts...)
			cancel()
			if err != nil && ctx.Err() == nil {
				p.log.LogAttrs(ctx, slog.LevelWarn, "publish event", slog.String("subject", m.subject), slog.String("error", err.Error()))
			}
		}
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

// TurnCompleted queues a TurnCompleted event; the message id
// (<session>:<turn>) lets JetStream drop duplicates.
func (p *Publisher) TurnCompleted(sessionID, userID, dealershipID string, rec pipeline.TurnRecord) {
	p.enqueue(TurnCompletedSubject+p.region, fmt.Sprintf("%s:%d", sessionID, rec.Index), TurnEvent(p.region, sessionID, userID, dealershipID, rec))
}

// TurnEvent builds the TurnCompleted message of a turn record.
func TurnEvent(region, sessionID, userID, dealershipID string, rec pipeline.TurnRecord) *eventsv1.TurnCompleted {
	turn := &analyticsv1.Turn{
		Index:     int32(rec.Index),
		UserText:  rec.UserText,
		ReplyText: rec.ReplyText,
		BargeIn:   rec.BargeIn,
		Time:      timestamppb.New(rec.Time),
	}
	for _, stage := range pipeline.Stages {
		if d, ok := rec.Stages[stage]; ok {
			turn.Latencies = append(turn.Latencies, &analyticsv1.StageLatency{Stage: stage, Milliseconds: float64(d.Microseconds()) / 1000})
		}
	}
	return &eventsv1.TurnCompleted{SessionId: sessionID, UserId: userID, DealershipId: dealershipID, Region: region, Turn: turn}
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
