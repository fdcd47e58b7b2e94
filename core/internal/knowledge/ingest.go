package knowledge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/pgvector/pgvector-go"
	"google.golang.org/protobuf/proto"

	"github.com/avatar-fi/avatar/core/internal/knowledge/chunk"
	"github.com/avatar-fi/avatar/core/internal/knowledge/embed"
	"github.com/avatar-fi/avatar/core/internal/knowledge/extract"
	"github.com/avatar-fi/avatar/core/internal/store"
	eventsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/events/v1"
	knowledgev1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/knowledge/v1"
)

// Run consumes ingest jobs until ctx ends, with cfg.Workers jobs in flight, and first
// queues re-embedding jobs for documents embedded by another embedder. It returns after
// the in-flight jobs finish (their messages are redelivered if they were cut short).
func (s *Service) Run(ctx context.Context) error {
	cons, err := s.consumer(ctx)
	if err != nil {
		return err
	}
	if err := s.queueReembedding(ctx); err != nil {
		s.log.WarnContext(ctx, "queue re-embedding", "error", err.Error())
	}
	msgs, err := cons.Messages(jetstream.PullMaxMessages(s.cfg.Workers))
	if err != nil {
		return fmt.Errorf("consume ingest jobs: %w", err)
	}
	stop := context.AfterFunc(ctx, msgs.Stop)
	defer stop()
	w := s.startWriter(context.WithoutCancel(ctx))
	sem := make(chan struct{}, s.cfg.Workers)
	for {
		msg, err := msgs.Next()
		if err != nil {
			break
		}
		sem <- struct{}{}
		s.wg.Add(1)
		go func() {
			defer func() { <-sem; s.wg.Done() }()
			s.handle(context.WithoutCancel(ctx), msg, w)
		}()
	}
	s.wg.Wait()
	w.stop()
	s.hooks.wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return nil
}

func (s *Service) consumer(ctx context.Context) (jetstream.Consumer, error) {
	n := s.cfg.Bus.Names
	cons, err := s.cfg.Bus.JS.CreateOrUpdateConsumer(ctx, n.IngestStream, jetstream.ConsumerConfig{
		Durable:       s.cfg.ConsumerName,
		FilterSubject: n.Subject("ingest", "job", ">"),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       time.Minute,
		// The worker decides when a job is dead (MaxDeliver) and dead-letters it; the
		// server's limit is a backstop above it.
		MaxDeliver:    s.cfg.MaxDeliver + 2,
		MaxAckPending: 1000,
	})
	if err != nil {
		return nil, fmt.Errorf("ingest consumer: %w", err)
	}
	return cons, nil
}

// handle processes one job message: ack on success or skip, retry with backoff on a
// temporary failure, and dead-letter plus FAILED on a permanent failure or the last try.
func (s *Service) handle(ctx context.Context, msg jetstream.Msg, w *writer) {
	var job eventsv1.IngestJob
	if err := proto.Unmarshal(msg.Data(), &job); err != nil || job.DealershipId == "" || job.DocumentId == "" {
		s.log.ErrorContext(ctx, "malformed ingest job", "subject", msg.Subject())
		s.deadLetter(ctx, msg, "malformed job")
		_ = msg.Term()
		return
	}
	kind := job.Kind.String()
	log := s.log.With("document_id", job.DocumentId, "dealership_id", job.DealershipId, "version", job.Version, "kind", kind)
	delivered := 1
	if md, err := msg.Metadata(); err == nil {
		delivered = int(md.NumDelivered)
	}
	// Keep the message ours while a long job runs.
	hctx, stopBeat := context.WithCancel(ctx)
	go func() {
		t := time.NewTicker(15 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-hctx.Done():
				return
			case <-t.C:
				_ = msg.InProgress()
			}
		}
	}()
	err := s.process(hctx, log, &job, w)
	stopBeat()
	var perm permanentError
	switch {
	case err == nil:
		ingestJobs.WithLabelValues(kind, "ready").Inc()
		// A plain ack: if it is lost, the redelivered job finds the version active and
		// is skipped, so waiting for the server's confirmation buys nothing.
		_ = msg.Ack()
	case errors.Is(err, errSkip):
		ingestJobs.WithLabelValues(kind, "skipped").Inc()
		log.InfoContext(ctx, "ingest job skipped: nothing to do")
		_ = msg.Ack()
	case errors.As(err, &perm) || delivered >= s.cfg.MaxDeliver:
		reason := err.Error()
		if !errors.As(err, &perm) {
			reason = fmt.Sprintf("processing failed after %d attempts: %s", delivered, publicReason(err))
		}
		log.WarnContext(ctx, "ingest job failed", "error", err.Error(), "attempts", delivered)
		ingestJobs.WithLabelValues(kind, "failed").Inc()
		s.deadLetter(ctx, msg, reason)
		if job.Kind == eventsv1.IngestJobKind_INGEST_JOB_KIND_INGEST {
			s.fail(ctx, &job, reason)
		}
		_ = msg.Term()
	default:
		delay := s.cfg.Backoff[min(delivered-1, len(s.cfg.Backoff)-1)]
		log.WarnContext(ctx, "ingest job will retry", "error", err.Error(), "attempt", delivered, "delay", delay.String())
		ingestJobs.WithLabelValues(kind, "retry").Inc()
		_ = msg.NakWithDelay(delay)
	}
}

