package knowledge

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/avatar-fi/avatar/core/internal/knowledge/extract"
	"github.com/avatar-fi/avatar/core/internal/knowledge/search"
	"github.com/avatar-fi/avatar/core/internal/store"
	"github.com/avatar-fi/avatar/core/internal/validate"
	eventsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/events/v1"
	knowledgev1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/knowledge/v1"
)

// Service is the knowledge base. Build it with New, mount NewHandler(svc) and run Run
// for the ingest workers. Its methods are safe for concurrent use.
type Service struct {
	cfg    Config // defaults applied
	log    *slog.Logger
	search *search.Cache // the read path
	hooks  *webhooks
}

// New validates cfg, applies defaults (Config.WithDefaults) and makes sure the
// embedder's vector index exists.
func New(ctx context.Context, cfg Config) (*Service, error) {
	cfg, err := cfg.WithDefaults()
	if err != nil {
		return nil, err
	}
	log := cfg.Log.With("component", "knowledge")
	searcher, err := search.New(search.Config{Pool: cfg.Read, Embedder: cfg.Embedder, Ranking: cfg.Ranking})
	if err != nil {
		return nil, err
	}
	cache, err := search.NewCache(searcher, search.CacheConfig{Redis: cfg.Redis, Pool: cfg.Read, TTL: cfg.CacheTTL, KeyPrefix: cfg.KeyPrefix, Log: log})
	if err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, log: log, search: cache}
	s.hooks = newWebhooks(s)
	if err := search.EnsureVectorIndex(ctx, cfg.Primary, cfg.Embedder); err != nil {
		return nil, err
	}
	return s, nil
}

// SearchQuery is one retrieval request (search.Query).
type SearchQuery = search.Query

// Retrieve ranks the dealership's chunks for q. It reads through the Redis cache keyed by
// dealership, knowledge-base version, normalised query, top-k and tags, and otherwise
// runs hybrid retrieval on the read pool (package search).
func (s *Service) Retrieve(ctx context.Context, q SearchQuery) ([]*knowledgev1.SearchResult, error) {
	return s.search.Search(ctx, q)
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
	u, err := newUpload(in)
	if err != nil {
		return nil, err
	}
	var (
		doc     document
		version int32 // the version to ingest; 0 when nothing is queued
	)
	err = store.InTenant(ctx, s.cfg.Primary, in.DealershipID, func(tx pgx.Tx) error {
		var err error
		doc, version, err = storeUpload(ctx, tx, u)
		return err
	})
	if err != nil {
		return nil, err
	}
	if version > 0 {
		if err := s.queueIngest(ctx, in.DealershipID, doc.ID, version); err != nil {
			return nil, err
		}
	}
	return doc.proto(), nil
}

// upload is an upload with its media type, SHA-256, title and tags worked out.
type upload struct {
	dealershipID string
	md           *knowledgev1.DocumentMetadata
	data         []byte
	contentType  string
	sha          string
	title        string
	tags         []string
}

// newUpload sniffs the upload's media type (ErrUnsupportedMedia) and hashes it; the
// title defaults to the filename.
func newUpload(in UploadInput) (upload, error) {
	md := in.Metadata
	head := in.Data
	if len(head) > 512 {
		head = head[:512]
	}
	ct, err := extract.Sniff(head, md.GetFilename(), md.GetContentType())
	if err != nil {
		return upload{}, err
	}
	if in.Data == nil {
		in.Data = []byte{}
	}
	sum := sha256.Sum256(in.Data)
	title := strings.TrimSpace(md.GetTitle())
	if title == "" {
		title = strings.TrimSpace(md.GetFilename())
	}
	tags := md.GetTags()
	if tags == nil {
		tags = []string{}
	}
	return upload{dealershipID: in.DealershipID, md: md, data: in.Data, contentType: ct, sha: hex.EncodeToString(sum[:]), title: title, tags: tags}, nil
}

