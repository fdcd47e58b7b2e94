package region

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/events/v1"
)

// QueueGroup is the NATS queue group of the core replicas' heartbeat subscriptions:
// each heartbeat reaches one replica.
const QueueGroup = "avatar-core-fleet"

// heartbeatBuffer is how many received heartbeats wait for Redis; beyond it NATS drops
// them (a slow consumer), which the next heartbeat of each edge makes good.
const heartbeatBuffer = 1024

// Run records every edge heartbeat (the subject <prefix>.edge.heartbeat.> of
// Config.Bus) in the fleet view until ctx ends, then returns nil. Replicas share the
// work through QueueGroup. Start it once the bus is ready; the subscription survives
// NATS reconnects. A bad heartbeat, or one Redis fails to store, is logged and dropped:
// the edge sends another within seconds.
func (s *Service) Run(ctx context.Context) error {
	bus := s.cfg.Bus
	if bus == nil {
		return fmt.Errorf("%w: Run needs a Bus", ErrInvalidConfig)
	}
	subject := bus.Names.Subject("edge", "heartbeat", ">")
	ch := make(chan *nats.Msg, heartbeatBuffer)
	sub, err := bus.Conn.ChanQueueSubscribe(subject, QueueGroup, ch)
	if err != nil {
		return fmt.Errorf("subscribe to %s: %w", subject, err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	s.log.InfoContext(ctx, "fleet view follows edge heartbeats", "subject", subject, "queue", QueueGroup)
	for {
		select {
		case <-ctx.Done():
			return nil
		case m := <-ch:
			s.consume(ctx, m)
		}
	}
}

// consume records one heartbeat message. The region comes from the heartbeat, or else
// from the subject's last token.
func (s *Service) consume(ctx context.Context, m *nats.Msg) {
	hb := &eventsv1.EdgeHeartbeat{}
	if err := proto.Unmarshal(m.Data, hb); err != nil {
		heartbeats.WithLabelValues("invalid").Inc()
		s.log.WarnContext(ctx, "heartbeat dropped", "subject", m.Subject, "error", fmt.Errorf("%w: %w", ErrInvalidHeartbeat, err).Error())
		return
	}
	if hb.GetRegion() == "" {
		hb.Region = m.Subject[strings.LastIndexByte(m.Subject, '.')+1:]
	}
	newer, err := s.record(ctx, hb)
	switch {
	case errors.Is(err, ErrInvalidHeartbeat):
		heartbeats.WithLabelValues("invalid").Inc()
		s.log.WarnContext(ctx, "heartbeat dropped", "subject", m.Subject, "error", err.Error())
	case err != nil:
		heartbeats.WithLabelValues("failed").Inc()
		if ctx.Err() == nil {
			s.log.WarnContext(ctx, "heartbeat not recorded", "edge_id", hb.GetEdgeId(), "region", hb.GetRegion(), "error", err.Error())
		}
	case !newer:
		heartbeats.WithLabelValues("out_of_order").Inc()
	default:
		heartbeats.WithLabelValues("recorded").Inc()
	}
}