// publicReason turns a temporary error into text a dealership admin can act on without
// exposing internals.
func publicReason(err error) string {
	switch {
	case errors.Is(err, embed.ErrProvider), errors.Is(err, embed.ErrDimension):
		return "the embeddings provider did not answer correctly; check its settings and upload again"
	case errors.Is(err, context.DeadlineExceeded):
		return "processing timed out; upload again or split the document"
	default:
		return "an internal error occurred; upload again or contact support"
	}
}

// deadLetter copies the job to <prefix>.ingest.dead.<dealership>, where it stays in the
// stream for inspection (no consumer reads it), with the reason in a header.
func (s *Service) deadLetter(ctx context.Context, msg jetstream.Msg, reason string) {
	dealership := "unknown"
	var job eventsv1.IngestJob
	if proto.Unmarshal(msg.Data(), &job) == nil && job.DealershipId != "" {
		dealership = job.DealershipId
	}
	m := nats.NewMsg(s.cfg.Bus.Names.Subject("ingest", "dead", dealership))
	m.Data = msg.Data()
	m.Header.Set("Avatar-Failure-Reason", reason)
	m.Header.Set("Avatar-Original-Subject", msg.Subject())
	if _, err := s.cfg.Bus.JS.PublishMsg(ctx, m); err != nil {
		s.log.ErrorContext(ctx, "dead-letter ingest job", "error", err.Error())
	}
}

func (s *Service) fail(ctx context.Context, job *eventsv1.IngestJob, reason string) {
	var changed bool
	err := store.InTenant(ctx, s.cfg.Primary, job.DealershipId, func(tx pgx.Tx) error {
		var err error
		changed, err = markFailed(ctx, tx, job.DealershipId, job.DocumentId, job.Version, reason)
		return err
	})
	if err != nil {
		s.log.ErrorContext(ctx, "mark document failed", "error", err.Error(), "document_id", job.DocumentId)
		return
	}
	if changed {
		s.announce(ctx, job.DealershipId, job.DocumentId)
	}
}

// announce sends the document's current state to watchers and, when it is final, to
// the dealership's webhook.
func (s *Service) announce(ctx context.Context, dealershipID, documentID string) {
	p, err := s.progress(ctx, dealershipID, documentID)
	if err != nil {
		return
	}
	s.publishProgress(p)
	switch p.Document.Status {
	case knowledgev1.DocumentStatus_DOCUMENT_STATUS_READY, knowledgev1.DocumentStatus_DOCUMENT_STATUS_FAILED:
		s.hooks.notify(ctx, dealershipID, p.Document)
	}
}

// progressSubject is a core NATS subject (outside every stream) for live progress.
func (s *Service) progressSubject(documentID string) string {
	return s.cfg.Bus.Names.Subject("knowledge", "progress", documentID)
}

func (s *Service) publishProgress(p *knowledgev1.WatchDocumentResponse) {
	if raw, err := proto.Marshal(p); err == nil {
		_ = s.cfg.Bus.Conn.Publish(s.progressSubject(p.Document.Id), raw)
	}
}

// publishStage announces a job's progress to watchers. Only the first stage
// (extracting, with PROCESSING) is recorded in PostgreSQL, in the job's first
// transaction; later stages are only published, to keep small documents cheap to ingest.
func (s *Service) publishStage(job *eventsv1.IngestJob, st knowledgev1.IngestStage, pct int) {
	s.publishProgress(&knowledgev1.WatchDocumentResponse{
		Document: &knowledgev1.Document{Id: job.DocumentId, DealershipId: job.DealershipId, Status: knowledgev1.DocumentStatus_DOCUMENT_STATUS_PROCESSING, Version: job.Version},
		Stage:    st, Percent: int32(pct),
	})
}

