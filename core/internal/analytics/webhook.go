package analytics

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/avatar-fi/avatar/core/internal/knowledge"
	"github.com/avatar-fi/avatar/core/internal/store"
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
// X-Avatar-Signature, signed as the knowledge base's document.ready deliveries are
// (knowledge.WebhookSignature: "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." +
// body))). Any 2xx is success. The queue is the sessions table: ending a session makes
// its delivery due; a delivery is leased (webhookLease) while it is attempted, so every
// core may poll the queue, and retried after Config.WebhookBackoff.

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
	client *http.Client
}

func newWebhooks(s *Service) *webhooks {
	allow := s.cfg.WebhookAllowPrivate
	dialer := &net.Dialer{
		Timeout: 5 * time.Second,
		// Checked on the address actually dialled, so DNS rebinding cannot reach a
		// private target after the URL was validated.
		Control: func(_, address string, _ syscall.RawConn) error {
			if allow {
				return nil
			}
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip, err := netip.ParseAddr(host); err == nil && privateAddr(ip) {
				return ErrPrivateTarget
			}
			return nil
		},
	}
	tr := &http.Transport{DialContext: dialer.DialContext, TLSHandshakeTimeout: 5 * time.Second, MaxIdleConnsPerHost: 2}
	return &webhooks{s: s, client: &http.Client{
		Transport:     tr,
		Timeout:       s.cfg.WebhookTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func privateAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() ||
		netip.MustParsePrefix("100.64.0.0/10").Contains(ip)
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
	switch {
	case err == nil:
		webhookDeliveries.WithLabelValues("ok").Inc()
		w.settle(ctx, sess.GetId(), 0)
	case errors.Is(err, ErrPrivateTarget):
		webhookDeliveries.WithLabelValues("refused").Inc()
		log.WarnContext(ctx, "session.ended webhook refused: private target")
		w.settle(ctx, sess.GetId(), 0)
	case d.attempts > len(w.s.cfg.WebhookBackoff):
		webhookDeliveries.WithLabelValues("failed").Inc()
		log.WarnContext(ctx, "session.ended webhook failed", "error", err.Error(), "attempts", d.attempts)
		w.settle(ctx, sess.GetId(), 0)
	default:
		webhookDeliveries.WithLabelValues("retry").Inc()
		delay := w.s.cfg.WebhookBackoff[d.attempts-1]
		log.InfoContext(ctx, "session.ended webhook will retry", "error", err.Error(), "attempt", d.attempts, "delay", delay.String())
		w.settle(ctx, sess.GetId(), delay)
	}
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
	delivery := sess.GetId() + ":" + sess.GetEndReason()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	body, err := json.Marshal(map[string]any{
		"event": EventSessionEnded, "deliveryId": delivery, "timestamp": ts, "session": json.RawMessage(js),
	})
	if err != nil {
		return fmt.Errorf("encode delivery: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "avatar-webhooks/1")
	req.Header.Set("X-Avatar-Event", EventSessionEnded)
	req.Header.Set("X-Avatar-Delivery", delivery)
	req.Header.Set("X-Avatar-Timestamp", ts)
	req.Header.Set("X-Avatar-Signature", knowledge.WebhookSignature(secret, ts, body))
	res, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("post: %w", err)
	}
	res.Body.Close()
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return fmt.Errorf("post: HTTP %d", res.StatusCode)
	}
	return nil
}
