package knowledge

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pgvector/pgvector-go"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/avatar-fi/avatar/core/internal/validate"
	knowledgev1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/knowledge/v1"
)

// The write path's repository: every SQL statement of this package, in the order a
// document meets them. Documents, versions and originals (uploads, reads, imports);
// the ingest jobs' reads and progress; the search index's write side (chunks, posting
// list, statistics, document frequencies, posting floors); deletes; re-embedding;
// webhooks. The read path's statements are in search/sql.go; the schema is in
// core/internal/store/migrations. Every function runs in the caller's tenant
// transaction unless it takes a pool.

// ---- Documents ----

// document is a knowledge_documents row joined with its latest version.
type document struct {
	ID, DealershipID, Title, Filename string
	Tags                              []string
	Status                            knowledgev1.DocumentStatus
	FailureReason                     string
	LatestVersion, ActiveVersion      int32
	ChunkCount                        int32
	Stage                             knowledgev1.IngestStage
	Percent                           int32
	SHA256, ContentType               string
	SizeBytes                         int64
	CreatedAt, UpdatedAt              time.Time
}

func (d document) proto() *knowledgev1.Document {
	return &knowledgev1.Document{
		Id: d.ID, DealershipId: d.DealershipID, Title: d.Title, Filename: d.Filename,
		ContentType: d.ContentType, Status: d.Status, FailureReason: d.FailureReason,
		Sha256: d.SHA256, SizeBytes: d.SizeBytes, Version: d.LatestVersion, ChunkCount: d.ChunkCount,
		Tags: d.Tags, CreateTime: timestamppb.New(d.CreatedAt), UpdateTime: timestamppb.New(d.UpdatedAt),
	}
}

const documentColumns = `d.id::text, d.dealership_id::text, d.title, d.filename, d.tags, d.status, d.failure_reason,
	d.latest_version, d.active_version, d.chunk_count, d.stage, d.percent, v.sha256, v.content_type, v.size_bytes,
	d.created_at, d.updated_at`

const documentFrom = ` FROM knowledge_documents d JOIN knowledge_document_versions v ON v.document_id = d.id AND v.version = d.latest_version `

func scanDocument(row pgx.Row) (document, error) {
	var d document
	var status, stage int16
	var pct int16
	err := row.Scan(&d.ID, &d.DealershipID, &d.Title, &d.Filename, &d.Tags, &status, &d.FailureReason,
		&d.LatestVersion, &d.ActiveVersion, &d.ChunkCount, &stage, &pct, &d.SHA256, &d.ContentType, &d.SizeBytes,
		&d.CreatedAt, &d.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, ErrNotFound
	}
	if err != nil {
		return d, fmt.Errorf("scan document: %w", err)
	}
	d.Status, d.Stage, d.Percent = knowledgev1.DocumentStatus(status), knowledgev1.IngestStage(stage), int32(pct)
	if d.Tags == nil {
		d.Tags = []string{}
	}
	return d, nil
}

// getDocument reads one document (ErrNotFound when it is not the dealership's), with
// lock its row locked until the transaction ends.
func getDocument(ctx context.Context, tx pgx.Tx, dealershipID, id string, lock bool) (document, error) {
	if !validate.IsUUID(id) {
		return document{}, ErrNotFound
	}
	q := `SELECT ` + documentColumns + documentFrom + ` WHERE d.id = $1 AND d.dealership_id = $2`
	if lock {
		q += ` FOR UPDATE OF d`
	}
	return scanDocument(tx.QueryRow(ctx, q, id, dealershipID))
}

// listDocuments returns up to limit of the dealership's documents, newest first, after
// the document after (none: from the newest), with the status (0: any).
func listDocuments(ctx context.Context, tx pgx.Tx, dealershipID string, limit int, after string, status knowledgev1.DocumentStatus) ([]document, error) {
	args := []any{dealershipID, limit, int16(status)}
	cursor := ""
	if after != "" {
		cursor = ` AND (d.created_at, d.id) < (SELECT created_at, id FROM knowledge_documents WHERE id = $4)`
		args = append(args, after)
	}
	rows, err := tx.Query(ctx, `SELECT `+documentColumns+documentFrom+` WHERE d.dealership_id = $1 AND ($3 = 0 OR d.status = $3)`+cursor+`
			ORDER BY d.created_at DESC, d.id DESC LIMIT $2`, args...)
	if err != nil {
		return nil, fmt.Errorf("list documents: %w", err)
	}
	defer rows.Close()
	var out []document
	for rows.Next() {
		d, err := scanDocument(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list documents: %w", err)
	}
	return out, nil
}

// ---- Uploads and imports ----

// insertOriginal stores an original once per dealership and SHA-256.
func insertOriginal(ctx context.Context, tx pgx.Tx, dealershipID, sha string, data []byte) error {
	if _, err := tx.Exec(ctx, `INSERT INTO knowledge_blobs (dealership_id, sha256, size_bytes, content) VALUES ($1, $2, $3, $4)
		ON CONFLICT (dealership_id, sha256) DO NOTHING`, dealershipID, sha, len(data), data); err != nil {
		return fmt.Errorf("store original: %w", err)
	}
	return nil
}

// findDuplicate returns the id of the dealership's document whose latest version has
// the SHA-256, or "" when there is none.
func findDuplicate(ctx context.Context, tx pgx.Tx, dealershipID, sha string) (string, error) {
	var id string
	err := tx.QueryRow(ctx, `SELECT d.id::text FROM knowledge_documents d JOIN knowledge_document_versions v
			ON v.document_id = d.id AND v.version = d.latest_version WHERE d.dealership_id = $1 AND v.sha256 = $2 LIMIT 1`,
		dealershipID, sha).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("look up duplicate: %w", err)
	}
	return id, nil
}