func (s *Service) process(ctx context.Context, log *slog.Logger, job *eventsv1.IngestJob, w *writer) error {
	switch job.Kind {
	case eventsv1.IngestJobKind_INGEST_JOB_KIND_INGEST:
		return s.ingest(ctx, log, job, w)
	case eventsv1.IngestJobKind_INGEST_JOB_KIND_REEMBED:
		return s.reembed(ctx, job)
	default:
		return permanentError{fmt.Errorf("unknown job kind %s", job.Kind)}
	}
}

// ingest runs extract → chunk → embed → write for one document version; w writes it,
// with other jobs' versions when they are ready at the same time.
func (s *Service) ingest(ctx context.Context, log *slog.Logger, job *eventsv1.IngestJob, w *writer) error {
	var (
		ct   string
		data []byte
		doc  document
	)
	if !validUUID(job.DocumentId) {
		return errSkip
	}
	// One round trip reads the document and the original and records the first stage
	// (PROCESSING); setProgress changes nothing when the job turns out to be stale.
	err := store.InTenant(ctx, s.cfg.Primary, job.DealershipId, func(tx pgx.Tx) error {
		var b pgx.Batch
		b.Queue(`SELECT `+documentColumns+documentFrom+` WHERE d.id = $1 AND d.dealership_id = $2`, job.DocumentId, job.DealershipId).
			QueryRow(func(r pgx.Row) error {
				var err error
				doc, err = scanDocument(r)
				return err
			})
		queueLoadOriginal(&b, job.DealershipId, job.DocumentId, job.Version, &ct, &data)
		queueSetProgress(&b, job.DealershipId, job.DocumentId, job.Version, knowledgev1.IngestStage_INGEST_STAGE_EXTRACTING, 5)
		if err := tx.SendBatch(ctx, &b).Close(); err != nil {
			return err
		}
		if doc.ActiveVersion >= job.Version || doc.LatestVersion != job.Version {
			return errSkip
		}
		return nil
	})
	if errors.Is(err, ErrNotFound) {
		return errSkip
	}
	if err != nil {
		return err
	}
	t0 := time.Now()
	s.publishStage(job, knowledgev1.IngestStage_INGEST_STAGE_EXTRACTING, 5)
	blocks, err := extract.Extract(ctx, ct, data, s.cfg.Limits)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		return permanentError{err}
	}
	ingestStage.WithLabelValues("extract").Observe(time.Since(t0).Seconds())
	t0 = time.Now()
	s.publishStage(job, knowledgev1.IngestStage_INGEST_STAGE_CHUNKING, 20)
	chunks := chunk.Split(blocks, s.cfg.Chunking)
	if len(chunks) == 0 {
		return permanentError{extract.ErrNoText}
	}
	ingestStage.WithLabelValues("chunk").Observe(time.Since(t0).Seconds())
	t0 = time.Now()
	s.publishStage(job, knowledgev1.IngestStage_INGEST_STAGE_EMBEDDING, 25)
	rows, err := s.embedChunks(ctx, job, chunks)
	if err != nil {
		return err
	}
	ingestStage.WithLabelValues("embed").Observe(time.Since(t0).Seconds())
	t0 = time.Now()
	s.publishStage(job, knowledgev1.IngestStage_INGEST_STAGE_WRITING, 90)
	res, err := w.write(ctx, job.DealershipId, versionWrite{DocumentID: job.DocumentId, Version: job.Version, Rows: rows})
	if err != nil {
		return err
	}
	ingestStage.WithLabelValues("write").Observe(time.Since(t0).Seconds())
	ingestChunks.Add(float64(res.Chunks))
	log.InfoContext(ctx, "document ready", "chunks", res.Chunks, "kb_version", res.KBVersion)
	// The writer announced the new knowledge-base version, and returned the document
	// as it left it: announce that without reading it back.
	s.publishProgress(&knowledgev1.WatchDocumentResponse{Document: res.Doc.proto(), Stage: res.Doc.Stage, Percent: res.Doc.Percent})
	s.hooks.notify(ctx, job.DealershipId, res.Doc.proto())
	return nil
}

