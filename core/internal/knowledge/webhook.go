package knowledge

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/avatar-fi/avatar/core/internal/store"
	knowledgev1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/knowledge/v1"
)

// Webhook deliveries: a POST of a JSON body
//
//	{"event": "document.ready" | "document.failed", "deliveryId": …, "timestamp": <unix s>, "document": {…}}
//
// with headers X-Avatar-Event, X-Avatar-Delivery, X-Avatar-Timestamp and
// X-Avatar-Signature: "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + body)).
// Any 2xx is success; other answers and network errors are retried with backoff.

// WebhookSignature computes the X-Avatar-Signature value for a delivery; receivers use
// it to verify one.
func WebhookSignature(secret []byte, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte("."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// webhooks delivers documents' final states to their dealerships' webhooks.
type webhooks struct {
	s      *Service
	client *http.Client
	wg     sync.WaitGroup
}

func newWebhooks(s *Service) *webhooks {
	allow := s.cfg.WebhookAllowPrivate
	dialer := &net.Dialer{
		Timeout: 5 * time.Second,
		// Checked on the address actually dialled, so DNS rebinding cannot reach a
		// private target after validation.
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
		Transport: tr,
		Timeout:   s.cfg.WebhookTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
}

func privateAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() ||
		netip.MustParsePrefix("100.64.0.0/10").Contains(ip)
}

// validateURL checks the scheme and, unless private targets are allowed, that the host
// does not resolve to a private or loopback address.
func (w *webhooks) validateURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return errors.New("must be an http or https URL with a host")
	}
	if w.s.cfg.WebhookAllowPrivate {
		return nil
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		if privateAddr(ip) {
			return ErrPrivateTarget
		}
		return nil
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fmt.Errorf("host %q does not resolve", host)
	}
	for _, ip := range ips {
		if privateAddr(ip) {
			return ErrPrivateTarget
		}
	}
	return nil
}

// SetWebhook stores the dealership's webhook URL and secret (sealed). An empty URL
// removes the webhook. Errors other than storage failures are *WebhookURLError.
func (s *Service) SetWebhook(ctx context.Context, dealershipID, rawURL, secret string) error {
	if rawURL == "" {
		return store.InTenant(ctx, s.cfg.Primary, dealershipID, func(tx pgx.Tx) error {
			return deleteWebhook(ctx, tx, dealershipID)
		})
	}
	if err := s.hooks.validateURL(ctx, rawURL); err != nil {
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
	var u, sealed string
	err := store.InTenant(ctx, s.cfg.Primary, dealershipID, func(tx pgx.Tx) error {
		var err error
		u, sealed, err = loadWebhook(ctx, tx, dealershipID)
		return err
	})
	if err != nil || u == "" {
		return "", nil, err
	}
	secret, err := s.cfg.Sealer.Open([]byte(sealed), []byte("webhook:"+dealershipID))
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
		w.s.log.WarnContext(ctx, "load webhook", "error", err.Error())
		return
	}
	if u == "" {
		return
	}
	event := "document.ready"
	if doc.Status == knowledgev1.DocumentStatus_DOCUMENT_STATUS_FAILED {
		event = "document.failed"
	}
	delivery := fmt.Sprintf("%s:%d:%s", doc.Id, doc.Version, event)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	body, err := json.Marshal(map[string]any{
		"event": event, "deliveryId": delivery, "timestamp": ts,
		"document": map[string]any{
			"id": doc.Id, "dealershipId": doc.DealershipId, "title": doc.Title, "status": doc.Status.String(),
			"failureReason": doc.FailureReason, "version": doc.Version, "chunkCount": doc.ChunkCount, "sha256": doc.Sha256,
		},
	})
	if err != nil {
		return
	}
	sig := WebhookSignature(secret, ts, body)
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		ctx := context.WithoutCancel(ctx)
		for attempt := 0; ; attempt++ {
			err := w.deliver(ctx, u, event, delivery, ts, sig, body)
			if err == nil {
				webhookDeliveries.WithLabelValues("ok").Inc()
				return
			}
			if errors.Is(err, ErrPrivateTarget) {
				webhookDeliveries.WithLabelValues("refused").Inc()
				w.s.log.WarnContext(ctx, "webhook refused: private target", "dealership_id", dealershipID)
				return
			}
			if attempt >= len(w.s.cfg.WebhookBackoff) {
				webhookDeliveries.WithLabelValues("failed").Inc()
				w.s.log.WarnContext(ctx, "webhook delivery failed", "dealership_id", dealershipID, "error", err.Error())
				return
			}
			webhookDeliveries.WithLabelValues("retry").Inc()
			time.Sleep(w.s.cfg.WebhookBackoff[attempt])
		}
	}()
}

func (w *webhooks) deliver(ctx context.Context, u, event, delivery, ts, sig string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "avatar-webhooks/1")
	req.Header.Set("X-Avatar-Event", event)
	req.Header.Set("X-Avatar-Delivery", delivery)
	req.Header.Set("X-Avatar-Timestamp", ts)
	req.Header.Set("X-Avatar-Signature", sig)
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

func (w *webhooks) wait() { w.wg.Wait() }
