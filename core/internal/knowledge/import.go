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
)

// Loader writes plain-text documents straight into a dealership's searchable knowledge
// base, bypassing the upload queue and the webhooks: bulk loading for benchmarks,
// evaluation and seeding. The RPC service never uses it. Build it with NewLoader; its
// methods are safe for concurrent use.
type Loader struct {
	s    *Service
	keep int // Config.KeepPostings of the writes; negative: every posting
}

// LoaderConfig configures a Loader.
type LoaderConfig struct {
	// KeepEveryPosting makes Import write every posting and set no posting floor, as a
	// negative Config.KeepPostings does. It is for a load made with the posting list's
	// impact index (knowledge_postings_impact) dropped, through which the floors are
	// computed: run RefreshPostingFloors once the index is built again. Default false:
	// Import prunes the posting list as the ingest workers do.
	KeepEveryPosting bool
}

// NewLoader returns a Loader writing with svc's configuration (chunking, embedder,
// extraction limits and, unless cfg says otherwise, posting pruning).
func NewLoader(svc *Service, cfg LoaderConfig) *Loader {
	l := &Loader{s: svc, keep: svc.cfg.KeepPostings}
	if cfg.KeepEveryPosting {
		l.keep = -1
	}
	return l
}

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

// Import writes the documents into the dealership's knowledge base. It first extracts,
// chunks and embeds every document; then, in one tenant transaction for the whole call,
// it stores each original and creates the document and its first version as Upload
// does, and writes the chunks with the ingest workers' own SQL (writeVersions), all
// documents in one statement. The documents are READY when it returns. Identical texts
// are not de-duplicated. It announces one knowledge-base change for the call and calls
// no webhook.
func (l *Loader) Import(ctx context.Context, dealershipID string, docs []ImportDocument) (ImportResult, error) {
	prepared, err := l.prepare(ctx, docs)
	if err != nil {
		return ImportResult{}, err
	}
	var (
		res ImportResult
		kb  int64
	)
	err = store.InTenant(ctx, l.s.cfg.Primary, dealershipID, func(tx pgx.Tx) error {
		var err error
		res, kb, err = l.write(ctx, tx, dealershipID, docs, prepared)
		return err
	})
	if err != nil {
		return ImportResult{}, fmt.Errorf("import: %w", err)
	}
	if len(docs) > 0 {
		l.s.changed(ctx, dealershipID, res.DocumentIDs[len(res.DocumentIDs)-1], kb)
	}
	return res, nil
}

// importPrepared is an ImportDocument extracted, chunked and embedded.
type importPrepared struct {
	data []byte
	sha  string
	rows []chunkRow
}

// prepare extracts, chunks and embeds each document, outside any transaction.
func (l *Loader) prepare(ctx context.Context, docs []ImportDocument) ([]importPrepared, error) {
	s := l.s
	ps := make([]importPrepared, len(docs))
	for i, d := range docs {
		data := []byte(d.Text)
		blocks, err := extract.Extract(ctx, "text/plain", data, s.cfg.Limits)
		if err != nil {
			return nil, fmt.Errorf("import %q: %w", d.Title, err)
		}
		chunks := chunk.Split(blocks, s.cfg.Chunking)
		if len(chunks) == 0 {
			return nil, fmt.Errorf("import %q: %w", d.Title, extract.ErrNoText)
		}
		rows, err := s.embedChunks(ctx, nil, chunks)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(data)
		ps[i] = importPrepared{data: data, sha: hex.EncodeToString(sum[:]), rows: rows}
	}
	return ps, nil
}

// write stores the originals and documents, then writes every document's chunks at
// once: the chunks and postings in one statement, the statistics and document
// frequencies once, at the end (the statistics row then stays unlocked while the chunks
// are written, and the term rows are updated once, not once per document). It returns
// the new knowledge-base version.
func (l *Loader) write(ctx context.Context, tx pgx.Tx, dealershipID string, docs []ImportDocument, ps []importPrepared) (ImportResult, int64, error) {
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
		if err := insertOriginal(ctx, tx, dealershipID, p.sha, p.data); err != nil {
			return ImportResult{}, 0, err
		}
		id, err := insertImported(ctx, tx, dealershipID, d.Title, fn, tags, p.sha, len(p.data))
		if err != nil {
			return ImportResult{}, 0, err
		}
		ws[i] = versionWrite{DocumentID: id, Version: 1, Rows: p.rows}
	}
	written, err := writeVersions(ctx, tx, dealershipID, l.s.cfg.Embedder.ID(), l.keep, ws)
	if err != nil {
		return ImportResult{}, 0, err
	}
	var (
		res ImportResult
		kb  int64
	)
	for i, w := range written {
		if w.Skipped {
			return ImportResult{}, 0, fmt.Errorf("import %q: document vanished", docs[i].Title)
		}
		res.DocumentIDs = append(res.DocumentIDs, ws[i].DocumentID)
		res.Chunks += w.Chunks
		kb = w.KBVersion
	}
	return res, kb, nil
}

// RefreshPostingFloors sets the posting floor (Config.KeepPostings of the Loader's
// Service) of each of the dealership's lexemes that is in at least KeepPostings chunks,
// and returns how many it set; with KeepPostings negative it does nothing. Writes keep
// the floors up to date themselves, a quarter of document frequency at a time; run
// this after a load with KeepEveryPosting, so that the writes that follow prune from
// the first one.
func (l *Loader) RefreshPostingFloors(ctx context.Context, dealershipID string) (int64, error) {
	keep := l.s.cfg.KeepPostings
	if keep <= 0 {
		return 0, nil
	}
	var n int64
	err := store.InTenant(ctx, l.s.cfg.Primary, dealershipID, func(tx pgx.Tx) error {
		var err error
		n, err = refreshAllFloors(ctx, tx, dealershipID, keep)
		return err
	})
	return n, err
}