// embedChunks embeds chunks in batches of EmbedBatch; with a job, it announces the
// embedding progress between batches.
func (s *Service) embedChunks(ctx context.Context, job *eventsv1.IngestJob, chunks []chunk.Chunk) ([]chunkRow, error) {
	rows := make([]chunkRow, len(chunks))
	for start := 0; start < len(chunks); start += s.cfg.EmbedBatch {
		end := min(start+s.cfg.EmbedBatch, len(chunks))
		texts := make([]string, 0, end-start)
		for _, c := range chunks[start:end] {
			texts = append(texts, embedText(c.Section, c.Text))
		}
		vecs, err := s.cfg.Embedder.Embed(ctx, texts)
		if err != nil {
			return nil, fmt.Errorf("embed: %w", err)
		}
		for i, c := range chunks[start:end] {
			rows[start+i] = chunkRow{Ord: c.Ord, Text: c.Text, Page: c.Page, Section: c.Section, Vector: vecs[i]}
		}
		if job != nil && end < len(chunks) {
			s.publishStage(job, knowledgev1.IngestStage_INGEST_STAGE_EMBEDDING, 25+60*end/len(chunks))
		}
	}
	return rows, nil
}

// embedText is what the embedder sees of a chunk: its section path, then its text.
func embedText(section, text string) string {
	if section == "" {
		return text
	}
	return section + "\n" + text
}

// writeRequest is an ingest job waiting for its version to be written.
type writeRequest struct {
	dealershipID string
	write        versionWrite
	res          writeResult
	err          error
	done         chan struct{}
}

// Bounds of one write transaction of the writer: documents, and chunks unless a single
// document has more.
const (
	writeBatchDocs   = 32
	writeBatchChunks = 512
)

// writer writes the versions of ingest jobs with at most Config.Writers transactions
// at once. Each transaction takes every waiting job of the dealership whose job waits
// longest (up to writeBatchDocs documents and writeBatchChunks chunks), so that under
// load many documents share one transaction: one statement for their chunks and
// postings (in term order across documents), one update of the statistics and document
// frequencies under the dealership's statistics row lock (which serialises the
// dealership's writers), and one commit. A job that finds a writer idle is written at
// once, alone, as before. Its methods are safe for concurrent use.
type writer struct {
	s      *Service
	mu     sync.Mutex
	wake   *sync.Cond
	queue  []*writeRequest
	closed bool
	wg     sync.WaitGroup
}

// startWriter starts Config.Writers write loops under ctx, which should not be
// cancelled before stop: jobs in flight wait for their writes.
func (s *Service) startWriter(ctx context.Context) *writer {
	w := &writer{s: s}
	w.wake = sync.NewCond(&w.mu)
	for range s.cfg.Writers {
		w.wg.Add(1)
		go w.loop(ctx)
	}
	return w
}

// stop ends the write loops once the queue is empty and waits for them. Call it after
// the last write returned.
func (w *writer) stop() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.wake.Broadcast()
	w.wg.Wait()
}

// write queues vw and waits until it is written (or skipped: errSkip).
func (w *writer) write(ctx context.Context, dealershipID string, vw versionWrite) (writeResult, error) {
	r := &writeRequest{dealershipID: dealershipID, write: vw, done: make(chan struct{})}
	w.mu.Lock()
	w.queue = append(w.queue, r)
	w.mu.Unlock()
	w.wake.Signal()
	select {
	case <-r.done:
		return r.res, r.err
	case <-ctx.Done():
		// The write may still happen; a redelivered job then finds it done.
		return writeResult{}, ctx.Err()
	}
}

func (w *writer) loop(ctx context.Context) {
	defer w.wg.Done()
	for {
		w.mu.Lock()
		for len(w.queue) == 0 && !w.closed {
			w.wake.Wait()
		}
		if len(w.queue) == 0 {
			w.mu.Unlock()
			return
		}
		dealership := w.queue[0].dealershipID
		var (
			batch  []*writeRequest
			chunks int
		)
		rest := w.queue[:0]
		for _, r := range w.queue {
			if r.dealershipID == dealership && len(batch) < writeBatchDocs && (len(batch) == 0 || chunks+len(r.write.Rows) <= writeBatchChunks) {
				batch = append(batch, r)
				chunks += len(r.write.Rows)
			} else {
				rest = append(rest, r)
			}
		}
		clear(w.queue[len(rest):])
		w.queue = rest
		w.mu.Unlock()
		w.flush(ctx, dealership, batch)
	}
}

