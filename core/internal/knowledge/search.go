package knowledge

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/pgvector/pgvector-go"
	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/proto"

	"github.com/avatar-fi/avatar/core/internal/store"
	knowledgev1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/knowledge/v1"
)

// RankingConfig tunes hybrid retrieval. Zero fields take the defaults, which were chosen
// on the NFCorpus dev split (see cmd/avatar-eval-retrieval).
type RankingConfig struct {
	// K1 and B are the BM25 parameters; defaults 0.9 and 0.4.
	K1, B float64
	// RRFK is the reciprocal rank fusion constant; default 60.
	RRFK float64
	// LexicalWeight and VectorWeight weight each ranking in the fusion; defaults 1 and
	// 0.02, chosen on the NFCorpus dev split with the hashed embedder. There, with the
	// vector side searching with the feedback query (Feedback 5), nDCG@10 goes 0.3020
	// (lexical alone) → 0.3058 and recall@100 0.2285 → 0.2558; larger vector weights
	// lower nDCG@10 (0.3041 at 0.5). A neural embedder through /v1/embeddings deserves a
	// larger weight. A negative VectorWeight turns the vector side off.
	LexicalWeight, VectorWeight float64
	// Candidates is how many results each side contributes to the fusion; default 100.
	Candidates int
	// EfSearch is hnsw.ef_search for the vector side; default 100.
	EfSearch int
	// TermPostings is how many postings of each query term, highest impact (BM25 term
	// weight) first, the lexical side scores; default 500. On NFCorpus (dev / test)
	// nDCG@10 is 0.3042 / 0.3347 at 500, 0.3057 / 0.3342 at 1000 and 0.3047 (dev) exact,
	// while at 100,000 chunks 500 takes a third off the lexical side's time. A chunk outside every query
	// term's top TermPostings is not a lexical candidate, which bounds the work for
	// common terms. Negative scores every posting (exact BM25). Tag-filtered searches
	// always score every posting of the filtered documents.
	TermPostings int
	// Feedback is how many of the best lexical results lend their vectors to the vector
	// query (pseudo-relevance feedback): the vector side searches with the query's own
	// vector plus the mean vector of those chunks, the query's share being
	// QueryVectorWeight. A short query's vector lies far from every chunk's vector, and
	// at 100,000 chunks an HNSW search from such a point finds few of its true nearest
	// chunks (recall@10 0.58 at ef_search 100 on topical text); the feedback query lies
	// among the chunks, where the graph leads the search well (see
	// cmd/avatar-bench-retrieval). Default 5; negative turns feedback off, and the
	// vector side then runs beside BM25 rather than after it.
	Feedback int
	// QueryVectorWeight is the query vector's share of the feedback query, up to 1;
	// default 0.3, negative for none (the feedback vector alone).
	QueryVectorWeight float64
}

func (r RankingConfig) withDefaults() RankingConfig {
	if r.K1 <= 0 {
		r.K1 = 0.9
	}
	if r.B <= 0 {
		r.B = 0.4
	}
	if r.RRFK <= 0 {
		r.RRFK = 60
	}
	if r.LexicalWeight <= 0 {
		r.LexicalWeight = 1
	}
	if r.VectorWeight == 0 {
		r.VectorWeight = 0.02
	} else if r.VectorWeight < 0 {
		r.VectorWeight = 0
	}
	if r.Candidates <= 0 {
		r.Candidates = 100
	}
	if r.EfSearch <= 0 {
		r.EfSearch = 100
	}
	if r.TermPostings == 0 {
		r.TermPostings = 500
	}
	if r.Feedback == 0 {
		r.Feedback = 5
	} else if r.Feedback < 0 {
		r.Feedback = 0
	}
	switch {
	case r.QueryVectorWeight == 0 || r.QueryVectorWeight > 1:
		r.QueryVectorWeight = 0.3
	case r.QueryVectorWeight < 0:
		r.QueryVectorWeight = 0
	}
	return r
}

// SearchQuery is one retrieval request.
type SearchQuery struct {
	DealershipID string
	Query        string
	TopK         int
	Tags         []string
	// NoCache bypasses the Redis cache (benchmarks and evaluation).
	NoCache bool
}

