package search

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/avatar-fi/avatar/core/internal/store"
	knowledgev1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/knowledge/v1"
)

// Embedder turns texts into L2-normalised vectors. ID names the model and dimension,
// and the chunks carry it: the vector side sees only the chunks embedded under the same
// ID. Implementations must be safe for concurrent use (embed.Hashed, embed.OpenAI).
type Embedder interface {
	Embed(ctx context.Context, texts []string) ([][]float32, error)
	ID() string
	Dims() int
}

var embedderIDRe = regexp.MustCompile(`^[a-zA-Z0-9._-]{1,100}$`)

// CheckEmbedder returns an error unless emb's ID is 1 to 100 letters, digits, '.', '_'
// or '-' and its dimension is from 1 to 2000: the ID is written into the vector query
// and the name and predicate of its index, and pgvector's HNSW index takes at most
// 2000 dimensions.
func CheckEmbedder(emb Embedder) error {
	switch {
	case !embedderIDRe.MatchString(emb.ID()):
		return fmt.Errorf("embedder id %q must match %s", emb.ID(), embedderIDRe)
	case emb.Dims() < 1 || emb.Dims() > 2000:
		return fmt.Errorf("embedder dimension %d must be from 1 to 2000", emb.Dims())
	}
	return nil
}

// Config configures a Searcher.
type Config struct {
	// Pool serves the searches: a replica or the primary. Required; it must stay open
	// while the Searcher is used.
	Pool *pgxpool.Pool
	// Embedder embeds the queries; the chunks must have been embedded by it (see
	// EnsureVectorIndex). Required; see CheckEmbedder.
	Embedder Embedder
	// Ranking tunes the ranking; zero fields take their defaults (Ranking.WithDefaults).
	Ranking Ranking
}

// Searcher ranks a dealership's chunks for a query with hybrid retrieval, on
// PostgreSQL and without a cache (Cache puts one in front). Build it with New; its
// methods are safe for concurrent use.
type Searcher struct {
	pool    *pgxpool.Pool
	emb     Embedder
	ranking Ranking // defaults applied
}

// New checks cfg and returns its Searcher; it does no I/O.
func New(cfg Config) (*Searcher, error) {
	switch {
	case cfg.Pool == nil:
		return nil, fmt.Errorf("%w: Pool is required", ErrInvalidConfig)
	case cfg.Embedder == nil:
		return nil, fmt.Errorf("%w: Embedder is required", ErrInvalidConfig)
	}
	if err := CheckEmbedder(cfg.Embedder); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return &Searcher{pool: cfg.Pool, emb: cfg.Embedder, ranking: cfg.Ranking.WithDefaults()}, nil
}

// Query is one search.
type Query struct {
	// DealershipID is the dealership whose chunks are searched.
	DealershipID string
	// Query is the text searched for; case and runs of white space do not matter.
	Query string
	// TopK is the largest number of results.
	TopK int
	// Tags, when not empty, limits the search to the documents that carry every tag.
	Tags []string
}

// Search ranks the dealership's chunks for q and returns the best q.TopK, best first,
// each with its fused score. It reads straight from the pool, without a cache.
func (s *Searcher) Search(ctx context.Context, q Query) ([]*knowledgev1.SearchResult, error) {
	return s.search(ctx, q.DealershipID, normaliseQuery(q.Query), q.TopK, q.Tags)
}

// normaliseQuery lower-cases and collapses white space, so trivially different
// spellings of a query share a cache entry.
func normaliseQuery(q string) string {
	return strings.Join(strings.Fields(strings.ToLower(q)), " ")
}

// search runs BM25 and the vector side and fuses them with weighted reciprocal rank
// fusion, inside a tenant transaction; query is normalised.
func (s *Searcher) search(ctx context.Context, dealershipID, query string, k int, tags []string) ([]*knowledgev1.SearchResult, error) {
	qvec, err := s.embedQuery(ctx, query)
	if err != nil {
		return nil, err
	}
	// Without feedback and without a tag filter the vector query runs on a second
	// connection while BM25 runs on the first: the two take about as long as each
	// other at 100,000 chunks.
	var beside *vectorSearch
	if qvec != nil && !s.ranking.feedbackOn() && len(tags) == 0 {
		beside = s.startVectorSearch(ctx, dealershipID, qvec)
	}
	var out []*knowledgev1.SearchResult
	err = store.InTenant(ctx, s.pool, dealershipID, func(tx pgx.Tx) error {
		var err error
		out, err = s.rank(ctx, tx, dealershipID, query, k, tags, qvec, beside)
		return err
	})
	if beside != nil {
		_, _ = beside.wait() // when BM25 failed first
	}
	if err != nil {
		return nil, fmt.Errorf("retrieve: %w", err)
	}
	return out, nil
}