// flush writes batch in one transaction and announces the new knowledge-base version.
// When the transaction fails, each version is written again alone, so that one
// document cannot fail the others.
func (w *writer) flush(ctx context.Context, dealershipID string, batch []*writeRequest) {
	ws := make([]versionWrite, len(batch))
	for i, r := range batch {
		ws[i] = r.write
	}
	var res []writeResult
	err := store.InTenant(ctx, w.s.cfg.Primary, dealershipID, func(tx pgx.Tx) error {
		var err error
		res, err = writeVersions(ctx, tx, dealershipID, w.s.cfg.Embedder.ID(), w.s.cfg.KeepPostings, ws)
		return err
	})
	if err != nil && len(batch) > 1 {
		w.s.log.WarnContext(ctx, "batched write failed; writing each document alone", "error", err.Error(), "documents", len(batch))
		for _, r := range batch {
			w.flush(ctx, dealershipID, []*writeRequest{r})
		}
		return
	}
	last := -1
	for i, r := range batch {
		switch {
		case err != nil:
			r.err = err
		case res[i].Skipped:
			r.err = errSkip
		default:
			r.res = res[i]
			last = i
		}
	}
	if last >= 0 {
		w.s.changed(ctx, dealershipID, batch[last].write.DocumentID, res[last].KBVersion)
	}
	for _, r := range batch {
		close(r.done)
	}
}

// queueReembedding queues a REEMBED job for every document that has chunks embedded by
// another embedder than the configured one (a change of model or dimension).
func (s *Service) queueReembedding(ctx context.Context) error {
	rows, err := s.cfg.Primary.Query(ctx, `SELECT DISTINCT dealership_id::text, document_id::text FROM knowledge_chunks WHERE embedder <> $1`, s.cfg.Embedder.ID())
	if err != nil {
		return fmt.Errorf("find stale embeddings: %w", err)
	}
	type pair struct{ d, doc string }
	ps, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (pair, error) {
		var p pair
		err := r.Scan(&p.d, &p.doc)
		return p, err
	})
	if err != nil {
		return fmt.Errorf("find stale embeddings: %w", err)
	}
	for _, p := range ps {
		job := &eventsv1.IngestJob{Kind: eventsv1.IngestJobKind_INGEST_JOB_KIND_REEMBED, DealershipId: p.d, DocumentId: p.doc,
			JobId: "reembed:" + p.doc + ":" + s.cfg.Embedder.ID()}
		if err := s.enqueue(ctx, job); err != nil {
			return err
		}
	}
	if len(ps) > 0 {
		s.log.InfoContext(ctx, "re-embedding queued", "documents", len(ps), "embedder", s.cfg.Embedder.ID())
	}
	return nil
}

// reembed recomputes the vectors of a document's chunks that another embedder wrote.
// Lexical search keeps working on them meanwhile; the vector side sees them again once
// they carry the current embedder's id.
func (s *Service) reembed(ctx context.Context, job *eventsv1.IngestJob) error {
	type row struct{ id, section, text string }
	var rs []row
	err := store.InTenant(ctx, s.cfg.Primary, job.DealershipId, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id::text, coalesce(section, ''), text FROM knowledge_chunks WHERE document_id = $1 AND dealership_id = $2 AND embedder <> $3`,
			job.DocumentId, job.DealershipId, s.cfg.Embedder.ID())
		if err != nil {
			return fmt.Errorf("load chunks: %w", err)
		}
		rs, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
			var x row
			err := r.Scan(&x.id, &x.section, &x.text)
			return x, err
		})
		return err
	})
	if err != nil {
		return err
	}
	if len(rs) == 0 {
		return errSkip
	}
	for start := 0; start < len(rs); start += s.cfg.EmbedBatch {
		end := min(start+s.cfg.EmbedBatch, len(rs))
		texts := make([]string, 0, end-start)
		ids := make([]string, 0, end-start)
		for _, r := range rs[start:end] {
			texts = append(texts, embedText(r.section, r.text))
			ids = append(ids, r.id)
		}
		vecs, err := s.cfg.Embedder.Embed(ctx, texts)
		if err != nil {
			return fmt.Errorf("embed: %w", err)
		}
		strs := make([]string, len(vecs))
		for i, v := range vecs {
			strs[i] = pgvector.NewVector(v).String()
		}
		err = store.InTenant(ctx, s.cfg.Primary, job.DealershipId, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE knowledge_chunks c SET embedding = u.emb::vector, embedder = $3
				FROM unnest($1::uuid[], $2::text[]) AS u(id, emb) WHERE c.id = u.id AND c.dealership_id = $4`, ids, strs, s.cfg.Embedder.ID(), job.DealershipId)
			return err
		})
		if err != nil {
			return fmt.Errorf("write embeddings: %w", err)
		}
	}
	var kb int64
	err = store.InTenant(ctx, s.cfg.Primary, job.DealershipId, func(tx pgx.Tx) error {
		var err error
		kb, err = bumpStats(ctx, tx, job.DealershipId, 0, 0)
		return err
	})
	if err != nil {
		return err
	}
	s.changed(ctx, job.DealershipId, job.DocumentId, kb)
	return nil
}
