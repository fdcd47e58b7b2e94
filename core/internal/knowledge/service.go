package knowledge

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/proto"

	"github.com/avatar-fi/avatar/core/internal/events"
	"github.com/avatar-fi/avatar/core/internal/knowledge/chunk"
	"github.com/avatar-fi/avatar/core/internal/knowledge/extract"
	"github.com/avatar-fi/avatar/core/internal/store"
	eventsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/events/v1"
	knowledgev1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/knowledge/v1"
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
	// Primary is the read-write pool; Read serves searches (a replica or the primary).
	Primary, Read *pgxpool.Pool
	// Redis holds the search cache and the knowledge-base version keys.
	Redis *redis.Client
	// Bus carries ingest jobs (its IngestStream) and KnowledgeChanged events.
	Bus *events.Bus
	// Embedder embeds chunks and queries.
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
	// Ranking tunes hybrid retrieval.
	Ranking RankingConfig
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
	// (four times the default TermPostings); at least Ranking.TermPostings; negative
	// keeps every posting.
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

var embedderIDRe = regexp.MustCompile(`^[a-zA-Z0-9._-]{1,100}$`)

func (c *Config) validate() error {
	switch {
	case c.Primary == nil:
		return fmt.Errorf("%w: Primary pool is required", ErrInvalidConfig)
	case c.Redis == nil:
		return fmt.Errorf("%w: Redis is required", ErrInvalidConfig)
	case c.Bus == nil:
		return fmt.Errorf("%w: Bus is required", ErrInvalidConfig)
	case c.Embedder == nil:
		return fmt.Errorf("%w: Embedder is required", ErrInvalidConfig)
	case c.Sealer == nil:
		return fmt.Errorf("%w: Sealer is required", ErrInvalidConfig)
	case !embedderIDRe.MatchString(c.Embedder.ID()):
		return fmt.Errorf("%w: embedder id %q must match %s", ErrInvalidConfig, c.Embedder.ID(), embedderIDRe)
	case c.Embedder.Dims() < 1 || c.Embedder.Dims() > 2000:
		return fmt.Errorf("%w: embedder dimension %d must be from 1 to 2000", ErrInvalidConfig, c.Embedder.Dims())
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
	switch tp := c.Ranking.withDefaults().TermPostings; {
	case c.KeepPostings == 0 && tp < 0: // exact BM25 reads every posting
	case c.KeepPostings == 0:
		c.KeepPostings = max(2000, 4*tp)
	case c.KeepPostings < 0:
		c.KeepPostings = 0
	case tp > 0 && c.KeepPostings < tp:
		return fmt.Errorf("%w: KeepPostings %d is below Ranking.TermPostings %d", ErrInvalidConfig, c.KeepPostings, tp)
	}
	if c.EmbedBatch <= 0 {
		c.EmbedBatch = 64
	}
	if c.ConsumerName == "" {
		c.ConsumerName = "knowledge-ingest"
	}
	if c.WebhookTimeout <= 0 {
		c.WebhookTimeout = 10 * time.Second
	}
	if len(c.WebhookBackoff) == 0 {
		c.WebhookBackoff = []time.Duration{time.Second, 5 * time.Second, 30 * time.Second, 2 * time.Minute}
	}
	return nil
}

// Service is the knowledge base. Build it with New, mount NewHandler(svc) and run Run
// for the ingest workers. Its methods are safe for concurrent use.
type Service struct {
	cfg     Config
	log     *slog.Logger
	read    *pgxpool.Pool
	ranking RankingConfig
	hooks   *webhooks
	wg      sync.WaitGroup
}

// New validates cfg, applies defaults and makes sure the embedder's vector index exists.
func New(ctx context.Context, cfg Config) (*Service, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, log: cfg.Log.With("component", "knowledge"), read: cfg.Read, ranking: cfg.Ranking.withDefaults()}
	s.hooks = newWebhooks(s)
	if err := s.ensureVectorIndex(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// ensureVectorIndex creates the partial HNSW index for the configured embedder.
func (s *Service) ensureVectorIndex(ctx context.Context) error {
	id, dims := s.cfg.Embedder.ID(), s.cfg.Embedder.Dims()
	name := "knowledge_chunks_hnsw_" + strings.NewReplacer("-", "_", ".", "_").Replace(strings.ToLower(id))
	if len(name) > 63 {
		sum := sha256.Sum256([]byte(id))
		name = "knowledge_chunks_hnsw_" + hex.EncodeToString(sum[:8])
	}
	_, err := s.cfg.Primary.Exec(ctx, fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON knowledge_chunks
		USING hnsw ((embedding::vector(%d)) vector_cosine_ops) WITH (m = 16, ef_construction = 64) WHERE embedder = '%s'`,
		pgx.Identifier{name}.Sanitize(), dims, id))
	if err != nil {
		return fmt.Errorf("create vector index for %s: %w", id, err)
	}
	return nil
}

// UploadInput is a received upload.
type UploadInput struct {
	DealershipID string
	Metadata     *knowledgev1.DocumentMetadata
	Data         []byte
}

// ErrUnsupportedMedia is returned by Upload for bytes of an unsupported type.
var ErrUnsupportedMedia = extract.ErrUnsupported

// Upload stores the original (once per SHA-256 and dealership), creates the document or
// its next version, and queues the ingest job. Identical bytes return the existing
// document instead of a duplicate.
func (s *Service) Upload(ctx context.Context, in UploadInput) (*knowledgev1.Document, error) {
	md := in.Metadata
	head := in.Data
	if len(head) > 512 {
		head = head[:512]
	}
	ct, err := extract.Sniff(head, md.GetFilename(), md.GetContentType())
	if err != nil {
		return nil, err
	}
	if in.Data == nil {
		in.Data = []byte{}
	}
	sum := sha256.Sum256(in.Data)
	sha := hex.EncodeToString(sum[:])
	title := strings.TrimSpace(md.GetTitle())
	if title == "" {
		title = strings.TrimSpace(md.GetFilename())
	}
	tags := md.GetTags()
	if tags == nil {
		tags = []string{}
	}
	var (
		doc     document
		queued  bool
		version int32
	)
	err = store.InTenant(ctx, s.cfg.Primary, in.DealershipID, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO knowledge_blobs (dealership_id, sha256, size_bytes, content) VALUES ($1, $2, $3, $4)
			ON CONFLICT (dealership_id, sha256) DO NOTHING`, in.DealershipID, sha, len(in.Data), in.Data); err != nil {
			return fmt.Errorf("store original: %w", err)
		}
		if rid := md.GetReplacesDocumentId(); rid != "" {
			cur, err := getDocument(ctx, tx, in.DealershipID, rid, true)
			if err != nil {
				return err
			}
			if cur.SHA256 == sha {
				doc = cur
				return nil
			}
			version = cur.LatestVersion + 1
			if _, err := tx.Exec(ctx, `INSERT INTO knowledge_document_versions (document_id, version, dealership_id, sha256, content_type, size_bytes, status)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, rid, version, in.DealershipID, sha, ct, len(in.Data), int16(knowledgev1.DocumentStatus_DOCUMENT_STATUS_PENDING)); err != nil {
				return fmt.Errorf("insert version: %w", err)
			}
			if md.GetTitle() == "" {
				title = cur.Title
			}
			if md.GetTags() == nil {
				tags = cur.Tags
			}
			if _, err := tx.Exec(ctx, `UPDATE knowledge_documents SET latest_version = $3, status = $4, failure_reason = '', stage = $5, percent = 0,
				title = $6, filename = $7, tags = $8, updated_at = now() WHERE id = $1 AND dealership_id = $2`,
				rid, in.DealershipID, version, int16(knowledgev1.DocumentStatus_DOCUMENT_STATUS_PENDING), int16(knowledgev1.IngestStage_INGEST_STAGE_QUEUED),
				title, md.GetFilename(), tags); err != nil {
				return fmt.Errorf("update document: %w", err)
			}
			queued = true
			doc, err = getDocument(ctx, tx, in.DealershipID, rid, false)
			return err
		}
		var existing string
		err := tx.QueryRow(ctx, `SELECT d.id::text FROM knowledge_documents d JOIN knowledge_document_versions v
			ON v.document_id = d.id AND v.version = d.latest_version WHERE d.dealership_id = $1 AND v.sha256 = $2 LIMIT 1`,
			in.DealershipID, sha).Scan(&existing)
		if err == nil {
			doc, err = getDocument(ctx, tx, in.DealershipID, existing, false)
			return err
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("look up duplicate: %w", err)
		}
		var id string
		if err := tx.QueryRow(ctx, `INSERT INTO knowledge_documents (dealership_id, title, filename, tags, status, stage)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id::text`, in.DealershipID, title, md.GetFilename(), tags,
			int16(knowledgev1.DocumentStatus_DOCUMENT_STATUS_PENDING), int16(knowledgev1.IngestStage_INGEST_STAGE_QUEUED)).Scan(&id); err != nil {
			return fmt.Errorf("insert document: %w", err)
		}
		version = 1
		if _, err := tx.Exec(ctx, `INSERT INTO knowledge_document_versions (document_id, version, dealership_id, sha256, content_type, size_bytes, status)
			VALUES ($1, 1, $2, $3, $4, $5, $6)`, id, in.DealershipID, sha, ct, len(in.Data), int16(knowledgev1.DocumentStatus_DOCUMENT_STATUS_PENDING)); err != nil {
			return fmt.Errorf("insert version: %w", err)
		}
		queued = true
		doc, err = getDocument(ctx, tx, in.DealershipID, id, false)
		return err
	})
	if err != nil {
		return nil, err
	}
	if queued {
		if err := s.enqueue(ctx, &eventsv1.IngestJob{Kind: eventsv1.IngestJobKind_INGEST_JOB_KIND_INGEST, DealershipId: in.DealershipID, DocumentId: doc.ID, Version: version}); err != nil {
			reason := "the document could not be queued for processing; upload it again"
			_ = store.InTenant(context.WithoutCancel(ctx), s.cfg.Primary, in.DealershipID, func(tx pgx.Tx) error {
				_, err := markFailed(ctx, tx, in.DealershipID, doc.ID, version, reason)
				return err
			})
			return nil, err
		}
	}
	return doc.proto(), nil
}

// enqueue publishes a job on the ingest work queue; the message id de-duplicates
// repeated publishes of the same job within the stream's window.
func (s *Service) enqueue(ctx context.Context, job *eventsv1.IngestJob) error {
	if job.JobId == "" {
		job.JobId = fmt.Sprintf("%s:%d:%d", job.DocumentId, job.Version, job.Kind)
	}
	raw, err := proto.Marshal(job)
	if err != nil {
		return fmt.Errorf("encode job: %w", err)
	}
	subj := s.cfg.Bus.Names.Subject("ingest", "job", job.DealershipId)
	if _, err := s.cfg.Bus.JS.Publish(ctx, subj, raw, jetstream.WithMsgID(job.JobId)); err != nil {
		return fmt.Errorf("publish ingest job: %w", err)
	}
	return nil
}

// Get returns one document of the dealership.
func (s *Service) Get(ctx context.Context, dealershipID, id string) (*knowledgev1.Document, error) {
	var doc document
	err := store.InTenant(ctx, s.read, dealershipID, func(tx pgx.Tx) error {
		var err error
		doc, err = getDocument(ctx, tx, dealershipID, id, false)
		return err
	})
	if err != nil {
		return nil, err
	}
	return doc.proto(), nil
}

// progress returns a document with its ingest stage and percent.
func (s *Service) progress(ctx context.Context, dealershipID, id string) (*knowledgev1.WatchDocumentResponse, error) {
	var doc document
	err := store.InTenant(ctx, s.cfg.Primary, dealershipID, func(tx pgx.Tx) error {
		var err error
		doc, err = getDocument(ctx, tx, dealershipID, id, false)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &knowledgev1.WatchDocumentResponse{Document: doc.proto(), Stage: doc.Stage, Percent: doc.Percent}, nil
}

// List returns a page of the dealership's documents, newest first, and the token of the
// next page ("" at the end). The token is the last document's id.
func (s *Service) List(ctx context.Context, dealershipID string, pageSize int, pageToken string, status knowledgev1.DocumentStatus) ([]*knowledgev1.Document, string, error) {
	if pageSize <= 0 || pageSize > 100 {
		pageSize = 50
	}
	var out []*knowledgev1.Document
	var next string
	err := store.InTenant(ctx, s.read, dealershipID, func(tx pgx.Tx) error {
		args := []any{dealershipID, pageSize + 1, int16(status)}
		cursor := ""
		if pageToken != "" {
			if !validUUID(pageToken) {
				return ErrNotFound
			}
			cursor = ` AND (d.created_at, d.id) < (SELECT created_at, id FROM knowledge_documents WHERE id = $4)`
			args = append(args, pageToken)
		}
		rows, err := tx.Query(ctx, `SELECT `+documentColumns+documentFrom+` WHERE d.dealership_id = $1 AND ($3 = 0 OR d.status = $3)`+cursor+`
			ORDER BY d.created_at DESC, d.id DESC LIMIT $2`, args...)
		if err != nil {
			return fmt.Errorf("list documents: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			d, err := scanDocument(rows)
			if err != nil {
				return err
			}
			out = append(out, d.proto())
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("list documents: %w", err)
		}
		if len(out) > pageSize {
			out = out[:pageSize]
			next = out[pageSize-1].Id
		}
		return nil
	})
	return out, next, err
}

// KeepPostings is Config.KeepPostings after defaults (0: every posting is kept).
func (s *Service) KeepPostings() int { return s.cfg.KeepPostings }

// RefreshPostingFloors sets the posting floor (Config.KeepPostings) of each of the
// dealership's lexemes that is in at least KeepPostings chunks, and returns how many it
// set. Writes keep the floors up to date themselves, a quarter of document frequency at
// a time; run this after loading a dealership with pruning off (a bulk Import with
// KeepPostings negative), so that the writes that follow prune from the first one.
func (s *Service) RefreshPostingFloors(ctx context.Context, dealershipID string) (int64, error) {
	if s.cfg.KeepPostings <= 0 {
		return 0, nil
	}
	var n int64
	err := store.InTenant(ctx, s.cfg.Primary, dealershipID, func(tx pgx.Tx) error {
		// The statistics row first, as the writers take it: they wait meanwhile.
		var b pgx.Batch
		b.Queue(`SELECT 1 FROM knowledge_stats WHERE dealership_id = $1 FOR UPDATE`, dealershipID).Exec(func(pgconn.CommandTag) error { return nil })
		queueRefreshFloors(&b, dealershipID, nil, s.cfg.KeepPostings, &n)
		if err := tx.SendBatch(ctx, &b).Close(); err != nil {
			return fmt.Errorf("refresh posting floors: %w", err)
		}
		return nil
	})
	return n, err
}

// Delete removes a document and its chunks, then announces the change.
func (s *Service) Delete(ctx context.Context, dealershipID, id string) error {
	var kb int64
	err := store.InTenant(ctx, s.cfg.Primary, dealershipID, func(tx pgx.Tx) error {
		var err error
		kb, err = deleteDocument(ctx, tx, dealershipID, id, s.cfg.KeepPostings)
		return err
	})
	if err != nil {
		return err
	}
	s.changed(ctx, dealershipID, id, kb)
	return nil
}

// changed moves the cache's knowledge-base version and announces KnowledgeChanged on
// avatar.knowledge.changed.<dealership> so edges drop their cached retrievals. Failures
// are logged: the cache key still changes once Redis answers, and entries expire.
func (s *Service) changed(ctx context.Context, dealershipID, documentID string, kb int64) {
	ctx = context.WithoutCancel(ctx)
	if err := s.storeKBVersion(ctx, dealershipID, kb); err != nil {
		s.log.WarnContext(ctx, "bump knowledge version in cache", "error", err.Error(), "dealership_id", dealershipID)
		// Without the bump, cached searches could outlive the change: drop the key so it
		// is reloaded from PostgreSQL.
		_ = s.cfg.Redis.Del(ctx, s.kbVersionKey(dealershipID)).Err()
	}
	raw, err := proto.Marshal(&eventsv1.KnowledgeChanged{DealershipId: dealershipID, Version: kb, DocumentId: documentID})
	if err != nil {
		return
	}
	subj := s.cfg.Bus.Names.Subject("knowledge", "changed", dealershipID)
	if _, err := s.cfg.Bus.JS.Publish(ctx, subj, raw, jetstream.WithMsgID(fmt.Sprintf("kc:%s:%d", dealershipID, kb))); err != nil {
		s.log.WarnContext(ctx, "publish knowledge changed", "error", err.Error(), "dealership_id", dealershipID)
	}
}

// Workers is the number of ingest jobs processed at once (Config.Workers, defaulted).
func (s *Service) Workers() int { return s.cfg.Workers }

// Writers is the number of ingest write transactions at once (Config.Writers,
// defaulted).
func (s *Service) Writers() int { return s.cfg.Writers }