// insertDocument creates a PENDING document, queued, and returns its id; its first
// version is insertVersion's.
func insertDocument(ctx context.Context, tx pgx.Tx, dealershipID, title, filename string, tags []string) (string, error) {
	var id string
	if err := tx.QueryRow(ctx, `INSERT INTO knowledge_documents (dealership_id, title, filename, tags, status, stage)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id::text`, dealershipID, title, filename, tags,
		int16(knowledgev1.DocumentStatus_DOCUMENT_STATUS_PENDING), int16(knowledgev1.IngestStage_INGEST_STAGE_QUEUED)).Scan(&id); err != nil {
		return "", fmt.Errorf("insert document: %w", err)
	}
	return id, nil
}

// insertVersion adds a PENDING version of a document, whose original (stored by
// insertOriginal) has the SHA-256, media type and size.
func insertVersion(ctx context.Context, tx pgx.Tx, dealershipID, documentID string, version int32, sha, contentType string, size int) error {
	if _, err := tx.Exec(ctx, `INSERT INTO knowledge_document_versions (document_id, version, dealership_id, sha256, content_type, size_bytes, status)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, documentID, version, dealershipID, sha, contentType, size,
		int16(knowledgev1.DocumentStatus_DOCUMENT_STATUS_PENDING)); err != nil {
		return fmt.Errorf("insert version: %w", err)
	}
	return nil
}

// queueVersion makes version the document's latest, PENDING and queued, with the title,
// filename and tags; the active version, if any, stays searchable.
func queueVersion(ctx context.Context, tx pgx.Tx, dealershipID, documentID string, version int32, title, filename string, tags []string) error {
	if _, err := tx.Exec(ctx, `UPDATE knowledge_documents SET latest_version = $3, status = $4, failure_reason = '', stage = $5, percent = 0,
			title = $6, filename = $7, tags = $8, updated_at = now() WHERE id = $1 AND dealership_id = $2`,
		documentID, dealershipID, version, int16(knowledgev1.DocumentStatus_DOCUMENT_STATUS_PENDING), int16(knowledgev1.IngestStage_INGEST_STAGE_QUEUED),
		title, filename, tags); err != nil {
		return fmt.Errorf("update document: %w", err)
	}
	return nil
}

// insertImported creates a text/plain document and its first version, PROCESSING at
// the writing stage (Loader.Import writes its chunks in the same transaction), and
// returns its id.
func insertImported(ctx context.Context, tx pgx.Tx, dealershipID, title, filename string, tags []string, sha string, size int) (string, error) {
	var id string
	if err := tx.QueryRow(ctx, `WITH d AS (
			INSERT INTO knowledge_documents (dealership_id, title, filename, tags, status, stage)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id
		), v AS (
			INSERT INTO knowledge_document_versions (document_id, version, dealership_id, sha256, content_type, size_bytes, status)
			SELECT d.id, 1, $1, $7, 'text/plain', $8, $5 FROM d
		)
		SELECT id::text FROM d`, dealershipID, title, filename, tags,
		int16(knowledgev1.DocumentStatus_DOCUMENT_STATUS_PROCESSING), int16(knowledgev1.IngestStage_INGEST_STAGE_WRITING),
		sha, size).Scan(&id); err != nil {
		return "", fmt.Errorf("insert document: %w", err)
	}
	return id, nil
}

// ---- Ingest jobs ----

// loadJob reads, in one round trip, a job's document and its version's original (media
// type and bytes), and records the job's first stage (EXTRACTING, 5 %, PROCESSING)
// unless a newer version has taken over the document. It returns ErrNotFound when the
// document or the version is gone.
func loadJob(ctx context.Context, tx pgx.Tx, dealershipID, documentID string, version int32) (doc document, contentType string, data []byte, err error) {
	var b pgx.Batch
	b.Queue(`SELECT `+documentColumns+documentFrom+` WHERE d.id = $1 AND d.dealership_id = $2`, documentID, dealershipID).
		QueryRow(func(r pgx.Row) error {
			var err error
			doc, err = scanDocument(r)
			return err
		})
	b.Queue(`SELECT v.content_type, b.content FROM knowledge_document_versions v
		JOIN knowledge_blobs b ON b.dealership_id = v.dealership_id AND b.sha256 = v.sha256
		WHERE v.document_id = $1 AND v.version = $2 AND v.dealership_id = $3`, documentID, version, dealershipID).
		QueryRow(func(r pgx.Row) error {
			err := r.Scan(&contentType, &data)
			if errors.Is(err, pgx.ErrNoRows) {
				return ErrNotFound
			}
			if err != nil {
				return fmt.Errorf("load original: %w", err)
			}
			return nil
		})
	b.Queue(`UPDATE knowledge_documents SET status = $4, stage = $5, percent = $6, updated_at = now()
		WHERE id = $1 AND dealership_id = $2 AND latest_version = $3 AND active_version < $3`,
		documentID, dealershipID, version, int16(knowledgev1.DocumentStatus_DOCUMENT_STATUS_PROCESSING),
		int16(knowledgev1.IngestStage_INGEST_STAGE_EXTRACTING), 5).
		Exec(func(pgconn.CommandTag) error { return nil })
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		return document{}, "", nil, err
	}
	return doc, contentType, data, nil
}

// markFailed records a version's failure; the active version, if any, stays searchable.
// It reports whether the document's visible status changed (false when the version was
// superseded or the document is gone).
func markFailed(ctx context.Context, tx pgx.Tx, dealershipID, documentID string, version int32, reason string) (bool, error) {
	if _, err := tx.Exec(ctx, `UPDATE knowledge_document_versions SET status = $3, failure_reason = $4 WHERE document_id = $1 AND version = $2`,
		documentID, version, int16(knowledgev1.DocumentStatus_DOCUMENT_STATUS_FAILED), reason); err != nil {
		return false, fmt.Errorf("mark version failed: %w", err)
	}
	tag, err := tx.Exec(ctx, `UPDATE knowledge_documents SET status = $4, failure_reason = $5, percent = 100, updated_at = now()
		WHERE id = $1 AND dealership_id = $2 AND latest_version = $3 AND active_version < $3`,
		documentID, dealershipID, version, int16(knowledgev1.DocumentStatus_DOCUMENT_STATUS_FAILED), reason)
	if err != nil {
		return false, fmt.Errorf("mark failed: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// ---- The search index: chunks, postings, statistics ----

// chunkRow is a chunk ready to write.
type chunkRow struct {
	Ord     int
	Text    string
	Page    int
	Section string
	Vector  []float32
}

// versionWrite is one document version's chunks, ready to replace the document's
// searchable chunks.
type versionWrite struct {
	DocumentID string
	Version    int32
	Rows       []chunkRow
}

// writeResult is what the write of one version changed.
type writeResult struct {
	// Skipped is set when the version was not written: it is already active, a newer
	// upload superseded it, the document is gone, or the same batch writes it already.
	Skipped   bool
	KBVersion int64
	Chunks    int
	// Doc is the document as the write left it (READY).
	Doc document
}

// writeVersions replaces, in tx, the searchable chunks of each document in ws with those
// of its version: the old versions stay searchable until tx commits. A version that is
// already active, was superseded by a newer upload, or whose document is gone is
// skipped (its result says so), which makes redelivered jobs idempotent. The corpus
// statistics and document frequencies change once for the whole batch, last: the
// documents are locked in id order, then the dealership's statistics row (held by the
// transaction until it ends), then its term rows in lexeme order, so concurrent writers
// of a dealership cannot deadlock, and the statistics row stays unlocked while the
// chunks are written.
//
// keep is Config.KeepPostings: above 0, postings of a lexeme that already has keep of
// them are written only above the lexeme's floor, and floors are kept up to date.
func writeVersions(ctx context.Context, tx pgx.Tx, dealershipID, embedderID string, keep int, ws []versionWrite) ([]writeResult, error) {
	res := make([]writeResult, len(ws))
	docs, err := lockDocuments(ctx, tx, dealershipID, ws, res)
	if err != nil {
		return nil, err
	}
	plan, err := planWrites(ws, docs, res)
	if err != nil {
		return nil, err
	}
	if len(plan.taken) == 0 {
		return res, nil
	}
	var (
		b          pgx.Batch
		old, added indexCounts
		updated    = make(map[string]time.Time, len(plan.taken))
	)
	queueDeleteChunks(&b, dealershipID, plan.ready.ids, &old)
	queueInsertChunks(&b, dealershipID, embedderID, keep, &plan.chunks, &added)
	queueMarkReady(&b, dealershipID, &plan.ready, updated)
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		return nil, err
	}
	// The statistics go last: from there to the commit, other writers of the
	// dealership wait on its knowledge_stats row.
	d := statsDelta{chunks: int64(len(plan.chunks.ids)) - old.chunks, tokens: added.tokens - old.tokens, terms: newTermDelta(added.terms, old.terms), keep: keep}
	kb, err := d.apply(ctx, tx, dealershipID)
	if err != nil {
		return nil, err
	}
	for _, i := range plan.taken {
		w := ws[i]
		doc := docs[w.DocumentID]
		doc.Status, doc.FailureReason, doc.ActiveVersion = knowledgev1.DocumentStatus_DOCUMENT_STATUS_READY, "", w.Version
		doc.ChunkCount, doc.Stage, doc.Percent, doc.UpdatedAt = int32(len(w.Rows)), knowledgev1.IngestStage_INGEST_STAGE_DONE, 100, updated[w.DocumentID]
		res[i] = writeResult{KBVersion: kb, Chunks: len(w.Rows), Doc: doc}
	}
	return res, nil
}

// lockDocuments locks the documents of ws in id order and returns them by id; a write
// whose id is not a UUID is marked skipped in res.
func lockDocuments(ctx context.Context, tx pgx.Tx, dealershipID string, ws []versionWrite, res []writeResult) (map[string]document, error) {
	ids := make([]string, 0, len(ws))
	for i, w := range ws {
		if !validate.IsUUID(w.DocumentID) {
			res[i].Skipped = true
			continue
		}
		ids = append(ids, w.DocumentID)
	}
	docs := make(map[string]document, len(ids))
	if len(ids) == 0 {
		return docs, nil
	}
	rows, err := tx.Query(ctx, `SELECT `+documentColumns+documentFrom+` WHERE d.id = ANY($1::uuid[]) AND d.dealership_id = $2
			ORDER BY d.id FOR UPDATE OF d`, ids, dealershipID)
	if err != nil {
		return nil, fmt.Errorf("lock documents: %w", err)
	}
	for rows.Next() {
		d, err := scanDocument(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		docs[d.ID] = d
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lock documents: %w", err)
	}
	return docs, nil
}

// writePlan is what writeVersions writes: the versions taken and their chunks, as the
// columns of the statements' unnest.
type writePlan struct {
	taken  []int // indexes into ws of the versions written
	ready  readyColumns
	chunks chunkColumns
}

// readyColumns are the documents a write makes READY: id, version and chunk count.
type readyColumns struct {
	ids      []string
	versions []int32
	chunks   []int32
}

// chunkColumns are the chunks a write inserts, column by column.
type chunkColumns struct {
	ids                   []uuid.UUID
	docs                  []string
	versions, ords, pages []int32
	texts, sections, vecs []string
}

// planWrites takes the versions of ws to write, in order: not skipped already, their
// document found, not yet active, still the latest upload, and the first of their
// document in the batch; the others are marked skipped in res. Chunk ids are new
// UUIDv7s, time-ordered, so that the postings' chunk index (migration 0013) grows at
// one end.
func planWrites(ws []versionWrite, docs map[string]document, res []writeResult) (writePlan, error) {
	var (
		p    writePlan
		seen = make(map[string]bool, len(ws))
	)
	for i, w := range ws {
		d, ok := docs[w.DocumentID]
		if res[i].Skipped || !ok || seen[w.DocumentID] || d.ActiveVersion >= w.Version || d.LatestVersion != w.Version {
			res[i].Skipped = true
			continue
		}
		seen[w.DocumentID] = true
		p.taken = append(p.taken, i)
		p.ready.ids, p.ready.versions, p.ready.chunks = append(p.ready.ids, w.DocumentID), append(p.ready.versions, w.Version), append(p.ready.chunks, int32(len(w.Rows)))
		c := &p.chunks
		for _, r := range w.Rows {
			id, err := uuid.NewV7()
			if err != nil {
				return writePlan{}, fmt.Errorf("chunk id: %w", err)
			}
			c.ids, c.docs, c.versions = append(c.ids, id), append(c.docs, w.DocumentID), append(c.versions, w.Version)
			c.ords, c.pages = append(c.ords, int32(r.Ord)), append(c.pages, int32(r.Page))
			c.texts, c.sections = append(c.texts, r.Text), append(c.sections, r.Section)
			c.vecs = append(c.vecs, pgvector.NewVector(r.Vector).String())
		}
	}
	return p, nil
}

// indexCounts is what a set of chunks counts for in the statistics: chunks, tokens and,
// per lexeme, chunks.
type indexCounts struct {
	chunks, tokens int64
	terms          termCounts
}

// termCounts is, per lexeme, a number of chunks (parallel slices).
type termCounts struct {
	terms  []string
	counts []int64
}

// queueDeleteChunks queues on b the delete of the documents' chunks; their postings go
// with them (trigger knowledge_chunks_drop_postings), and what they counted lands in
// *old, for the statistics and document frequencies.
func queueDeleteChunks(b *pgx.Batch, dealershipID string, documentIDs []string, old *indexCounts) {
	b.Queue(`WITH d AS (DELETE FROM knowledge_chunks WHERE document_id = ANY($1::uuid[]) AND dealership_id = $2 RETURNING token_count, tsv),
			t AS (SELECT x.lexeme AS term, count(*) AS n FROM d, unnest(d.tsv) x GROUP BY x.lexeme)
		SELECT (SELECT count(*) FROM d), (SELECT coalesce(sum(token_count), 0) FROM d),
			(SELECT coalesce(array_agg(term), '{}') FROM t), (SELECT coalesce(array_agg(n), '{}') FROM t)`,
		documentIDs, dealershipID).QueryRow(func(r pgx.Row) error {
		if err := r.Scan(&old.chunks, &old.tokens, &old.terms.terms, &old.terms.counts); err != nil {
			return fmt.Errorf("delete old chunks: %w", err)
		}
		return nil
	})
}

// queueInsertChunks queues on b the one statement that writes the chunks and their
// postings; the tokens and, per lexeme, the chunks it wrote land in *added (its chunks
// field is left alone). The posting rows come from the inserted rows' tsvectors, so
// the chunks are not read back. A posting's impact (its BM25 weight without idf, see
// migration 0012) uses the dealership's average chunk length as it stands, or the
// chunk's own length for the first document. With pruning on (keep > 0), a posting at
// or below its term's floor is not written (migration 0014); the document frequencies
// count every chunk all the same. The floors are read once per statement, all of the
// dealership's at once (a partial index holds the few thousand lexemes that have one)
// and hash-joined: a lookup per posting cost as much as the pruning saved. Postings go
// in term order, so that those of one term, across the batch's chunks, land on the
// same leaf of the search's term index one after the other. u is MATERIALIZED:
// inlined, its to_tsvector ran twice per chunk (once for the stored tsvector, once for
// the token count), the statement's costliest call.
func queueInsertChunks(b *pgx.Batch, dealershipID, embedderID string, keep int, c *chunkColumns, added *indexCounts) {
	b.Queue(`
		WITH st AS (
			SELECT greatest(total_tokens::float8 / greatest(chunk_count, 1), 1) AS avgdl FROM knowledge_stats WHERE dealership_id = $1 AND chunk_count > 0
		), u AS MATERIALIZED (
			SELECT u.id, u.doc, u.version, u.ord, u.text, NULLIF(u.page, 0) AS page, NULLIF(u.section, '') AS section, u.emb,
				to_tsvector('english', u.section || ' ' || u.text) AS tsv
			FROM unnest($3::uuid[], $4::uuid[], $5::int[], $6::int[], $7::text[], $8::int[], $9::text[], $10::text[])
				AS u(id, doc, version, ord, text, page, section, emb)
		), ins AS (
			INSERT INTO knowledge_chunks (id, dealership_id, document_id, version, ord, text, page, section, token_count, embedder, embedding, tsv)
			SELECT u.id, $1, u.doc, u.version, u.ord, u.text, u.page, u.section,
				(SELECT coalesce(sum(cardinality(x.positions)), 0) FROM unnest(u.tsv) x), $2, u.emb::vector, u.tsv
			FROM u
			RETURNING id, document_id, token_count, tsv
		), p AS (
			SELECT ins.id, x.lexeme, ins.document_id, cardinality(x.positions) AS tf, ins.token_count AS dl,
				(cardinality(x.positions) / (cardinality(x.positions) + 0.9 * (0.6 + 0.4 * ins.token_count /
					coalesce((SELECT avgdl FROM st), greatest(ins.token_count, 1)))))::real AS impact
			FROM ins, unnest(ins.tsv) x
		), f AS MATERIALIZED (
			SELECT term, floor FROM knowledge_terms WHERE dealership_id = $1 AND floor > 0 AND $11::int > 0
		), post AS (
			INSERT INTO knowledge_postings (chunk_id, term, dealership_id, document_id, tf, dl, impact)
			SELECT p.id, p.lexeme, $1, p.document_id, p.tf, p.dl, p.impact
			FROM p LEFT JOIN f ON f.term = p.lexeme
			WHERE f.floor IS NULL OR p.impact > f.floor
			ORDER BY p.lexeme
		), t AS (
			SELECT lexeme AS term, count(*) AS n FROM p GROUP BY lexeme
		)
		SELECT (SELECT coalesce(sum(token_count), 0) FROM ins),
			(SELECT coalesce(array_agg(term), '{}') FROM t), (SELECT coalesce(array_agg(n), '{}') FROM t)`,
		dealershipID, embedderID, c.ids, c.docs, c.versions, c.ords, c.texts, c.pages, c.sections, c.vecs, keep).QueryRow(func(r pgx.Row) error {
		if err := r.Scan(&added.tokens, &added.terms.terms, &added.terms.counts); err != nil {
			return fmt.Errorf("insert chunks: %w", err)
		}
		return nil
	})
}

// queueMarkReady queues on b the marking of the versions and their documents as READY
// (active version, chunk count, stage DONE); each document's new updated_at lands in
// updated.
func queueMarkReady(b *pgx.Batch, dealershipID string, r *readyColumns, updated map[string]time.Time) {
	b.Queue(`WITH u AS (
			SELECT * FROM unnest($3::uuid[], $4::int[], $5::int[]) AS u(id, version, chunks)
		), v AS (
			UPDATE knowledge_document_versions dv SET status = $1, failure_reason = '' FROM u WHERE dv.document_id = u.id AND dv.version = u.version
		)
		UPDATE knowledge_documents d SET status = $1, failure_reason = '', active_version = u.version,
			chunk_count = u.chunks, stage = $2, percent = 100, updated_at = now()
		FROM u WHERE d.id = u.id AND d.dealership_id = $6 RETURNING d.id::text, d.updated_at`,
		int16(knowledgev1.DocumentStatus_DOCUMENT_STATUS_READY), int16(knowledgev1.IngestStage_INGEST_STAGE_DONE),
		r.ids, r.versions, r.chunks, dealershipID).Query(func(rows pgx.Rows) error {
		var (
			id string
			at time.Time
		)
		_, err := pgx.ForEachRow(rows, []any{&id, &at}, func() error {
			updated[id] = at
			return nil
		})
		if err != nil {
			return fmt.Errorf("mark ready: %w", err)
		}
		return nil
	})
}

// statsDelta is a pending change of a dealership's corpus statistics (knowledge_stats)
// and document frequencies (knowledge_terms).
type statsDelta struct {
	chunks, tokens int64
	terms          termDelta
	// keep is Config.KeepPostings; above 0 the floors of the changed terms that are
	// due are refreshed (floorStale, queueRefreshFloors).
	keep int
}

// apply bumps the statistics and the knowledge-base version (locking the dealership's
// knowledge_stats row until the transaction ends), then applies the document
// frequencies; it returns the new knowledge-base version.
func (d *statsDelta) apply(ctx context.Context, tx pgx.Tx, dealershipID string) (int64, error) {
	var (
		b  pgx.Batch
		kb int64
	)
	queueBumpStats(&b, dealershipID, d.chunks, d.tokens, &kb)
	var stale []string
	queueTermDelta(&b, dealershipID, d.terms, d.keep, &stale)
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		return 0, fmt.Errorf("update knowledge statistics: %w", err)
	}
	// Floors are computed again only for the few lexemes whose frequency moved enough
	// (usually none): a refresh statement over every changed lexeme cost more than the
	// pruning saved in a small dealership.
	if len(stale) > 0 {
		var b pgx.Batch
		queueRefreshFloors(&b, dealershipID, stale, d.keep, nil)
		if err := tx.SendBatch(ctx, &b).Close(); err != nil {
			return 0, fmt.Errorf("refresh posting floors: %w", err)
		}
	}
	return kb, nil
}

// termDelta is a change of document frequencies: lexeme → chunks added (or removed,
// when negative).
type termDelta map[string]int64

func newTermDelta(plus, minus termCounts) termDelta {
	d := make(termDelta, len(plus.terms)+len(minus.terms))
	d.add(plus, minus)
	return d
}

// add adds the counts of plus and subtracts those of minus.
func (d termDelta) add(plus, minus termCounts) {
	for i, t := range plus.terms {
		d[t] += plus.counts[i]
	}
	for i, t := range minus.terms {
		d[t] -= minus.counts[i]
	}
}

// queueTermDelta queues on b the update of the dealership's document frequencies
// (knowledge_terms) by d. Run it after bumpStats in the same transaction: the
// dealership's knowledge_stats row is then locked, so concurrent writers of one
// dealership update the term rows one after another and cannot deadlock; the rows are
// also written in lexeme order.
//
// With keep above 0, the lexemes whose posting floor is due for a refresh (see
// queueRefreshFloors) land in *stale, in order.
func queueTermDelta(b *pgx.Batch, dealershipID string, d termDelta, keep int, stale *[]string) {
	terms := make([]string, 0, len(d))
	for t, n := range d {
		if n != 0 {
			terms = append(terms, t)
		}
	}
	if len(terms) == 0 {
		return
	}
	slices.Sort(terms)
	counts := make([]int64, len(terms))
	for i, t := range terms {
		counts[i] = d[t]
	}
	b.Queue(`WITH up AS (
			INSERT INTO knowledge_terms (dealership_id, term, df)
			SELECT $1, u.term, u.n FROM unnest($2::text[], $3::bigint[]) WITH ORDINALITY AS u(term, n, i) ORDER BY u.i
			ON CONFLICT (dealership_id, term) DO UPDATE SET df = knowledge_terms.df + excluded.df
			RETURNING term, df, floor, floor_df
		)
		SELECT coalesce(array_agg(term ORDER BY term), '{}') FROM up WHERE $4::int > 0 AND `+floorStale("$4"),
		dealershipID, terms, counts, keep).QueryRow(func(r pgx.Row) error {
		var st []string
		if err := r.Scan(&st); err != nil {
			return fmt.Errorf("update document frequencies: %w", err)
		}
		if stale != nil {
			*stale = st
		}
		return nil
	})
}

// floorStale is the condition, on a knowledge_terms row's df, floor and floor_df, that
// its posting floor is due for a refresh (see queueRefreshFloors), keep being the
// query parameter keepParam.
func floorStale(keepParam string) string {
	return `((df >= ` + keepParam + `::int AND (floor_df = 0 OR df * 4 >= floor_df * 5)) OR (floor > 0 AND df * 4 <= floor_df * 3))`
}

// queueRefreshFloors queues on b the refresh of the posting floors (migration 0014) of
// the dealership's lexemes in terms (all of them when terms is nil), keeping the keep
// highest-impact postings of each: a lexeme's floor becomes the impact of its keep-th
// best posting once it is in keep chunks, again each time its document frequency has
// grown by a quarter (new postings above the floor push the keep-th best up), and
// again when the frequency has fallen by a quarter (the floor may then drop, or go
// back to 0 if fewer than keep postings are left). Run it after queueTermDelta, with the
// term rows locked in lexeme order. The number of floors set lands in *n when n is not
// nil.
//
// Reading keep index entries costs well under a millisecond per lexeme, and a lexeme
// pays it only when its frequency moves by a quarter, so the refresh adds little to the
// writes that prune about half of the postings at 100,000 chunks.
func queueRefreshFloors(b *pgx.Batch, dealershipID string, terms []string, keep int, n *int64) {
	filter := "AND k.term = ANY($3::text[])"
	args := []any{dealershipID, keep, terms}
	if terms == nil {
		filter, args = "", args[:2]
	}
	q := b.Queue(`UPDATE knowledge_terms k SET floor = coalesce((
			SELECT p.impact FROM knowledge_postings p WHERE p.dealership_id = k.dealership_id AND p.term = k.term
			ORDER BY p.impact DESC OFFSET $2::int - 1 LIMIT 1), 0), floor_df = k.df
		WHERE k.dealership_id = $1 `+filter+` AND `+floorStale("$2"), args...)
	q.Exec(func(tag pgconn.CommandTag) error {
		if n != nil {
			*n = tag.RowsAffected()
		}
		return nil
	})
}

// refreshAllFloors refreshes the posting floors of every lexeme of the dealership that
// is due (see queueRefreshFloors) and returns how many it set. It takes the dealership's
// statistics row first, as the writers do: they wait meanwhile.
func refreshAllFloors(ctx context.Context, tx pgx.Tx, dealershipID string, keep int) (int64, error) {
	var (
		b pgx.Batch
		n int64
	)
	b.Queue(`SELECT 1 FROM knowledge_stats WHERE dealership_id = $1 FOR UPDATE`, dealershipID).Exec(func(pgconn.CommandTag) error { return nil })
	queueRefreshFloors(&b, dealershipID, nil, keep, &n)
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		return 0, fmt.Errorf("refresh posting floors: %w", err)
	}
	return n, nil
}

// bumpStats adjusts the dealership's corpus statistics and moves its knowledge-base
// version on by one, returning the new version.
func bumpStats(ctx context.Context, tx pgx.Tx, dealershipID string, dChunks, dTokens int64) (int64, error) {
	var (
		b  pgx.Batch
		kb int64
	)
	queueBumpStats(&b, dealershipID, dChunks, dTokens, &kb)
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		return 0, err
	}
	return kb, nil
}

// queueBumpStats queues bumpStats on b; the new version lands in *kb.
func queueBumpStats(b *pgx.Batch, dealershipID string, dChunks, dTokens int64, kb *int64) {
	b.Queue(`
		INSERT INTO knowledge_stats (dealership_id, chunk_count, total_tokens, kb_version) VALUES ($1, greatest($2, 0), greatest($3, 0), 1)
		ON CONFLICT (dealership_id) DO UPDATE SET chunk_count = greatest(knowledge_stats.chunk_count + $2, 0),
			total_tokens = greatest(knowledge_stats.total_tokens + $3, 0), kb_version = knowledge_stats.kb_version + 1
		RETURNING kb_version`, dealershipID, dChunks, dTokens).QueryRow(func(r pgx.Row) error {
		if err := r.Scan(kb); err != nil {
			return fmt.Errorf("update knowledge stats: %w", err)
		}
		return nil
	})
}

// ---- Deletes ----

// deleteDocument removes a document, its versions, chunks and postings, and the
// originals no other version references; it returns the new knowledge-base version.
// keep is Config.KeepPostings (the floors of its lexemes are refreshed).
func deleteDocument(ctx context.Context, tx pgx.Tx, dealershipID, id string, keep int) (int64, error) {
	if _, err := getDocument(ctx, tx, dealershipID, id, true); err != nil {
		return 0, err
	}
	var (
		n, tokens int64
		old       termCounts
	)
	if err := tx.QueryRow(ctx, `WITH c AS (SELECT token_count, tsv FROM knowledge_chunks WHERE document_id = $1 AND dealership_id = $2),
			t AS (SELECT x.lexeme AS term, count(*) AS n FROM c, unnest(c.tsv) x GROUP BY x.lexeme)
		SELECT (SELECT count(*) FROM c), (SELECT coalesce(sum(token_count), 0) FROM c),
			(SELECT coalesce(array_agg(term), '{}') FROM t), (SELECT coalesce(array_agg(n), '{}') FROM t)`,
		id, dealershipID).Scan(&n, &tokens, &old.terms, &old.counts); err != nil {
		return 0, fmt.Errorf("count chunks: %w", err)
	}
	rows, err := tx.Query(ctx, `DELETE FROM knowledge_document_versions WHERE document_id = $1 AND dealership_id = $2 RETURNING sha256`, id, dealershipID)
	if err != nil {
		return 0, fmt.Errorf("delete versions: %w", err)
	}
	shas, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, fmt.Errorf("delete versions: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM knowledge_documents WHERE id = $1 AND dealership_id = $2`, id, dealershipID); err != nil {
		return 0, fmt.Errorf("delete document: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM knowledge_blobs b WHERE b.dealership_id = $1 AND b.sha256 = ANY($2)
		AND NOT EXISTS (SELECT 1 FROM knowledge_document_versions v WHERE v.dealership_id = b.dealership_id AND v.sha256 = b.sha256)`,
		dealershipID, shas); err != nil {
		return 0, fmt.Errorf("delete originals: %w", err)
	}
	d := statsDelta{chunks: -n, tokens: -tokens, terms: newTermDelta(termCounts{}, old), keep: keep}
	return d.apply(ctx, tx, dealershipID)
}

// ---- Re-embedding ----

// documentRef names one document of one dealership.
type documentRef struct{ dealershipID, documentID string }

// staleEmbeddings returns every document, of every dealership, that has chunks
// embedded by another embedder than embedderID. It reads pool outside any tenant.
func staleEmbeddings(ctx context.Context, pool *pgxpool.Pool, embedderID string) ([]documentRef, error) {
	rows, err := pool.Query(ctx, `SELECT DISTINCT dealership_id::text, document_id::text FROM knowledge_chunks WHERE embedder <> $1`, embedderID)
	if err != nil {
		return nil, fmt.Errorf("find stale embeddings: %w", err)
	}
	refs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (documentRef, error) {
		var x documentRef
		err := r.Scan(&x.dealershipID, &x.documentID)
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("find stale embeddings: %w", err)
	}
	return refs, nil
}

// staleChunk is a chunk to embed again.
type staleChunk struct{ id, section, text string }

// staleChunks returns the document's chunks that another embedder than embedderID
// embedded.
func staleChunks(ctx context.Context, tx pgx.Tx, dealershipID, documentID, embedderID string) ([]staleChunk, error) {
	rows, err := tx.Query(ctx, `SELECT id::text, coalesce(section, ''), text FROM knowledge_chunks WHERE document_id = $1 AND dealership_id = $2 AND embedder <> $3`,
		documentID, dealershipID, embedderID)
	if err != nil {
		return nil, fmt.Errorf("load chunks: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (staleChunk, error) {
		var x staleChunk
		err := r.Scan(&x.id, &x.section, &x.text)
		return x, err
	})
}

// writeEmbeddings stores the chunks' new vectors (pgvector text), embedded by
// embedderID.
func writeEmbeddings(ctx context.Context, tx pgx.Tx, dealershipID string, chunkIDs, vecs []string, embedderID string) error {
	_, err := tx.Exec(ctx, `UPDATE knowledge_chunks c SET embedding = u.emb::vector, embedder = $3
		FROM unnest($1::uuid[], $2::text[]) AS u(id, emb) WHERE c.id = u.id AND c.dealership_id = $4`, chunkIDs, vecs, embedderID, dealershipID)
	return err
}

// ---- Webhooks ----

// deleteWebhook removes the dealership's webhook.
func deleteWebhook(ctx context.Context, tx pgx.Tx, dealershipID string) error {
	_, err := tx.Exec(ctx, `DELETE FROM knowledge_webhooks WHERE dealership_id = $1`, dealershipID)
	return err
}

// storeWebhook sets the dealership's webhook URL and sealed secret.
func storeWebhook(ctx context.Context, tx pgx.Tx, dealershipID, url string, sealed []byte) error {
	_, err := tx.Exec(ctx, `INSERT INTO knowledge_webhooks (dealership_id, url, secret) VALUES ($1, $2, $3)
			ON CONFLICT (dealership_id) DO UPDATE SET url = excluded.url, secret = excluded.secret, updated_at = now()`,
		dealershipID, url, string(sealed))
	if err != nil {
		return fmt.Errorf("store webhook: %w", err)
	}
	return nil
}

// loadWebhook returns the dealership's webhook URL and sealed secret ("" and nil when
// it has none).
func loadWebhook(ctx context.Context, tx pgx.Tx, dealershipID string) (url, sealed string, err error) {
	err = tx.QueryRow(ctx, `SELECT url, secret FROM knowledge_webhooks WHERE dealership_id = $1`, dealershipID).Scan(&url, &sealed)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", nil
	}
	return url, sealed, err
}
