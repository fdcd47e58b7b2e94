package analytics

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/avatar-fi/avatar/core/internal/events"
	"github.com/avatar-fi/avatar/core/internal/webhook"
)

// Retention periods, in days.
const (
	// DefaultRetentionDays is how long a dealership's sessions are kept when it has not
	// set a period.
	DefaultRetentionDays = 365
	// MinRetentionDays and MaxRetentionDays bound SetRetention.
	MinRetentionDays = 1
	MaxRetentionDays = 3650
)

// WebhookSource finds a dealership's webhook: its URL ("" when it has none) and the
// secret deliveries are signed with. knowledge.Webhooks (the webhooks KnowledgeService
// stores) is the core's. It must be safe for concurrent use.
type WebhookSource interface {
	GetWebhook(ctx context.Context, dealershipID string) (url string, secret []byte, err error)
}

// Config configures the Service. DB is required, and Bus for Run; every other field has
// a default.
type Config struct {
	// DB is the read-write pool. Session events are written in tenant transactions
	// (row-level security); the sweeper, the retention job and the webhook queue work
	// across dealerships, so the pool's role must own the analytics tables (the role
	// that migrates does). The pool must stay open while the Service is used.
	DB *pgxpool.Pool
	// Read serves the analytics queries: a replica or the primary; default DB.
	Read *pgxpool.Pool
	// Bus is where the session events come from (its EventsStream). Required by Run.
	Bus *events.Bus
	// Webhooks finds the dealerships' webhooks for session.ended deliveries; nil sends
	// none.
	Webhooks WebhookSource
	// WebhookAllowPrivate lets webhooks reach private and loopback addresses (tests and
	// single-machine setups).
	WebhookAllowPrivate bool
	// WebhookTimeout bounds one delivery attempt; default 10s.
	WebhookTimeout time.Duration
	// WebhookBackoff are the delays before each retry of a failed delivery; after the
	// last the delivery is given up (and logged). Default 5s, 30s, 2m, 10m, 1h.
	WebhookBackoff []time.Duration
	// Log receives the service's logs; nil discards them.
	Log *slog.Logger
	// ConsumerPrefix names the durable consumers: <prefix>-session-started,
	// <prefix>-turn-completed and <prefix>-session-ended; default "analytics". Every
	// core of a deployment must use the same, so that they share the work.
	ConsumerPrefix string
	// Writers is the number of write transactions at once per process; default 2. The
	// events of one session always go to the same writer.
	Writers int
	// MaxBatch is the most events one transaction writes; default 500. 1 writes every
	// event in a transaction of its own.
	MaxBatch int
	// AckWait is how long a delivered event may stay unacknowledged before JetStream
	// delivers it again (to this or another core); default 30s.
	AckWait time.Duration
	// RetryBackoff are the delays before each redelivery of an event whose write failed
	// (the last one repeats); default 1s, 5s, 30s.
	RetryBackoff []time.Duration
	// MaxRefusals is how often an event the database refuses (a constraint or a
	// row-level-security check fails, such as an unknown dealership) is tried before it
	// is dropped; default 5.
	MaxRefusals int
	// AbandonAfter is how long an open session may go without an event before the
	// sweeper closes it as abandoned; default 2h, well above the edges' idle timeout
	// (30 min), after which they end a session themselves.
	AbandonAfter time.Duration
	// SweepInterval is how often the sweeper looks for abandoned sessions; default 1 min.
	SweepInterval time.Duration
	// RetentionInterval is how often the retention job runs; default 1h.
	RetentionInterval time.Duration
	// WebhookInterval is how often the webhook queue is polled when nothing wakes it;
	// default 5s.
	WebhookInterval time.Duration
}

// withDefaults checks c and fills the unset fields.
func (c Config) withDefaults() (Config, error) {
	switch {
	case c.DB == nil:
		return c, fmt.Errorf("%w: DB is required", ErrInvalidConfig)
	case c.Writers < 0:
		return c, fmt.Errorf("%w: Writers must not be negative", ErrInvalidConfig)
	case c.MaxBatch < 0:
		return c, fmt.Errorf("%w: MaxBatch must not be negative", ErrInvalidConfig)
	}
	if c.Read == nil {
		c.Read = c.DB
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.WebhookTimeout <= 0 {
		c.WebhookTimeout = webhook.DefaultTimeout
	}
	if len(c.WebhookBackoff) == 0 {
		c.WebhookBackoff = []time.Duration{5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, time.Hour}
	}
	if c.ConsumerPrefix == "" {
		c.ConsumerPrefix = "analytics"
	}
	if c.Writers == 0 {
		c.Writers = 2
	}
	if c.MaxBatch == 0 {
		c.MaxBatch = 500
	}
	if c.AckWait <= 0 {
		c.AckWait = 30 * time.Second
	}
	if len(c.RetryBackoff) == 0 {
		c.RetryBackoff = []time.Duration{time.Second, 5 * time.Second, 30 * time.Second}
	}
	if c.MaxRefusals <= 0 {
		c.MaxRefusals = 5
	}
	if c.AbandonAfter <= 0 {
		c.AbandonAfter = 2 * time.Hour
	}
	if c.SweepInterval <= 0 {
		c.SweepInterval = time.Minute
	}
	if c.RetentionInterval <= 0 {
		c.RetentionInterval = time.Hour
	}
	if c.WebhookInterval <= 0 {
		c.WebhookInterval = 5 * time.Second
	}
	return c, nil
}
