package knowledge_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/avatar-fi/avatar/core/internal/knowledge"
)

// pruneDoc is a one-chunk document in which the word "zorblat" appears tf times among
// filler words of its own: the more often and the shorter, the higher its posting's
// impact.
func pruneDoc(n, tf, filler int) knowledge.ImportDocument {
	var b strings.Builder
	for i := 0; i < tf; i++ {
		b.WriteString("zorblat ")
	}
	for i := 0; i < filler; i++ {
		fmt.Fprintf(&b, "filler%dword%d ", n, i)
	}
	return knowledge.ImportDocument{Title: fmt.Sprintf("doc %d", n), Text: b.String()}
}

// termState reads the lexeme's document frequency, floor and stored postings, and
// whether the given document has a posting of it.
func termState(t *testing.T, b *bundle, docID string) (df int64, floor float32, postings int, has bool) {
	t.Helper()
	if err := b.pool.QueryRow(context.Background(), `SELECT coalesce(k.df, 0), coalesce(k.floor, 0),
			(SELECT count(*) FROM knowledge_postings p WHERE p.dealership_id = $1 AND p.term = 'zorblat'),
			EXISTS (SELECT 1 FROM knowledge_postings p WHERE p.dealership_id = $1 AND p.term = 'zorblat' AND p.document_id::text = $2)
		FROM (SELECT 1) one LEFT JOIN knowledge_terms k ON k.dealership_id = $1 AND k.term = 'zorblat'`,
		b.dealerA, docID).Scan(&df, &floor, &postings, &has); err != nil {
		t.Fatal(err)
	}
	return
}

// setupPruning is a bundle without workers whose service keeps the keep best postings
// of each lexeme and scores the 2 best of each query term.
func setupPruning(t *testing.T, keep int) *bundle {
	t.Helper()
	return setup(t, setupOpts{noWorkers: true, tweak: func(c *knowledge.Config) {
		c.KeepPostings = keep
		c.Ranking.TermPostings = 2
	}})
}

func importOne(t *testing.T, l *knowledge.Loader, dealership string, d knowledge.ImportDocument) string {
	t.Helper()
	res, err := l.Import(context.Background(), dealership, []knowledge.ImportDocument{d})
	if err != nil {
		t.Fatal(err)
	}
	return res.DocumentIDs[0]
}

func TestPostingPruning(t *testing.T) {
	const keep = 4
	b := setupPruning(t, keep)
	ctx := context.Background()
	loader := knowledge.NewLoader(b.svc, knowledge.LoaderConfig{})
	// Four postings of middling impact: the lexeme reaches KeepPostings and gets a floor,
	// the fourth best impact.
	var ids []string
	for i := 0; i < keep; i++ {
		ids = append(ids, importOne(t, loader, b.dealerA, pruneDoc(i, 2, 20)))
	}
	df, floor, postings, _ := termState(t, b, ids[0])
	if df != keep || postings != keep || floor <= 0 {
		t.Fatalf("after %d documents: df %d, %d postings, floor %v; want %d, %d, above 0", keep, df, postings, floor, keep, keep)
	}
	// A posting below the floor is not written, but counts in the document frequency.
	low := importOne(t, loader, b.dealerA, pruneDoc(10, 1, 60))
	df, floor2, postings, has := termState(t, b, low)
	if has || df != keep+1 || postings != keep || floor2 != floor {
		t.Fatalf("low-impact document: posting written %v, df %d, %d postings, floor %v → %v", has, df, postings, floor, floor2)
	}
	// One above it is written.
	high := importOne(t, loader, b.dealerA, pruneDoc(11, 5, 3))
	if _, _, postings, has = termState(t, b, high); !has || postings != keep+1 {
		t.Fatalf("high-impact document: posting written %v, %d postings", has, postings)
	}
	checkIndexConsistent(t, b)
	// The search ranks from the best postings, which are all there.
	res, err := b.svc.Retrieve(ctx, knowledge.SearchQuery{DealershipID: b.dealerA, Query: "zorblat", TopK: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) == 0 || res[0].DocumentId != high {
		t.Fatalf("search for the pruned word: %v; want document %s first", res, high)
	}
	// Deleting documents until the frequency has fallen by a quarter recomputes the
	// floor; with fewer than KeepPostings postings left there is none.
	for _, id := range append(ids[:3], high) {
		if err := b.svc.Delete(ctx, b.dealerA, id); err != nil {
			t.Fatal(err)
		}
	}
	df, floor, postings, _ = termState(t, b, ids[3])
	if df != 2 || postings != 1 || floor != 0 {
		t.Fatalf("after deletes: df %d, %d postings, floor %v; want 2, 1, 0", df, postings, floor)
	}
	// Without a floor, every posting is written again. (The low-impact posting pruned
	// earlier stays missing: see Config.KeepPostings.)
	again := importOne(t, loader, b.dealerA, pruneDoc(12, 1, 60))
	if _, _, _, has := termState(t, b, again); !has {
		t.Fatal("a posting was pruned after the floor went")
	}
	checkIndexConsistent(t, b)
}

func TestRefreshPostingFloors(t *testing.T) {
	const keep = 3
	b := setupPruning(t, keep)
	ctx := context.Background()
	// A bulk load with pruning off writes every posting and sets no floor.
	bulk := knowledge.NewLoader(b.svc, knowledge.LoaderConfig{KeepEveryPosting: true})
	var last string
	for i := 0; i < 6; i++ {
		last = importOne(t, bulk, b.dealerA, pruneDoc(i, 1+i%3, 10))
	}
	if df, floor, postings, _ := termState(t, b, last); df != 6 || postings != 6 || floor != 0 {
		t.Fatalf("bulk load: df %d, %d postings, floor %v; want 6, 6, 0", df, postings, floor)
	}
	n, err := bulk.RefreshPostingFloors(ctx, b.dealerA)
	if err != nil {
		t.Fatal(err)
	}
	var third float32
	if err := b.pool.QueryRow(ctx, `SELECT impact FROM knowledge_postings WHERE dealership_id = $1 AND term = 'zorblat'
		ORDER BY impact DESC OFFSET $2 - 1 LIMIT 1`, b.dealerA, keep).Scan(&third); err != nil {
		t.Fatal(err)
	}
	if _, floor, _, _ := termState(t, b, last); n != 1 || floor != third {
		t.Fatalf("refresh set %d floors, floor %v; want 1, %v (the %dth best impact)", n, floor, third, keep)
	}
	// Another dealership's lexemes are not touched.
	var other int
	if err := b.pool.QueryRow(ctx, `SELECT count(*) FROM knowledge_terms WHERE dealership_id <> $1 AND floor > 0`, b.dealerA).Scan(&other); err != nil {
		t.Fatal(err)
	}
	if other != 0 {
		t.Fatalf("%d floors set outside the dealership", other)
	}
	checkIndexConsistent(t, b)
}

func TestKeepPostingsBelowTermPostings(t *testing.T) {
	b := setup(t, setupOpts{noWorkers: true})
	cfg := b.cfg
	cfg.KeepPostings, cfg.Ranking.TermPostings = 10, 20
	if _, err := knowledge.New(context.Background(), cfg); !errors.Is(err, knowledge.ErrInvalidConfig) {
		t.Fatalf("KeepPostings below TermPostings: %v, want ErrInvalidConfig", err)
	}
}
