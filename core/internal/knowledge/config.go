package knowledge

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/avatar-fi/avatar/core/internal/events"
	"github.com/avatar-fi/avatar/core/internal/knowledge/chunk"
	"github.com/avatar-fi/avatar/core/internal/knowledge/extract"
	"github.com/avatar-fi/avatar/core/internal/knowledge/search"
	"github.com/avatar-fi/avatar/core/internal/webhook"
)

// Embedder turns texts into L2-normalised vectors. ID names the model and dimension;
// chunks embedded under another ID are re-embedded. Implementations must be safe for
// concurrent use (embed.Hashed, embed.OpenAI).
type Embedder interface {
	Embed(ctx context.Context, texts []string) ([][]float32, error)
	ID() string
	Dims() int
}

// Sealer encrypts webhook secrets at rest (secrets.Box).
type Sealer interface {
	Seal(plaintext, aad []byte) ([]byte, error)
	Open(ciphertext, aad []byte) ([]byte, error)
}

// Config configures the Service. Every field without a default is required.
type Config struct {
	// Primary is the read-write pool; Read serves searches and document reads (a
	// replica or the primary; default Primary).
	Primary, Read *pgxpool.Pool
	// Redis holds the search cache and the knowledge-base version keys.
	Redis *redis.Client
	// Bus carries ingest jobs (its IngestStream) and KnowledgeChanged events.
	Bus *events.Bus
	// Embedder embeds chunks and queries; its ID and dimension must pass
	// search.CheckEmbedder.
	Embedder Embedder
	// Sealer encrypts webhook secrets.
	Sealer Sealer
	// Log receives the service's logs; nil discards them.
	Log *slog.Logger
	// MaxUploadBytes caps one uploaded file; default 50 MiB.
	MaxUploadBytes int64
	// Limits bound extraction (pages, sizes, time).
	Limits extract.Limits
	// Chunking sizes the chunks.
	Chunking chunk.Options
	// Ranking tunes hybrid retrieval; zero fields take the defaults of
	// search.Ranking.WithDefaults. A deployment with a neural embedder should raise
	// VectorWeight (see search.Ranking).
	Ranking search.Ranking
	// CacheTTL is how long a cached search lives; default 10 minutes, negative disables
	// the cache.
	CacheTTL time.Duration
	// KeyPrefix starts every Redis key; default "avatar:".
	KeyPrefix string
	// Workers is the number of ingest jobs processed at once per process; default 4.
	Workers int
	// Writers is the number of ingest jobs' write transactions at once per process;
	// default 2 (the write is PostgreSQL work: about two busy backends per process),
	// at most Workers. Jobs whose chunks are ready while every writer is busy are
	// written together, in one transaction, by the next free writer: with fewer
	// writers than workers, the writes batch under load.
	Writers int
	// MaxDeliver is how often a job is tried before it goes to the dead-letter subject;
	// default 5.
	MaxDeliver int
	// Backoff is the delay before each retry (the last one repeats); default 2s, 10s,
	// 30s, 2m.
	Backoff []time.Duration
	// KeepPostings is how many postings of each lexeme the posting list keeps at least:
	// the highest-impact ones (term-centric static pruning). Once a lexeme is in that
	// many chunks, a new posting of it is written only if its impact beats the lexeme's
	// floor, the impact of its KeepPostings-th best posting (migration 0014). The search
	// reads only a query term's Ranking.TermPostings best postings, so unfiltered
	// results are the same as with every posting kept, as long as fewer than
	// KeepPostings - TermPostings of a lexeme's best chunks are deleted (a pruned
	// posting is not written later when deletes lower or clear the floor); at 100,000
	// chunks about 58 % of the postings go, the biggest share of the ingest
	// transaction's cost. Tag-filtered searches, which score every posting of the
	// filtered documents, miss the pruned ones: a chunk in a filtered document whose
	// posting of a very common word was pruned does not match that word. Default 2000
	// (four times the default TermPostings; every posting when TermPostings is
	// negative); at least Ranking.TermPostings; negative (-1 after WithDefaults) keeps
	// every posting.
	KeepPostings int
	// EmbedBatch is the number of chunks embedded per call; default 64.
	EmbedBatch int
	// ConsumerName is the durable JetStream consumer of the ingest workers; default
	// "knowledge-ingest".
	ConsumerName string
	// WebhookAllowPrivate lets webhooks target private and loopback addresses (tests and
	// single-machine setups).
	WebhookAllowPrivate bool
	// WebhookTimeout bounds one delivery attempt; default 10s.
	WebhookTimeout time.Duration
	// WebhookBackoff are the delays between delivery attempts; default 1s, 5s, 30s, 2m.
	WebhookBackoff []time.Duration
}

// WithDefaults checks c and returns it with every unset field given its default and
// Ranking given its defaults: the configuration New runs with, for callers that report
// it. Applying it again changes nothing. Errors wrap ErrInvalidConfig and name the
// field.
func (c Config) WithDefaults() (Config, error) {
	switch {
	case c.Primary == nil:
		return c, fmt.Errorf("%w: Primary pool is required", ErrInvalidConfig)
	case c.Redis == nil:
		return c, fmt.Errorf("%w: Redis is required", ErrInvalidConfig)
	case c.Bus == nil:
		return c, fmt.Errorf("%w: Bus is required", ErrInvalidConfig)
	case c.Embedder == nil:
		return c, fmt.Errorf("%w: Embedder is required", ErrInvalidConfig)
	case c.Sealer == nil:
		return c, fmt.Errorf("%w: Sealer is required", ErrInvalidConfig)
	}
	if err := search.CheckEmbedder(c.Embedder); err != nil {
		return c, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	if c.Read == nil {
		c.Read = c.Primary
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.MaxUploadBytes <= 0 {
		c.MaxUploadBytes = 50 << 20
	}
	if c.CacheTTL == 0 {
		c.CacheTTL = 10 * time.Minute
	}
	if c.KeyPrefix == "" {
		c.KeyPrefix = "avatar:"
	}
	if c.Workers <= 0 {
		c.Workers = 4
	}
	if c.Writers <= 0 {
		c.Writers = 2
	}
	c.Writers = min(c.Writers, c.Workers)
	if c.MaxDeliver <= 0 {
		c.MaxDeliver = 5
	}
	if len(c.Backoff) == 0 {
		c.Backoff = []time.Duration{2 * time.Second, 10 * time.Second, 30 * time.Second, 2 * time.Minute}
	}
	c.Ranking = c.Ranking.WithDefaults()
	switch tp := c.Ranking.TermPostings; {
	case c.KeepPostings == 0 && tp < 0: // exact BM25 reads every posting
		c.KeepPostings = -1
	case c.KeepPostings == 0:
		c.KeepPostings = max(2000, 4*tp)
	case c.KeepPostings < 0:
		c.KeepPostings = -1
	case tp > 0 && c.KeepPostings < tp:
		return c, fmt.Errorf("%w: KeepPostings %d is below Ranking.TermPostings %d", ErrInvalidConfig, c.KeepPostings, tp)
	}
	if c.EmbedBatch <= 0 {
		c.EmbedBatch = 64
	}
	if c.ConsumerName == "" {
		c.ConsumerName = "knowledge-ingest"
	}
	if c.WebhookTimeout <= 0 {
		c.WebhookTimeout = webhook.DefaultTimeout
	}
	if len(c.WebhookBackoff) == 0 {
		c.WebhookBackoff = []time.Duration{time.Second, 5 * time.Second, 30 * time.Second, 2 * time.Minute}
	}
	return c, nil
}
