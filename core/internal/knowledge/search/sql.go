package search

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pgvector/pgvector-go"

	"github.com/avatar-fi/avatar/core/internal/store"
	knowledgev1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/knowledge/v1"
)

// Every SQL statement of the read path. The tables are written by the knowledge
// package's write path (its repo.go); the schema is in core/internal/store/migrations.

// EnsureVectorIndex creates, on pool (the primary: a replica cannot), the partial HNSW
// index that the vector query of emb's chunks uses, unless it exists. Its expression
// and predicate are the ones queueVectorSearch writes, so the planner can match them.
func EnsureVectorIndex(ctx context.Context, pool *pgxpool.Pool, emb Embedder) error {
	if err := CheckEmbedder(emb); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	id, dims := emb.ID(), emb.Dims()
	name := "knowledge_chunks_hnsw_" + strings.NewReplacer("-", "_", ".", "_").Replace(strings.ToLower(id))
	if len(name) > 63 {
		sum := sha256.Sum256([]byte(id))
		name = "knowledge_chunks_hnsw_" + hex.EncodeToString(sum[:8])
	}
	_, err := pool.Exec(ctx, fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON knowledge_chunks
		USING hnsw ((embedding::vector(%d)) vector_cosine_ops) WITH (m = 16, ef_construction = 64) WHERE embedder = '%s'`,
		pgx.Identifier{name}.Sanitize(), dims, id))
	if err != nil {
		return fmt.Errorf("create vector index for %s: %w", id, err)
	}
	return nil
}

// tagFilter returns the ids of the dealership's documents that carry every tag.
func tagFilter(ctx context.Context, tx pgx.Tx, dealershipID string, tags []string) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT id::text FROM knowledge_documents WHERE dealership_id = $1 AND tags @> $2`, dealershipID, tags)
	if err != nil {
		return nil, fmt.Errorf("tag filter: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("tag filter: %w", err)
	}
	return ids, nil
}

// queueBM25 queues the Okapi BM25 query over the posting list on b; its best
// r.Candidates rows land in *out. Document frequencies come from knowledge_terms and
// the average length from knowledge_stats, both maintained in the ingest transaction.
// Each query term contributes its r.TermPostings highest-impact postings (an index
// range scan on knowledge_postings_impact), scored exactly with the current statistics;
// with docFilter (tag-filtered), every posting of those documents.
func queueBM25(b *pgx.Batch, dealershipID, query string, r Ranking, docFilter []string, out *[]ranked) {
	var perTerm *int64
	if n := r.TermPostings; n > 0 && docFilter == nil {
		v := int64(n)
		perTerm = &v
	}
	filter := ""
	args := []any{dealershipID, query, r.K1, r.B, r.Candidates, perTerm}
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

// queueVectorSearch queues on b the r.Candidates nearest chunks to qvec by cosine
// distance through emb's HNSW index, after setting ef_search; its rows land in *out,
// nearest first.
func queueVectorSearch(b *pgx.Batch, emb Embedder, dealershipID string, qvec []float32, r Ranking, docFilter []string, out *[]ranked) {
	limit := r.Candidates
	// pgvector's cost estimate grows with ef_search, and from about ef_search 200 at
	// 10,000 chunks the planner prefers an exact sequential scan, which at 100,000
	// chunks costs more than 100 ms; enable_seqscan is off for the vector query only.
	b.Queue(`SELECT set_config('hnsw.ef_search', $1, true), set_config('hnsw.iterative_scan', 'relaxed_order', true),
		set_config('enable_seqscan', 'off', true)`,
		strconv.Itoa(max(r.EfSearch, limit))).Exec(func(pgconn.CommandTag) error { return nil })
	filter := ""
	args := []any{dealershipID, pgvector.NewVector(qvec).String(), limit}
	if docFilter != nil {
		filter = "AND document_id = ANY($4::uuid[])"
		args = append(args, docFilter)
	}
	// The embedder id and dimension are inlined (checked by CheckEmbedder) so that the
	// planner can match the partial HNSW index, whose expression is
	// embedding::vector(dims).
	cast := fmt.Sprintf("vector(%d)", emb.Dims())
	b.Queue(`SELECT id::text, embedding::`+cast+` <=> $2::`+cast+` AS d FROM knowledge_chunks
		WHERE dealership_id = $1 AND embedder = '`+emb.ID()+`' `+filter+`
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

func collectRanked(rows pgx.Rows) ([]ranked, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (ranked, error) {
		var x ranked
		err := r.Scan(&x.id, &x.score)
		return x, err
	})
}

// meanVector returns the mean of the chunks' emb vectors, or nil when none of them has
// one (they are being re-embedded).
func meanVector(ctx context.Context, tx pgx.Tx, emb Embedder, dealershipID string, chunkIDs []string) ([]float32, error) {
	cast := fmt.Sprintf("vector(%d)", emb.Dims())
	var mean *string
	if err := tx.QueryRow(ctx, `SELECT avg(embedding::`+cast+`)::text FROM knowledge_chunks
		WHERE id = ANY($1::uuid[]) AND dealership_id = $2 AND embedder = $3`, chunkIDs, dealershipID, emb.ID()).Scan(&mean); err != nil {
		return nil, fmt.Errorf("feedback vector: %w", err)
	}
	if mean == nil {
		return nil, nil
	}
	var m pgvector.Vector
	if err := m.Parse(*mean); err != nil {
		return nil, fmt.Errorf("feedback vector: %w", err)
	}
	return m.Slice(), nil
}

// loadResults reads the fused chunks with their documents' titles, in fused order with
// the fused scores; chunks deleted meanwhile are left out.
func loadResults(ctx context.Context, tx pgx.Tx, dealershipID string, fused []ranked) ([]*knowledgev1.SearchResult, error) {
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

// loadKBVersion reads the dealership's knowledge-base version (0 before its first
// write) from knowledge_stats.
func loadKBVersion(ctx context.Context, pool *pgxpool.Pool, dealershipID string) (int64, error) {
	var kb int64
	err := store.InTenant(ctx, pool, dealershipID, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT kb_version FROM knowledge_stats WHERE dealership_id = $1`, dealershipID).Scan(&kb)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("load knowledge version: %w", err)
	}
	return kb, nil
}