// storeUpload stores the original, then adds the next version of the document the
// upload replaces, or returns the document whose latest version has the same bytes, or
// creates a document. It returns the document and the version to ingest (0: none).
func storeUpload(ctx context.Context, tx pgx.Tx, u upload) (document, int32, error) {
	if err := insertOriginal(ctx, tx, u.dealershipID, u.sha, u.data); err != nil {
		return document{}, 0, err
	}
	if id := u.md.GetReplacesDocumentId(); id != "" {
		return replaceDocument(ctx, tx, u, id)
	}
	id, err := findDuplicate(ctx, tx, u.dealershipID, u.sha)
	if err != nil {
		return document{}, 0, err
	}
	if id != "" {
		doc, err := getDocument(ctx, tx, u.dealershipID, id, false)
		return doc, 0, err
	}
	if id, err = insertDocument(ctx, tx, u.dealershipID, u.title, u.md.GetFilename(), u.tags); err != nil {
		return document{}, 0, err
	}
	if err := insertVersion(ctx, tx, u.dealershipID, id, 1, u.sha, u.contentType, len(u.data)); err != nil {
		return document{}, 0, err
	}
	doc, err := getDocument(ctx, tx, u.dealershipID, id, false)
	return doc, 1, err
}

// replaceDocument adds the upload as the next version of document id (unless its
// latest version has the same bytes); the title and tags stay the document's unless
// the upload gives them.
func replaceDocument(ctx context.Context, tx pgx.Tx, u upload, id string) (document, int32, error) {
	cur, err := getDocument(ctx, tx, u.dealershipID, id, true)
	if err != nil {
		return document{}, 0, err
	}
	if cur.SHA256 == u.sha {
		return cur, 0, nil
	}
	version := cur.LatestVersion + 1
	if err := insertVersion(ctx, tx, u.dealershipID, id, version, u.sha, u.contentType, len(u.data)); err != nil {
		return document{}, 0, err
	}
	title, tags := u.title, u.tags
	if u.md.GetTitle() == "" {
		title = cur.Title
	}
	if u.md.GetTags() == nil {
		tags = cur.Tags
	}
	if err := queueVersion(ctx, tx, u.dealershipID, id, version, title, u.md.GetFilename(), tags); err != nil {
		return document{}, 0, err
	}
	doc, err := getDocument(ctx, tx, u.dealershipID, id, false)
	return doc, version, err
}

// queueIngest queues the ingest job of a document version. When that fails, the
// version is marked FAILED (its document would otherwise wait for a job that never
// comes) and the error returned.
func (s *Service) queueIngest(ctx context.Context, dealershipID, documentID string, version int32) error {
	err := s.enqueue(ctx, &eventsv1.IngestJob{Kind: eventsv1.IngestJobKind_INGEST_JOB_KIND_INGEST, DealershipId: dealershipID, DocumentId: documentID, Version: version})
	if err == nil {
		return nil
	}
	reason := "the document could not be queued for processing; upload it again"
	// Marked failed even when the client has gone: the request's context may be
	// cancelled, the document's state must not be left PENDING.
	mctx := context.WithoutCancel(ctx)
	_ = store.InTenant(mctx, s.cfg.Primary, dealershipID, func(tx pgx.Tx) error {
		_, err := markFailed(mctx, tx, dealershipID, documentID, version, reason)
		return err
	})
	return err
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
	err := store.InTenant(ctx, s.cfg.Read, dealershipID, func(tx pgx.Tx) error {
		var err error
		doc, err = getDocument(ctx, tx, dealershipID, id, false)
		return err
	})
	if err != nil {
		return nil, err
	}
	return doc.proto(), nil
}

// progress returns a document with its ingest stage and percent, read on the primary.
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
	err := store.InTenant(ctx, s.cfg.Read, dealershipID, func(tx pgx.Tx) error {
		if pageToken != "" && !validate.IsUUID(pageToken) {
			return ErrNotFound
		}
		docs, err := listDocuments(ctx, tx, dealershipID, pageSize+1, pageToken, status)
		if err != nil {
			return err
		}
		for _, d := range docs {
			out = append(out, d.proto())
		}
		if len(out) > pageSize {
			out = out[:pageSize]
			next = out[pageSize-1].Id
		}
		return nil
	})
	return out, next, err
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
	if err := s.search.SetVersion(ctx, dealershipID, kb); err != nil {
		// Without the bump, cached searches could outlive the change: SetVersion
		// dropped the key so that it is reloaded from PostgreSQL.
		s.log.WarnContext(ctx, "bump knowledge version in cache", "error", err.Error(), "dealership_id", dealershipID)
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
