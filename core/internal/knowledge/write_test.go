package knowledge_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/avatar-fi/avatar/core/internal/apitest"
	"github.com/avatar-fi/avatar/core/internal/knowledge"
	"github.com/avatar-fi/avatar/core/internal/knowledge/chunk"
	"github.com/avatar-fi/avatar/core/internal/knowledge/embed"
	eventsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/events/v1"
	knowledgev1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/knowledge/v1"
	orgv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1"
)

// checkIndexConsistent fails unless every posting belongs to a stored chunk, no chunk
// has a lexeme twice in the posting list, and each dealership's statistics count its
// chunks and tokens exactly; then it checks the document frequencies.
func checkIndexConsistent(t *testing.T, b *bundle) {
	t.Helper()
	ctx := context.Background()
	var orphans, dups, badStats int
	if err := b.pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM knowledge_postings p WHERE NOT EXISTS (SELECT 1 FROM knowledge_chunks c WHERE c.id = p.chunk_id)),
		(SELECT count(*) - count(DISTINCT (chunk_id, term)) FROM knowledge_postings),
		(SELECT count(*) FROM knowledge_stats s LEFT JOIN
			(SELECT dealership_id, count(*) AS n, sum(token_count) AS tokens FROM knowledge_chunks GROUP BY dealership_id) c USING (dealership_id)
			WHERE s.chunk_count <> coalesce(c.n, 0) OR s.total_tokens <> coalesce(c.tokens, 0))`).
		Scan(&orphans, &dups, &badStats); err != nil {
		t.Fatal(err)
	}
	if orphans != 0 || dups != 0 || badStats != 0 {
		t.Fatalf("%d postings without a chunk, %d duplicate postings, %d dealerships with wrong statistics", orphans, dups, badStats)
	}
	checkTermCounts(t, b)
}

// synthetic is a document of paras paragraphs: shared words (so document frequencies
// overlap across documents) and words of its own.
func synthetic(n, paras int) string {
	shared := []string{"warranty", "financing", "appraisal", "lease", "mileage", "dealer", "customer", "vehicle", "payment", "credit"}
	var b strings.Builder
	for p := 0; p < paras; p++ {
		if p > 0 {
			b.WriteString("\n\n")
		}
		for w := 0; w < 30; w++ {
			if w%3 == 0 {
				fmt.Fprintf(&b, "doc%dword%d ", n, (p*30+w)%17)
			} else {
				b.WriteString(shared[(n+p+w)%len(shared)] + " ")
			}
		}
		b.WriteString("end.")
	}
	return b.String()
}

func (b *bundle) publishJob(t *testing.T, docID string, version int32) {
	t.Helper()
	job, err := proto.Marshal(&eventsv1.IngestJob{Kind: eventsv1.IngestJobKind_INGEST_JOB_KIND_INGEST, DealershipId: b.dealerA, DocumentId: docID, Version: version})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.bus.JS.Publish(context.Background(), b.bus.Names.Subject("ingest", "job", b.dealerA), job, jetstream.WithMsgID("dup-"+apitest.RandHex(4))); err != nil {
		t.Fatal(err)
	}
}

// TestDeleteAndReplaceRemovePostings: the postings have no primary key any more
// (migration 0013); the delete trigger finds them by chunk through
// knowledge_postings_chunk, for a deleted document and for a replaced version.
func TestDeleteAndReplaceRemovePostings(t *testing.T) {
	b := setup(t, setupOpts{tweak: func(c *knowledge.Config) { c.Chunking = chunk.Options{Target: 40} }})
	admin := as(b.dealerA, orgv1.Role_ROLE_DEALERSHIP_ADMIN)
	keep, err := b.upload(t, b.connect, admin, md("Keep", "keep.txt"), []byte(synthetic(1, 4)))
	if err != nil {
		t.Fatal(err)
	}
	gone, err := b.upload(t, b.connect, admin, md("Gone", "gone.txt"), []byte(synthetic(2, 4)))
	if err != nil {
		t.Fatal(err)
	}
	b.waitFinal(t, admin, keep.Id, 1)
	if d := b.waitFinal(t, admin, gone.Id, 1); d.ChunkCount < 2 {
		t.Fatalf("want several chunks, got %d", d.ChunkCount)
	}
	v2 := md("", "keep2.txt")
	v2.ReplacesDocumentId = keep.Id
	if _, err := b.upload(t, b.connect, admin, v2, []byte(synthetic(3, 2))); err != nil {
		t.Fatal(err)
	}
	if d := b.waitFinal(t, admin, keep.Id, 2); d.Status != knowledgev1.DocumentStatus_DOCUMENT_STATUS_READY {
		t.Fatalf("v2 ended %v", d)
	}
	if err := b.svc.Delete(context.Background(), b.dealerA, gone.Id); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var gonePostings, oldPostings, keepChunks int
	if err := b.pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM knowledge_postings WHERE document_id = $1),
		(SELECT count(*) FROM knowledge_postings WHERE document_id = $2 AND term LIKE 'doc1word%'),
		(SELECT count(*) FROM knowledge_chunks WHERE document_id = $2)`, gone.Id, keep.Id).Scan(&gonePostings, &oldPostings, &keepChunks); err != nil {
		t.Fatal(err)
	}
	if gonePostings != 0 || oldPostings != 0 || keepChunks == 0 {
		t.Fatalf("deleted document's postings %d, replaced version's postings %d, new version's chunks %d", gonePostings, oldPostings, keepChunks)
	}
	checkIndexConsistent(t, b)
}