// Retrieve ranks the dealership's chunks for q. It reads through the Redis cache keyed by
// dealership, knowledge-base version, normalised query, top-k and tags, and otherwise
// runs hybrid retrieval on the read pool.
func (s *Service) Retrieve(ctx context.Context, q SearchQuery) ([]*knowledgev1.SearchResult, error) {
	start := time.Now()
	norm := normaliseQuery(q.Query)
	tags := slices.Clone(q.Tags)
	sort.Strings(tags)
	var key string
	if s.cfg.CacheTTL > 0 && !q.NoCache {
		kb, err := s.kbVersion(ctx, q.DealershipID)
		if err == nil {
			sum := sha256.Sum256([]byte(s.cfg.Embedder.ID() + "\x00" + strconv.Itoa(q.TopK) + "\x00" + strings.Join(tags, "\x1f") + "\x00" + norm))
			key = s.cfg.KeyPrefix + "knowledge:search:" + q.DealershipID + ":" + strconv.FormatInt(kb, 10) + ":" + hex.EncodeToString(sum[:16])
			raw, err := s.cfg.Redis.Get(ctx, key).Bytes()
			switch {
			case err == nil:
				var res knowledgev1.SearchResponse
				if proto.Unmarshal(raw, &res) == nil {
					cacheRequests.WithLabelValues("hit").Inc()
					searchDuration.WithLabelValues("hit").Observe(time.Since(start).Seconds())
					return res.Results, nil
				}
			case errors.Is(err, redis.Nil):
			default:
				cacheRequests.WithLabelValues("error").Inc()
				s.log.WarnContext(ctx, "search cache read failed", "error", err.Error())
				key = ""
			}
		} else {
			cacheRequests.WithLabelValues("error").Inc()
			s.log.WarnContext(ctx, "knowledge version read failed", "error", err.Error())
		}
		if key != "" {
			cacheRequests.WithLabelValues("miss").Inc()
		}
	}
	results, err := s.retrieve(ctx, q.DealershipID, norm, q.TopK, tags)
	if err != nil {
		return nil, err
	}
	if key != "" {
		if raw, err := proto.Marshal(&knowledgev1.SearchResponse{Results: results}); err == nil {
			if err := s.cfg.Redis.Set(ctx, key, raw, s.cfg.CacheTTL).Err(); err != nil {
				s.log.WarnContext(ctx, "search cache write failed", "error", err.Error())
			}
		}
	}
	searchDuration.WithLabelValues("miss").Observe(time.Since(start).Seconds())
	return results, nil
}

// normaliseQuery lower-cases and collapses white space, so trivially different
// spellings of a query share a cache entry.
func normaliseQuery(q string) string {
	return strings.Join(strings.Fields(strings.ToLower(q)), " ")
}

func (s *Service) kbVersionKey(dealershipID string) string {
	return s.cfg.KeyPrefix + "knowledge:kbv:" + dealershipID
}

