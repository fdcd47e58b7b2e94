package knowledge

import (
	"context"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/avatar-fi/avatar/core/internal/store"
)

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
		dealership, batch, ok := w.next()
		if !ok {
			return
		}
		w.flush(ctx, dealership, batch)
	}
}

// next waits for a job and takes the next batch off the queue: every waiting job of
// the dealership whose job waits longest, within the bounds of one transaction. It
// reports false once the writer is stopped and the queue empty.
func (w *writer) next() (string, []*writeRequest, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for len(w.queue) == 0 && !w.closed {
		w.wake.Wait()
	}
	if len(w.queue) == 0 {
		return "", nil, false
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
	return dealership, batch, true
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
