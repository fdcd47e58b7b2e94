package analytics

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/avatar-fi/avatar/core/internal/store"
	"github.com/avatar-fi/avatar/core/internal/webhook"
	analyticsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/analytics/v1"
)

// EventSessionEnded is the webhook event sent when a session ends.
const EventSessionEnded = "session.ended"

// Webhook deliveries: a POST of the JSON body
//
//	{"event": "session.ended", "deliveryId": "<session>:<end reason>", "timestamp": "<unix s>",
//	 "session": <avatar.analytics.v1.Session as proto3 JSON>}
//
// with the headers X-Avatar-Event, X-Avatar-Delivery, X-Avatar-Timestamp and
// X-Avatar-Signature, posted and signed by package webhook as the knowledge base's
// document.ready deliveries are (webhook.Sign: "sha256=" + hex(HMAC-SHA256(secret,
// timestamp + "." + body))). Any 2xx is success. The queue is the sessions table:
// ending a session makes its delivery due; a delivery is leased (webhookLease) while it
// is attempted, so every core may poll the queue, and retried after
// Config.WebhookBackoff (webhook.Next).

// webhookLease is how long a delivery attempt holds its session before another core
// may try it.
const webhookLease = 2 * time.Minute

// webhookGrace is how long a delivery waits for the session's start and turns when its
// end arrived first (events of one session come through three consumers): the webhook
// describes the whole session, unless some of it is still missing after this long.
const webhookGrace = time.Minute

// webhookBatch bounds the deliveries one poll takes.
const webhookBatch = 20

type webhooks struct {
	s      *Service
	client *webhook.Client
}

func newWebhooks(s *Service) *webhooks {
	return &webhooks{s: s, client: webhook.NewClient(s.cfg.WebhookTimeout, s.cfg.WebhookAllowPrivate)}
}

// due is one leased delivery.
type due struct {
	session  *analyticsv1.Session
	attempts int
}

// deliverDue attempts the deliveries that are due, until none is left.
func (w *webhooks) deliverDue(ctx context.Context) {
	for ctx.Err() == nil {
		batch, err := w.lease(ctx)
		if err != nil {
			if ctx.Err() == nil {
				w.s.log.WarnContext(ctx, "webhook queue", "error", err.Error())
			}
			return
		}
		for _, d := range batch {
			w.attempt(ctx, d)
		}
		if len(batch) < webhookBatch {
			return
		}
	}
}

// lease takes up to webhookBatch due deliveries for webhookLease: those of sessions
// whose start and every turn the edge counted are recorded, or due for webhookGrace.
func (w *webhooks) lease(ctx context.Context) ([]due, error) {
	var out []due
	err := store.InTx(ctx, w.s.cfg.DB, func(tx pgx.Tx) error {
		out = nil
		rows, err := tx.Query(ctx, `UPDATE analytics_sessions s
			SET webhook_due_at = now() + make_interval(secs => $1), webhook_attempts = s.webhook_attempts + 1
			WHERE s.id IN (SELECT id FROM analytics_sessions WHERE webhook_due_at <= now()
					AND (start_event_id IS NOT NULL AND recorded_turns >= reported_turns
						OR webhook_due_at <= now() - make_interval(secs => $3))
				ORDER BY webhook_due_at LIMIT $2 FOR UPDATE SKIP LOCKED)
			RETURNING `+sessionColumns+`, s.webhook_attempts`, webhookLease.Seconds(), webhookBatch, webhookGrace.Seconds())
		if err != nil {
			return fmt.Errorf("lease webhook deliveries: %w", err)
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (due, error) {
			var d due
			sess, err := scanSession(scanExtra{r, &d.attempts})
			d.session = sess
			return d, err
		})
		if err != nil {
			return fmt.Errorf("lease webhook deliveries: %w", err)
		}
		return nil
	})
	return out, err
}

// attempt delivers d once and settles it: done, due again after a backoff, or given up.
func (w *webhooks) attempt(ctx context.Context, d due) {
	sess := d.session
	log := w.s.log.With("session_id", sess.GetId(), "dealership_id", sess.GetDealershipId())
	url, secret, err := w.s.cfg.Webhooks.GetWebhook(ctx, sess.GetDealershipId())
	if err == nil && url == "" {
		w.settle(ctx, sess.GetId(), 0)
		return
	}
	if err == nil {
		err = w.deliver(ctx, url, secret, sess)
	}
	res, delay := webhook.Next(err, d.attempts-1, w.s.cfg.WebhookBackoff)
	webhookDeliveries.WithLabelValues(res.String()).Inc()
	switch res {
	case webhook.Refused:
		log.WarnContext(ctx, "session.ended webhook refused: private target")
	case webhook.Failed:
		log.WarnContext(ctx, "session.ended webhook failed", "error", err.Error(), "attempts", d.attempts)
	case webhook.Retry:
		log.InfoContext(ctx, "session.ended webhook will retry", "error", err.Error(), "attempt", d.attempts, "delay", delay.String())
	}
	w.settle(ctx, sess.GetId(), delay)
}

// settle ends a delivery (after 0) or makes it due again after the delay; it does so
// even when ctx ended meanwhile, so a delivery made is not made again.
func (w *webhooks) settle(ctx context.Context, sessionID string, after time.Duration) {
	ctx = context.WithoutCancel(ctx)
	var err error
	if after == 0 {
		_, err = w.s.cfg.DB.Exec(ctx, `UPDATE analytics_sessions SET webhook_due_at = NULL, webhook_attempts = 0 WHERE id = $1`, sessionID)
	} else {
		_, err = w.s.cfg.DB.Exec(ctx, `UPDATE analytics_sessions SET webhook_due_at = now() + make_interval(secs => $2) WHERE id = $1`, sessionID, after.Seconds())
	}
	if err != nil {
		w.s.log.WarnContext(ctx, "settle webhook delivery", "session_id", sessionID, "error", err.Error())
	}
}

// deliver posts the session.ended delivery of sess to url, signed with secret.
func (w *webhooks) deliver(ctx context.Context, url string, secret []byte, sess *analyticsv1.Session) error {
	js, err := protojson.Marshal(sess)
	if err != nil {
		return fmt.Errorf("encode session: %w", err)
	}
	d, err := webhook.NewDelivery(EventSessionEnded, sess.GetId()+":"+sess.GetEndReason(), time.Now(), "session", json.RawMessage(js))
	if err != nil {
		return err
	}
	return w.client.Post(ctx, url, secret, d)
}
