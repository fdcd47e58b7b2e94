package knowledge

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/avatar-fi/avatar/core/internal/knowledge/chunk"
	"github.com/avatar-fi/avatar/core/internal/knowledge/extract"
	"github.com/avatar-fi/avatar/core/internal/store"
	knowledgev1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/knowledge/v1"
)

// ImportDocument is one plain-text document for Import.
type ImportDocument struct {
	// Title names the document; Filename defaults to Title + ".txt".
	Title, Filename string
	// Text is the document's content, read as text/plain.
	Text string
	// Tags label the document for filtered search.
	Tags []string
}

// ImportResult is what Import wrote.
type ImportResult struct {
	// DocumentIDs holds the new documents' ids, in input order.
	DocumentIDs []string
	// Chunks is the number of chunks written.
	Chunks int
}

// Import writes plain-text documents straight into the searchable knowledge base,
// bypassing the upload queue, for bulk loading (benchmarks, evaluation, seeding). In one
// tenant transaction for the whole call it stores each original and creates the
// document and its first version as Upload does, then extracts, chunks, embeds and
// writes the chunks with the ingest worker's own SQL (writeVersion). The documents are
// READY when it returns. Identical texts are not de-duplicated. It announces one
// knowledge-base change for the call and calls no webhook.
func (s *Service) Import(ctx context.Context, dealershipID string, docs []ImportDocument) (ImportResult, error) {
	type prepared struct {
		data []byte
		sha  string
		rows []chunkRow
	}
	ps := make([]prepared, len(docs))
	for i, d := range docs {
		data := []byte(d.Text)
		blocks, err := extract.Extract(ctx, "text/plain", data, s.cfg.Limits)
		if err != nil {
			return ImportResult{}, fmt.Errorf("import %q: %w", d.Title, err)
		}
		chunks := chunk.Split(blocks, s.cfg.Chunking)
		if len(chunks) == 0 {
			return ImportResult{}, fmt.Errorf("import %q: %w", d.Title, extract.ErrNoText)
		}
		rows, err := s.embedChunks(ctx, nil, chunks)
		if err != nil {
			return ImportResult{}, err
		}
		sum := sha256.Sum256(data)
		ps[i] = prepared{data: data, sha: hex.EncodeToString(sum[:]), rows: rows}
	}
	var res ImportResult
	var kb int64
	err := store.InTenant(ctx, s.cfg.Primary, dealershipID, func(tx pgx.Tx) error {
		ws := make([]versionWrite, len(docs))
		for i, d := range docs {
			p := ps[i]
			fn := d.Filename
			if fn == "" {
				fn = d.Title + ".txt"
			}
			tags := d.Tags
			if tags == nil {
				tags = []string{}
			}
			if _, err := tx.Exec(ctx, `INSERT INTO knowledge_blobs (dealership_id, sha256, size_bytes, content) VALUES ($1, $2, $3, $4)
				ON CONFLICT (dealership_id, sha256) DO NOTHING`, dealershipID, p.sha, len(p.data), p.data); err != nil {
				return fmt.Errorf("store original: %w", err)
			}
			var id string
			if err := tx.QueryRow(ctx, `WITH d AS (
					INSERT INTO knowledge_documents (dealership_id, title, filename, tags, status, stage)
					VALUES ($1, $2, $3, $4, $5, $6) RETURNING id
				), v AS (
					INSERT INTO knowledge_document_versions (document_id, version, dealership_id, sha256, content_type, size_bytes, status)
					SELECT d.id, 1, $1, $7, 'text/plain', $8, $5 FROM d
				)
				SELECT id::text FROM d`, dealershipID, d.Title, fn, tags,
				int16(knowledgev1.DocumentStatus_DOCUMENT_STATUS_PROCESSING), int16(knowledgev1.IngestStage_INGEST_STAGE_WRITING),
				p.sha, len(p.data)).Scan(&id); err != nil {
				return fmt.Errorf("insert document: %w", err)
			}
			ws[i] = versionWrite{DocumentID: id, Version: 1, Rows: p.rows}
		}
		// One write for the call: the chunks and postings in one statement, the
		// statistics and document frequencies once, at the end (the statistics row then
		// stays unlocked while the chunks are written, and the term rows are updated
		// once, not once per document).
		written, err := writeVersions(ctx, tx, dealershipID, s.cfg.Embedder.ID(), s.cfg.KeepPostings, ws)
		if err != nil {
			return err
		}
		for i, w := range written {
			if w.Skipped {
				return fmt.Errorf("import %q: document vanished", docs[i].Title)
			}
			res.DocumentIDs = append(res.DocumentIDs, ws[i].DocumentID)
			res.Chunks += w.Chunks
			kb = w.KBVersion
		}
		return nil
	})
	if err != nil {
		return ImportResult{}, fmt.Errorf("import: %w", err)
	}
	if len(docs) > 0 {
		s.changed(ctx, dealershipID, res.DocumentIDs[len(res.DocumentIDs)-1], kb)
	}
	return res, nil
}