// kbVersion returns the dealership's knowledge-base version from Redis, loading it from
// PostgreSQL when Redis does not have it.
func (s *Service) kbVersion(ctx context.Context, dealershipID string) (int64, error) {
	v, err := s.cfg.Redis.Get(ctx, s.kbVersionKey(dealershipID)).Int64()
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, redis.Nil) {
		return 0, fmt.Errorf("read knowledge version: %w", err)
	}
	var kb int64
	err = store.InTenant(ctx, s.read, dealershipID, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT kb_version FROM knowledge_stats WHERE dealership_id = $1`, dealershipID).Scan(&kb)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("load knowledge version: %w", err)
	}
	if err := s.storeKBVersion(ctx, dealershipID, kb); err != nil {
		return 0, err
	}
	return kb, nil
}

// raiseVersion sets the key to v unless it already holds a larger version, so racing
// writers never move the cache key backwards.
var raiseVersion = redis.NewScript(`
local cur = tonumber(redis.call('GET', KEYS[1]) or '-1')
if tonumber(ARGV[1]) > cur then redis.call('SET', KEYS[1], ARGV[1]) end
return 1`)

func (s *Service) storeKBVersion(ctx context.Context, dealershipID string, v int64) error {
	if err := raiseVersion.Run(ctx, s.cfg.Redis, []string{s.kbVersionKey(dealershipID)}, v).Err(); err != nil {
		return fmt.Errorf("store knowledge version: %w", err)
	}
	return nil
}

type ranked struct {
	id    string
	score float64
}

// retrieve runs BM25 and vector search and fuses them with weighted reciprocal rank
// fusion, inside a tenant transaction on the read pool.
func (s *Service) retrieve(ctx context.Context, dealershipID, query string, k int, tags []string) ([]*knowledgev1.SearchResult, error) {
	rc := s.ranking
	qvec, err := s.embedQuery(ctx, query)
	if err != nil {
		return nil, err
	}
	// Without feedback and without a tag filter the vector query runs on a second
	// connection while BM25 runs on the first: the two take about as long as each
	// other at 100,000 chunks.
	var (
		vec     []ranked
		vecErr  error
		vecDone chan struct{}
	)
	if qvec != nil && rc.Feedback == 0 && len(tags) == 0 {
		vecDone = make(chan struct{})
		go func() {
			defer close(vecDone)
			vecErr = store.InTenant(ctx, s.read, dealershipID, func(tx pgx.Tx) error {
				var b pgx.Batch
				s.queueVectorSearch(&b, dealershipID, qvec, nil, rc.Candidates, &vec)
				return tx.SendBatch(ctx, &b).Close()
			})
		}()
	}
	var out []*knowledgev1.SearchResult
	err = store.InTenant(ctx, s.read, dealershipID, func(tx pgx.Tx) error {
		docFilter, lex, err := s.lexical(ctx, tx, dealershipID, query, tags, qvec != nil && rc.Feedback == 0 && vecDone == nil, qvec, &vec)
		if err != nil || (docFilter != nil && len(docFilter) == 0) {
			return err
		}
		if vecDone != nil {
			<-vecDone
			if vecErr != nil {
				return vecErr
			}
		}
		if qvec != nil && rc.Feedback > 0 {
			fq, err := s.feedbackVector(ctx, tx, dealershipID, qvec, lex)
			if err != nil {
				return err
			}
			var b pgx.Batch
			s.queueVectorSearch(&b, dealershipID, fq, docFilter, rc.Candidates, &vec)
			if err := tx.SendBatch(ctx, &b).Close(); err != nil {
				return err
			}
		}
		fused := fuse(lex, vec, rc)
		if len(fused) > k {
			fused = fused[:k]
		}
		if len(fused) == 0 {
			return nil
		}
		out, err = s.loadResults(ctx, tx, dealershipID, fused)
		return err
	})
	if vecDone != nil {
		<-vecDone // when BM25 failed first
	}
	if err != nil {
		return nil, fmt.Errorf("retrieve: %w", err)
	}
	return out, nil
}

// embedQuery returns the query's vector, or nil when the vector side is off or the
// query has no features.
func (s *Service) embedQuery(ctx context.Context, query string) ([]float32, error) {
	if s.ranking.VectorWeight <= 0 {
		return nil, nil
	}
	vs, err := s.cfg.Embedder.Embed(ctx, []string{query})
	if err != nil {
		return nil, fmt.Errorf("embed query: %w", err)
	}
	if isZero(vs[0]) {
		return nil, nil
	}
	return vs[0], nil
}

// lexical resolves the tag filter (nil without tags; empty when no document carries
// the tags, and then nothing else runs) and runs BM25. With withVector, the vector
// query for qvec goes in the same pipelined batch and its rows land in *vec.
func (s *Service) lexical(ctx context.Context, tx pgx.Tx, dealershipID, query string, tags []string, withVector bool, qvec []float32, vec *[]ranked) ([]string, []ranked, error) {
	var docFilter []string
	if len(tags) > 0 {
		rows, err := tx.Query(ctx, `SELECT id::text FROM knowledge_documents WHERE dealership_id = $1 AND tags @> $2`, dealershipID, tags)
		if err != nil {
			return nil, nil, fmt.Errorf("tag filter: %w", err)
		}
		if docFilter, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return nil, nil, fmt.Errorf("tag filter: %w", err)
		}
		if len(docFilter) == 0 {
			return []string{}, nil, nil
		}
	}
	var (
		batch pgx.Batch
		lex   []ranked
	)
	s.queueBM25(&batch, dealershipID, query, docFilter, s.ranking.Candidates, &lex)
	if withVector {
		s.queueVectorSearch(&batch, dealershipID, qvec, docFilter, s.ranking.Candidates, vec)
	}
	if err := tx.SendBatch(ctx, &batch).Close(); err != nil {
		return nil, nil, err
	}
	return docFilter, lex, nil
}

// feedbackVector returns the vector query built from qvec and the mean vector of the
// best Feedback lexical results (qvec itself when there are none).
func (s *Service) feedbackVector(ctx context.Context, tx pgx.Tx, dealershipID string, qvec []float32, lex []ranked) ([]float32, error) {
	n := min(len(lex), s.ranking.Feedback)
	if n == 0 {
		return qvec, nil
	}
	ids := make([]string, n)
	for i := range ids {
		ids[i] = lex[i].id
	}
	cast := fmt.Sprintf("vector(%d)", s.cfg.Embedder.Dims())
	var mean *string
	if err := tx.QueryRow(ctx, `SELECT avg(embedding::`+cast+`)::text FROM knowledge_chunks
		WHERE id = ANY($1::uuid[]) AND dealership_id = $2 AND embedder = $3`, ids, dealershipID, s.cfg.Embedder.ID()).Scan(&mean); err != nil {
		return nil, fmt.Errorf("feedback vector: %w", err)
	}
	if mean == nil {
		return qvec, nil // the chunks are being re-embedded
	}
	var m pgvector.Vector
	if err := m.Parse(*mean); err != nil {
		return nil, fmt.Errorf("feedback vector: %w", err)
	}
	return blend(qvec, m.Slice(), s.ranking.QueryVectorWeight), nil
}

// blend returns w·q/|q| + (1-w)·f/|f|; the vector side ranks by cosine, so its length
// does not matter.
func blend(q, f []float32, w float64) []float32 {
	nq, nf := norm(q), norm(f)
	out := make([]float32, len(q))
	for i := range out {
		var x float64
		if nq > 0 {
			x += w * float64(q[i]) / nq
		}
		if nf > 0 && i < len(f) {
			x += (1 - w) * float64(f[i]) / nf
		}
		out[i] = float32(x)
	}
	return out
}

func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

// QueryVector returns the vector the vector side searches with for query: the query's
// embedding, blended with the best lexical results' vectors when feedback is on; nil
// when the vector side has nothing to search with. For benchmarks measuring the HNSW
// index on the service's real queries.
func (s *Service) QueryVector(ctx context.Context, dealershipID, query string) ([]float32, error) {
	query = normaliseQuery(query)
	qvec, err := s.embedQuery(ctx, query)
	if err != nil || qvec == nil || s.ranking.Feedback == 0 {
		return qvec, err
	}
	var out []float32
	err = store.InTenant(ctx, s.read, dealershipID, func(tx pgx.Tx) error {
		_, lex, err := s.lexical(ctx, tx, dealershipID, query, nil, false, nil, nil)
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

func isZero(v []float32) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}

// queueBM25 queues the Okapi BM25 query over the posting list on b; its rows land in
// *out. Document frequencies come from knowledge_terms and the average length from
// knowledge_stats, both maintained in the ingest transaction. Each query term
// contributes its TermPostings highest-impact postings (an index range scan on
// knowledge_postings_impact), scored exactly with the current statistics.
func (s *Service) queueBM25(b *pgx.Batch, dealershipID, query string, docFilter []string, limit int, out *[]ranked) {
	var perTerm *int64
	if n := s.ranking.TermPostings; n > 0 && docFilter == nil {
		v := int64(n)
		perTerm = &v
	}
	filter := ""
	args := []any{dealershipID, query, s.ranking.K1, s.ranking.B, limit, perTerm}
	if docFilter != nil {
		filter = "AND p.document_id = ANY($7::uuid[])"
		args = append(args, docFilter)
	}
	b.Queue(`
		WITH q AS (
			SELECT DISTINCT x.lexeme AS term FROM unnest(to_tsvector('english', $2)) x
		), st AS (
			SELECT greatest(chunk_count, 1)::float8 AS n, greatest(total_tokens::float8 / greatest(chunk_count, 1), 1) AS avgdl
			FROM knowledge_stats WHERE dealership_id = $1
		), t AS (
			SELECT k.term, ln(1 + (st.n - k.df + 0.5) / (k.df::float8 + 0.5)) AS idf
			FROM q JOIN knowledge_terms k ON k.dealership_id = $1 AND k.term = q.term CROSS JOIN st
			WHERE k.df > 0
		), p AS (
			SELECT t.idf, p.chunk_id, p.tf, p.dl
			FROM t CROSS JOIN LATERAL (
				SELECT p.chunk_id, p.tf, p.dl FROM knowledge_postings p
				WHERE p.dealership_id = $1 AND p.term = t.term `+filter+`
				ORDER BY p.impact DESC LIMIT $6::bigint
			) p
		)
		SELECT p.chunk_id::text,
			sum(p.idf * p.tf * ($3::float8 + 1) / (p.tf + $3::float8 * (1 - $4::float8 + $4::float8 * p.dl / st.avgdl))) AS score
		FROM p CROSS JOIN st
		GROUP BY p.chunk_id ORDER BY score DESC, p.chunk_id LIMIT $5`, args...).Query(func(rows pgx.Rows) error {
		res, err := collectRanked(rows)
		if err != nil {
			return fmt.Errorf("bm25: %w", err)
		}
		*out = res
		return nil
	})
}

func collectRanked(rows pgx.Rows) ([]ranked, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (ranked, error) {
		var x ranked
		err := r.Scan(&x.id, &x.score)
		return x, err
	})
}

// queueVectorSearch queues the nearest chunks by cosine distance through the embedder's
// HNSW index on b, after setting ef_search; its rows land in *out, nearest first.
func (s *Service) queueVectorSearch(b *pgx.Batch, dealershipID string, qvec []float32, docFilter []string, limit int, out *[]ranked) {
	// pgvector's cost estimate grows with ef_search, and from about ef_search 200 at
	// 10,000 chunks the planner prefers an exact sequential scan, which at 100,000
	// chunks costs more than 100 ms; enable_seqscan is off for the vector query only.
	b.Queue(`SELECT set_config('hnsw.ef_search', $1, true), set_config('hnsw.iterative_scan', 'relaxed_order', true),
		set_config('enable_seqscan', 'off', true)`,
		strconv.Itoa(max(s.ranking.EfSearch, limit))).Exec(func(pgconn.CommandTag) error { return nil })
	filter := ""
	args := []any{dealershipID, pgvector.NewVector(qvec).String(), limit}
	if docFilter != nil {
		filter = "AND document_id = ANY($4::uuid[])"
		args = append(args, docFilter)
	}
	// The embedder id and dimension are inlined (validated in New) so that the planner
	// can match the partial HNSW index, whose expression is embedding::vector(dims).
	cast := fmt.Sprintf("vector(%d)", s.cfg.Embedder.Dims())
	b.Queue(`SELECT id::text, embedding::`+cast+` <=> $2::`+cast+` AS d FROM knowledge_chunks
		WHERE dealership_id = $1 AND embedder = '`+s.cfg.Embedder.ID()+`' `+filter+`
		ORDER BY embedding::`+cast+` <=> $2::`+cast+` LIMIT $3`, args...).Query(func(rows pgx.Rows) error {
		res, err := collectRanked(rows)
		if err != nil {
			return fmt.Errorf("vector search: %w", err)
		}
		// relaxed_order may return slightly out of order; restore it.
		sort.SliceStable(res, func(i, j int) bool { return res[i].score < res[j].score })
		*out = res
		return nil
	})
	b.Queue(`SELECT set_config('enable_seqscan', 'on', true)`).Exec(func(pgconn.CommandTag) error { return nil })
}

// fuse combines the rankings with weighted reciprocal rank fusion.
func fuse(lex, vec []ranked, rc RankingConfig) []ranked {
	scores := map[string]float64{}
	for i, r := range lex {
		scores[r.id] += rc.LexicalWeight / (rc.RRFK + float64(i+1))
	}
	for i, r := range vec {
		scores[r.id] += rc.VectorWeight / (rc.RRFK + float64(i+1))
	}
	out := make([]ranked, 0, len(scores))
	for id, sc := range scores {
		out = append(out, ranked{id: id, score: sc})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].score != out[j].score {
			return out[i].score > out[j].score
		}
		return out[i].id < out[j].id
	})
	return out
}

func (s *Service) loadResults(ctx context.Context, tx pgx.Tx, dealershipID string, fused []ranked) ([]*knowledgev1.SearchResult, error) {
	ids := make([]string, len(fused))
	for i, f := range fused {
		ids[i] = f.id
	}
	rows, err := tx.Query(ctx, `SELECT c.id::text, c.document_id::text, d.title, c.text, c.page, c.section
		FROM knowledge_chunks c JOIN knowledge_documents d ON d.id = c.document_id
		WHERE c.id = ANY($1::uuid[]) AND c.dealership_id = $2`, ids, dealershipID)
	if err != nil {
		return nil, fmt.Errorf("load results: %w", err)
	}
	byID := map[string]*knowledgev1.SearchResult{}
	for rows.Next() {
		var r knowledgev1.SearchResult
		var page *int32
		var section *string
		if err := rows.Scan(&r.ChunkId, &r.DocumentId, &r.Title, &r.Text, &page, &section); err != nil {
			rows.Close()
			return nil, fmt.Errorf("load results: %w", err)
		}
		r.Page, r.Section = page, section
		byID[r.ChunkId] = &r
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load results: %w", err)
	}
	out := make([]*knowledgev1.SearchResult, 0, len(fused))
	for _, f := range fused {
		if r, ok := byID[f.id]; ok {
			r.Score = f.score
			out = append(out, r)
		}
	}
	return out, nil
}

// WithRanking returns a Service that shares everything with s but ranks with r; for
// evaluation and tuning over one ingested corpus.
func (s *Service) WithRanking(r RankingConfig) *Service {
	c := &Service{cfg: s.cfg, log: s.log, read: s.read, ranking: r.withDefaults(), hooks: s.hooks}
	return c
}

// Ranking returns the ranking configuration in force, defaults applied.
func (s *Service) Ranking() RankingConfig { return s.ranking }
