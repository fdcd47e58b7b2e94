package knowledge

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/avatar-fi/avatar/core/internal/store"
	"github.com/avatar-fi/avatar/core/internal/webhook"
	knowledgev1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/knowledge/v1"
)

// Webhook deliveries (package webhook): a POST of a JSON body
//
//	{"event": "document.ready" | "document.failed", "deliveryId": …, "timestamp": <unix s>, "document": {…}}
//
// with headers X-Avatar-Event, X-Avatar-Delivery, X-Avatar-Timestamp and
// X-Avatar-Signature (webhook.Sign). Any 2xx is success; other answers and network
// errors are retried after Config.WebhookBackoff (webhook.Next).

// webhooks delivers documents' final states to their dealerships' webhooks.
type webhooks struct {
	s      *Service
	client *webhook.Client
	wg     sync.WaitGroup
}

func newWebhooks(s *Service) *webhooks {
	return &webhooks{s: s, client: webhook.NewClient(s.cfg.WebhookTimeout, s.cfg.WebhookAllowPrivate)}
}

// SetWebhook stores the dealership's webhook URL and secret (sealed). An empty URL
// removes the webhook. Errors other than storage failures are *WebhookURLError.
func (s *Service) SetWebhook(ctx context.Context, dealershipID, rawURL, secret string) error {
	if rawURL == "" {
		return store.InTenant(ctx, s.cfg.Primary, dealershipID, func(tx pgx.Tx) error {
			return deleteWebhook(ctx, tx, dealershipID)
		})
	}
	if err := s.hooks.client.CheckURL(ctx, rawURL); err != nil {
		if errors.Is(err, webhook.ErrPrivateTarget) {
			err = ErrPrivateTarget
		}
		return &WebhookURLError{Err: err}
	}
	sealed, err := s.cfg.Sealer.Seal([]byte(secret), []byte("webhook:"+dealershipID))
	if err != nil {
		return fmt.Errorf("seal webhook secret: %w", err)
	}
	return store.InTenant(ctx, s.cfg.Primary, dealershipID, func(tx pgx.Tx) error {
		return storeWebhook(ctx, tx, dealershipID, rawURL, sealed)
	})
}

// WebhookURLError is a webhook URL that cannot be used.
type WebhookURLError struct{ Err error }

func (e *WebhookURLError) Error() string { return "webhook url " + e.Err.Error() }
func (e *WebhookURLError) Unwrap() error { return e.Err }

// GetWebhook returns the dealership's webhook URL ("" when none) and its secret.
func (s *Service) GetWebhook(ctx context.Context, dealershipID string) (string, []byte, error) {
	return Webhooks{DB: s.cfg.Primary, Sealer: s.cfg.Sealer}.GetWebhook(ctx, dealershipID)
}

// Webhooks reads the dealerships' webhooks as SetWebhook stores them, for readers
// outside the Service: analytics' session.ended deliveries go where document.ready
// goes. Safe for concurrent use.
type Webhooks struct {
	// DB is the pool the webhooks are stored in (the primary).
	DB *pgxpool.Pool
	// Sealer opens the stored secrets: the Service's Sealer, or one with its keys.
	Sealer Sealer
}

// GetWebhook returns the dealership's webhook URL ("" when none) and its secret.
func (w Webhooks) GetWebhook(ctx context.Context, dealershipID string) (string, []byte, error) {
	var u, sealed string
	err := store.InTenant(ctx, w.DB, dealershipID, func(tx pgx.Tx) error {
		var err error
		u, sealed, err = loadWebhook(ctx, tx, dealershipID)
		return err
	})
	if err != nil {
		return "", nil, fmt.Errorf("load webhook: %w", err)
	}
	if u == "" {
		return "", nil, nil
	}
	secret, err := w.Sealer.Open([]byte(sealed), []byte("webhook:"+dealershipID))
	if err != nil {
		return "", nil, fmt.Errorf("open webhook secret: %w", err)
	}
	return u, secret, nil
}

// notify delivers the document's final state to the dealership's webhook in the
// background, retrying with backoff.
func (w *webhooks) notify(ctx context.Context, dealershipID string, doc *knowledgev1.Document) {
	u, secret, err := w.s.GetWebhook(ctx, dealershipID)
	if err != nil {
		w.s.log.WarnContext(ctx, "webhook not sent", "error", err.Error())
		return
	}
	if u == "" {
		return
	}
	event := "document.ready"
	if doc.Status == knowledgev1.DocumentStatus_DOCUMENT_STATUS_FAILED {
		event = "document.failed"
	}
	d, err := webhook.NewDelivery(event, fmt.Sprintf("%s:%d:%s", doc.Id, doc.Version, event), time.Now(), "document", map[string]any{
		"id": doc.Id, "dealershipId": doc.DealershipId, "title": doc.Title, "status": doc.Status.String(),
		"failureReason": doc.FailureReason, "version": doc.Version, "chunkCount": doc.ChunkCount, "sha256": doc.Sha256,
	})
	if err != nil {
		w.s.log.WarnContext(ctx, "webhook delivery", "error", err.Error())
		return
	}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		ctx := context.WithoutCancel(ctx)
		for attempt := 0; ; attempt++ {
			err := w.client.Post(ctx, u, secret, d)
			res, delay := webhook.Next(err, attempt, w.s.cfg.WebhookBackoff)
			webhookDeliveries.WithLabelValues(res.String()).Inc()
			switch res {
			case webhook.Delivered:
				return
			case webhook.Refused:
				w.s.log.WarnContext(ctx, "webhook refused: private target", "dealership_id", dealershipID)
				return
			case webhook.Failed:
				w.s.log.WarnContext(ctx, "webhook delivery failed", "dealership_id", dealershipID, "error", err.Error())
				return
			}
			time.Sleep(delay)
		}
	}()
}

func (w *webhooks) wait() { w.wg.Wait() }