// rank resolves the tag filter, runs BM25 (with the vector query in the same pipelined
// batch when it runs neither beside nor after it), waits for the vector query running
// beside, or runs the feedback vector query, then fuses the two and loads the best k.
func (s *Searcher) rank(ctx context.Context, tx pgx.Tx, dealershipID, query string, k int, tags []string, qvec []float32, beside *vectorSearch) ([]*knowledgev1.SearchResult, error) {
	var docFilter []string
	if len(tags) > 0 {
		var err error
		// No document carries the tags: nothing else runs.
		if docFilter, err = tagFilter(ctx, tx, dealershipID, tags); err != nil || len(docFilter) == 0 {
			return nil, err
		}
	}
	inBatch := qvec != nil && !s.ranking.feedbackOn() && beside == nil
	lex, vec, err := s.lexical(ctx, tx, dealershipID, query, docFilter, inBatch, qvec)
	if err != nil {
		return nil, err
	}
	switch {
	case beside != nil:
		if vec, err = beside.wait(); err != nil {
			return nil, err
		}
	case qvec != nil && s.ranking.feedbackOn():
		if vec, err = s.feedbackSearch(ctx, tx, dealershipID, qvec, lex, docFilter); err != nil {
			return nil, err
		}
	}
	fused := fuse(lex, vec, s.ranking)
	if len(fused) > k {
		fused = fused[:k]
	}
	if len(fused) == 0 {
		return nil, nil
	}
	return loadResults(ctx, tx, dealershipID, fused)
}

// embedQuery returns the query's vector, or nil when the vector side is off or the
// query has no features.
func (s *Searcher) embedQuery(ctx context.Context, query string) ([]float32, error) {
	if !s.ranking.vectorOn() {
		return nil, nil
	}
	vs, err := s.emb.Embed(ctx, []string{query})
	if err != nil {
		return nil, fmt.Errorf("embed query: %w", err)
	}
	if isZero(vs[0]) {
		return nil, nil
	}
	return vs[0], nil
}

// lexical runs BM25 and, withVector, the vector query for qvec in the same pipelined
// batch.
func (s *Searcher) lexical(ctx context.Context, tx pgx.Tx, dealershipID, query string, docFilter []string, withVector bool, qvec []float32) (lex, vec []ranked, err error) {
	var b pgx.Batch
	queueBM25(&b, dealershipID, query, s.ranking, docFilter, &lex)
	if withVector {
		queueVectorSearch(&b, s.emb, dealershipID, qvec, s.ranking, docFilter, &vec)
	}
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		return nil, nil, err
	}
	return lex, vec, nil
}

// vectorSearch is a vector query running on a connection of its own.
type vectorSearch struct {
	done chan struct{}
	res  []ranked
	err  error
}

// startVectorSearch starts the vector query for qvec in a tenant transaction of its own.
func (s *Searcher) startVectorSearch(ctx context.Context, dealershipID string, qvec []float32) *vectorSearch {
	v := &vectorSearch{done: make(chan struct{})}
	go func() {
		defer close(v.done)
		v.err = store.InTenant(ctx, s.pool, dealershipID, func(tx pgx.Tx) error {
			var b pgx.Batch
			queueVectorSearch(&b, s.emb, dealershipID, qvec, s.ranking, nil, &v.res)
			return tx.SendBatch(ctx, &b).Close()
		})
	}()
	return v
}

// wait returns the vector query's results once it has finished.
func (v *vectorSearch) wait() ([]ranked, error) {
	<-v.done
	return v.res, v.err
}

// feedbackSearch runs the vector query with the feedback vector of qvec and lex.
func (s *Searcher) feedbackSearch(ctx context.Context, tx pgx.Tx, dealershipID string, qvec []float32, lex []ranked, docFilter []string) ([]ranked, error) {
	fq, err := s.feedbackVector(ctx, tx, dealershipID, qvec, lex)
	if err != nil {
		return nil, err
	}
	var (
		b   pgx.Batch
		vec []ranked
	)
	queueVectorSearch(&b, s.emb, dealershipID, fq, s.ranking, docFilter, &vec)
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		return nil, err
	}
	return vec, nil
}

// feedbackVector returns the vector query built from qvec and the mean vector of the
// best Feedback lexical results (qvec itself when there are none).
func (s *Searcher) feedbackVector(ctx context.Context, tx pgx.Tx, dealershipID string, qvec []float32, lex []ranked) ([]float32, error) {
	n := min(len(lex), max(s.ranking.Feedback, 0))
	if n == 0 {
		return qvec, nil
	}
	ids := make([]string, n)
	for i := range ids {
		ids[i] = lex[i].id
	}
	mean, err := meanVector(ctx, tx, s.emb, dealershipID, ids)
	if err != nil {
		return nil, err
	}
	if mean == nil {
		return qvec, nil // the chunks are being re-embedded
	}
	return blend(qvec, mean, s.ranking.QueryVectorWeight), nil
}

// QueryVector returns the vector the vector side searches with for query: the query's
// embedding, blended with the best lexical results' vectors when feedback is on; nil
// when the vector side has nothing to search with. For benchmarks measuring the HNSW
// index on the searches' real query vectors.
func (s *Searcher) QueryVector(ctx context.Context, dealershipID, query string) ([]float32, error) {
	query = normaliseQuery(query)
	qvec, err := s.embedQuery(ctx, query)
	if err != nil || qvec == nil || !s.ranking.feedbackOn() {
		return qvec, err
	}
	var out []float32
	err = store.InTenant(ctx, s.pool, dealershipID, func(tx pgx.Tx) error {
		lex, _, err := s.lexical(ctx, tx, dealershipID, query, nil, false, nil)
		if err != nil {
			return err
		}
		out, err = s.feedbackVector(ctx, tx, dealershipID, qvec, lex)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("query vector: %w", err)
	}
	return out, nil
}
