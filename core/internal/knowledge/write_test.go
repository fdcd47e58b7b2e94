package knowledge_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/avatar-fi/avatar/core/internal/knowledge"
	"github.com/avatar-fi/avatar/core/internal/knowledge/chunk"
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
