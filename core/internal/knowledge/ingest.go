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
	"github.com/avatar-fi/avatar/core/internal/validate"
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
	go watchQueue(ctx, cons)
	in := &ingester{s: s, w: s.startWriter(context.WithoutCancel(ctx))}
	var wg sync.WaitGroup
	sem := make(chan struct{}, s.cfg.Workers)
	for {
		msg, err := msgs.Next()
		if err != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			in.handle(context.WithoutCancel(ctx), msg)
		}()
	}
	wg.Wait()
	in.w.stop()
	s.hooks.wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return nil
}

// queueInterval is how often the ingest queue's depth is read for the metrics.
const queueInterval = 10 * time.Second

// watchQueue reports the work queue's depth until ctx ends.
func watchQueue(ctx context.Context, cons jetstream.Consumer) {
	t := time.NewTicker(queueInterval)
	defer t.Stop()
	for {
		if info, err := cons.Info(ctx); err == nil {
			ingestQueuePending.Set(float64(info.NumPending))
			ingestQueueInflight.Set(float64(info.NumAckPending))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
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

// queueReembedding queues a REEMBED job for every document that has chunks embedded by
// another embedder than the configured one (a change of model or dimension).
func (s *Service) queueReembedding(ctx context.Context) error {
	refs, err := staleEmbeddings(ctx, s.cfg.Primary, s.cfg.Embedder.ID())
	if err != nil {
		return err
	}
	for _, r := range refs {
		job := &eventsv1.IngestJob{Kind: eventsv1.IngestJobKind_INGEST_JOB_KIND_REEMBED, DealershipId: r.dealershipID, DocumentId: r.documentID,
			JobId: "reembed:" + r.documentID + ":" + s.cfg.Embedder.ID()}
		if err := s.enqueue(ctx, job); err != nil {
			return err
		}
	}
	if len(refs) > 0 {
		s.log.InfoContext(ctx, "re-embedding queued", "documents", len(refs), "embedder", s.cfg.Embedder.ID())
	}
	return nil
}

// ingester runs the ingest jobs of one Run; w writes their chunks. Its methods are safe
// for concurrent use.
type ingester struct {
	s *Service
	w *writer
}

// handle processes one job message: ack on success or skip, retry with backoff on a
// temporary failure, and dead-letter plus FAILED on a permanent failure or the last try.
func (in *ingester) handle(ctx context.Context, msg jetstream.Msg) {
	s := in.s
	var job eventsv1.IngestJob
	if err := proto.Unmarshal(msg.Data(), &job); err != nil || job.DealershipId == "" || job.DocumentId == "" {
		s.log.ErrorContext(ctx, "malformed ingest job", "subject", msg.Subject())
		in.deadLetter(ctx, msg, "malformed job")
		_ = msg.Term()
		return
	}
	log := s.log.With("document_id", job.DocumentId, "dealership_id", job.DealershipId, "version", job.Version, "kind", job.Kind.String())
	delivered := 1
	if md, err := msg.Metadata(); err == nil {
		delivered = int(md.NumDelivered)
	}
	hctx, stopBeat := context.WithCancel(ctx)
	go keepInProgress(hctx, msg)
	err := in.process(hctx, log, &job)
	stopBeat()
	in.settle(ctx, log, msg, &job, delivered, err)
}

// keepInProgress keeps the message ours while a long job runs, until ctx ends.
func keepInProgress(ctx context.Context, msg jetstream.Msg) {
	t := time.NewTicker(15 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_ = msg.InProgress()
		}
	}
}

// settle acknowledges the job's message after its delivered-th try ended with err.
func (in *ingester) settle(ctx context.Context, log *slog.Logger, msg jetstream.Msg, job *eventsv1.IngestJob, delivered int, err error) {
	kind := job.Kind.String()
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
	case errors.As(err, &perm) || delivered >= in.s.cfg.MaxDeliver:
		reason := err.Error()
		if !errors.As(err, &perm) {
			reason = fmt.Sprintf("processing failed after %d attempts: %s", delivered, publicReason(err))
		}
		log.WarnContext(ctx, "ingest job failed", "error", err.Error(), "attempts", delivered)
		ingestJobs.WithLabelValues(kind, "failed").Inc()
		in.deadLetter(ctx, msg, reason)
		if job.Kind == eventsv1.IngestJobKind_INGEST_JOB_KIND_INGEST {
			in.fail(ctx, job, reason)
		}
		_ = msg.Term()
	default:
		backoff := in.s.cfg.Backoff
		delay := backoff[min(delivered-1, len(backoff)-1)]
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
func (in *ingester) deadLetter(ctx context.Context, msg jetstream.Msg, reason string) {
	dealership := "unknown"
	var job eventsv1.IngestJob
	if proto.Unmarshal(msg.Data(), &job) == nil && job.DealershipId != "" {
		dealership = job.DealershipId
	}
	bus := in.s.cfg.Bus
	m := nats.NewMsg(bus.Names.Subject("ingest", "dead", dealership))
	m.Data = msg.Data()
	m.Header.Set("Avatar-Failure-Reason", reason)
	m.Header.Set("Avatar-Original-Subject", msg.Subject())
	if _, err := bus.JS.PublishMsg(ctx, m); err != nil {
		in.s.log.ErrorContext(ctx, "dead-letter ingest job", "error", err.Error())
	}
}

// fail records the job's version as FAILED and announces it when the document shows
// it.
func (in *ingester) fail(ctx context.Context, job *eventsv1.IngestJob, reason string) {
	s := in.s
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

func (in *ingester) process(ctx context.Context, log *slog.Logger, job *eventsv1.IngestJob) error {
	switch job.Kind {
	case eventsv1.IngestJobKind_INGEST_JOB_KIND_INGEST:
		return in.ingest(ctx, log, job)
	case eventsv1.IngestJobKind_INGEST_JOB_KIND_REEMBED:
		return in.reembed(ctx, job)
	default:
		return permanentError{fmt.Errorf("unknown job kind %s", job.Kind)}
	}
}

// ingest runs extract → chunk → embed → write for one document version; the writer
// writes it, with other jobs' versions when they are ready at the same time.
func (in *ingester) ingest(ctx context.Context, log *slog.Logger, job *eventsv1.IngestJob) error {
	s := in.s
	ct, data, err := in.start(ctx, job)
	if err != nil {
		return err
	}
	rows, err := in.prepare(ctx, job, ct, data)
	if err != nil {
		return err
	}
	t0 := time.Now()
	s.publishStage(job, knowledgev1.IngestStage_INGEST_STAGE_WRITING, 90)
	res, err := in.w.write(ctx, job.DealershipId, versionWrite{DocumentID: job.DocumentId, Version: job.Version, Rows: rows})
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

// start reads the job's original and records its first stage (PROCESSING) in one
// round trip; errSkip when the job is stale (its version already active or superseded)
// or its document gone.
func (in *ingester) start(ctx context.Context, job *eventsv1.IngestJob) (contentType string, data []byte, err error) {
	if !validate.IsUUID(job.DocumentId) {
		return "", nil, errSkip
	}
	err = store.InTenant(ctx, in.s.cfg.Primary, job.DealershipId, func(tx pgx.Tx) error {
		// The stage is recorded only for the version the document waits for, so a
		// stale job changes nothing before it is skipped.
		doc, ct, b, err := loadJob(ctx, tx, job.DealershipId, job.DocumentId, job.Version)
		if err != nil {
			return err
		}
		if doc.ActiveVersion >= job.Version || doc.LatestVersion != job.Version {
			return errSkip
		}
		contentType, data = ct, b
		return nil
	})
	if errors.Is(err, ErrNotFound) {
		return "", nil, errSkip
	}
	return contentType, data, err
}

// prepare extracts, chunks and embeds the original, announcing each stage and timing
// it. A file that cannot be read or has no text is a permanent failure.
func (in *ingester) prepare(ctx context.Context, job *eventsv1.IngestJob, ct string, data []byte) ([]chunkRow, error) {
	s := in.s
	t0 := time.Now()
	s.publishStage(job, knowledgev1.IngestStage_INGEST_STAGE_EXTRACTING, 5)
	blocks, err := extract.Extract(ctx, ct, data, s.cfg.Limits)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, permanentError{err}
	}
	ingestStage.WithLabelValues("extract").Observe(time.Since(t0).Seconds())
	t0 = time.Now()
	s.publishStage(job, knowledgev1.IngestStage_INGEST_STAGE_CHUNKING, 20)
	chunks := chunk.Split(blocks, s.cfg.Chunking)
	if len(chunks) == 0 {
		return nil, permanentError{extract.ErrNoText}
	}
	ingestStage.WithLabelValues("chunk").Observe(time.Since(t0).Seconds())
	t0 = time.Now()
	s.publishStage(job, knowledgev1.IngestStage_INGEST_STAGE_EMBEDDING, 25)
	rows, err := s.embedChunks(ctx, job, chunks)
	if err != nil {
		return nil, err
	}
	ingestStage.WithLabelValues("embed").Observe(time.Since(t0).Seconds())
	return rows, nil
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

// reembed recomputes the vectors of a document's chunks that another embedder wrote.
// Lexical search keeps working on them meanwhile; the vector side sees them again once
// they carry the current embedder's id.
func (in *ingester) reembed(ctx context.Context, job *eventsv1.IngestJob) error {
	s := in.s
	embedderID := s.cfg.Embedder.ID()
	var stale []staleChunk
	err := store.InTenant(ctx, s.cfg.Primary, job.DealershipId, func(tx pgx.Tx) error {
		var err error
		stale, err = staleChunks(ctx, tx, job.DealershipId, job.DocumentId, embedderID)
		return err
	})
	if err != nil {
		return err
	}
	if len(stale) == 0 {
		return errSkip
	}
	for start := 0; start < len(stale); start += s.cfg.EmbedBatch {
		if err := s.reembedBatch(ctx, job.DealershipId, stale[start:min(start+s.cfg.EmbedBatch, len(stale))]); err != nil {
			return err
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

// reembedBatch embeds one batch of chunks again and stores the vectors, in a
// transaction of its own.
func (s *Service) reembedBatch(ctx context.Context, dealershipID string, batch []staleChunk) error {
	texts := make([]string, 0, len(batch))
	ids := make([]string, 0, len(batch))
	for _, c := range batch {
		texts = append(texts, embedText(c.section, c.text))
		ids = append(ids, c.id)
	}
	vecs, err := s.cfg.Embedder.Embed(ctx, texts)
	if err != nil {
		return fmt.Errorf("embed: %w", err)
	}
	strs := make([]string, len(vecs))
	for i, v := range vecs {
		strs[i] = pgvector.NewVector(v).String()
	}
	err = store.InTenant(ctx, s.cfg.Primary, dealershipID, func(tx pgx.Tx) error {
		return writeEmbeddings(ctx, tx, dealershipID, ids, strs, s.cfg.Embedder.ID())
	})
	if err != nil {
		return fmt.Errorf("write embeddings: %w", err)
	}
	return nil
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