// TestBatchedWrites: with one writer and many workers, jobs ready together are written
// in shared transactions (fewer knowledge-base versions than documents), redelivered
// jobs among them are skipped, and the statistics and document frequencies stay exact.
func TestBatchedWrites(t *testing.T) {
	b := setup(t, setupOpts{noWorkers: true, tweak: func(c *knowledge.Config) {
		c.Workers, c.Writers, c.Chunking = 8, 1, chunk.Options{Target: 40}
	}})
	admin := as(b.dealerA, orgv1.Role_ROLE_DEALERSHIP_ADMIN)
	const n = 16
	var ids []string
	for i := 0; i < n; i++ {
		d, err := b.upload(t, b.connect, admin, md(fmt.Sprintf("Doc %d", i), "d.txt"), []byte(synthetic(i, 1+i%4)))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, d.Id)
	}
	// Redeliveries of some jobs, queued before any worker runs.
	for _, id := range ids[:4] {
		b.publishJob(t, id, 1)
	}
	b.startWorkers(t)
	total := 0
	for _, id := range ids {
		d := b.waitFinal(t, admin, id, 1)
		if d.Status != knowledgev1.DocumentStatus_DOCUMENT_STATUS_READY {
			t.Fatalf("document %s ended %v", id, d)
		}
		chunks, dups, _ := chunkCounts(t, b, id)
		if chunks != int(d.ChunkCount) || dups != 0 {
			t.Fatalf("document %s: %d chunks (document says %d), %d duplicate postings", id, chunks, d.ChunkCount, dups)
		}
		total += chunks
	}
	b.drain(t)
	var kb, statChunks int
	if err := b.pool.QueryRow(context.Background(), `SELECT kb_version, chunk_count FROM knowledge_stats WHERE dealership_id = $1`, b.dealerA).Scan(&kb, &statChunks); err != nil {
		t.Fatal(err)
	}
	if statChunks != total {
		t.Fatalf("statistics count %d chunks, documents %d", statChunks, total)
	}
	if kb >= n {
		t.Fatalf("%d knowledge-base versions for %d documents: the writes were not batched", kb, n)
	}
	checkIndexConsistent(t, b)
}

// poisonEmbedder gives texts containing POISON a vector one dimension short, which the
// vector index refuses: the transaction that writes such a chunk fails.
type poisonEmbedder struct{ *embed.Hashed }

func (p poisonEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	vecs, err := p.Hashed.Embed(ctx, texts)
	if err != nil {
		return nil, err
	}
	for i, t := range texts {
		if strings.Contains(t, "POISON") {
			vecs[i] = vecs[i][:len(vecs[i])-1]
		}
	}
	return vecs, nil
}

// TestBatchedWriteIsolatesAFailingDocument: a document whose write fails does not take
// the documents batched with it down: they are written again one by one and become
// READY, while it retries and ends FAILED.
func TestBatchedWriteIsolatesAFailingDocument(t *testing.T) {
	h, err := embed.NewHashed(0)
	if err != nil {
		t.Fatal(err)
	}
	b := setup(t, setupOpts{noWorkers: true, embedder: poisonEmbedder{h}, tweak: func(c *knowledge.Config) {
		c.Workers, c.Writers = 8, 1
	}})
	admin := as(b.dealerA, orgv1.Role_ROLE_DEALERSHIP_ADMIN)
	var good []string
	for i := 0; i < 6; i++ {
		d, err := b.upload(t, b.connect, admin, md(fmt.Sprintf("Good %d", i), "g.txt"), []byte(synthetic(i, 2)))
		if err != nil {
			t.Fatal(err)
		}
		good = append(good, d.Id)
	}
	bad, err := b.upload(t, b.connect, admin, md("Bad", "b.txt"), []byte("POISON "+synthetic(99, 1)))
	if err != nil {
		t.Fatal(err)
	}
	b.startWorkers(t)
	for _, id := range good {
		if d := b.waitFinal(t, admin, id, 1); d.Status != knowledgev1.DocumentStatus_DOCUMENT_STATUS_READY {
			t.Fatalf("good document ended %v", d)
		}
	}
	if d := b.waitFinal(t, admin, bad.Id, 1); d.Status != knowledgev1.DocumentStatus_DOCUMENT_STATUS_FAILED {
		t.Fatalf("poisoned document ended %v", d)
	}
	checkIndexConsistent(t, b)
}

// drain waits until the ingest stream holds no message (redeliveries included).
func (b *bundle) drain(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		s, err := b.bus.JS.Stream(context.Background(), b.bus.Names.IngestStream)
		if err != nil {
			t.Fatal(err)
		}
		if info, _ := s.Info(context.Background()); info != nil && info.State.Msgs == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("ingest stream did not drain")
}
