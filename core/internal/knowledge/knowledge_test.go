package knowledge_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/hmac"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/avatar-fi/avatar/core/internal/apitest"
	"github.com/avatar-fi/avatar/core/internal/knowledge"
	"github.com/avatar-fi/avatar/core/internal/knowledge/embed"
	"github.com/avatar-fi/avatar/core/internal/knowledge/extract"
	"github.com/avatar-fi/avatar/core/internal/webhook"
	eventsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/events/v1"
	knowledgev1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/knowledge/v1"
	orgv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1"
)

const policyMD = `# Trade-in policy

Every trade-in vehicle gets a written appraisal within thirty minutes.

## Paperwork

- The appraisal stays valid for seven days.
- Bring the vehicle title and both keys.

# Financing

Customers with excellent credit qualify for the preferred rate on new sedans.
`

func md(title, filename string) *knowledgev1.DocumentMetadata {
	return &knowledgev1.DocumentMetadata{Title: title, Filename: filename}
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestUploadReadySearch(t *testing.T) {
	b := setup(t, setupOpts{})
	admin := as(b.dealerA, orgv1.Role_ROLE_DEALERSHIP_ADMIN)
	trainee := as(b.dealerA, orgv1.Role_ROLE_TRAINEE)
	for _, tc := range []struct {
		name   string
		client string
	}{{"connect", "connect"}, {"grpc", "grpc"}} {
		t.Run(tc.name, func(t *testing.T) {
			c := b.connect
			if tc.client == "grpc" {
				c = b.grpc
			}
			doc, err := b.upload(t, c, admin, md("Policy "+tc.name, "policy.pdf"), fixture(t, "policy.pdf"))
			if err != nil {
				t.Fatal(err)
			}
			if doc.Status != knowledgev1.DocumentStatus_DOCUMENT_STATUS_PENDING || doc.ContentType != extract.TypePDF {
				t.Fatalf("upload answered %v", doc)
			}
			// Watch streams progress until READY.
			req := connect.NewRequest(&knowledgev1.WatchDocumentRequest{Id: doc.Id})
			trainee(req.Header())
			stream, err := c.WatchDocument(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			var last *knowledgev1.WatchDocumentResponse
			for stream.Receive() {
				last = stream.Msg()
			}
			if err := stream.Err(); err != nil {
				t.Fatal(err)
			}
			if last.Document.Status != knowledgev1.DocumentStatus_DOCUMENT_STATUS_READY || last.Percent != 100 || last.Document.ChunkCount < 1 {
				t.Fatalf("watch ended with %v", last)
			}
			res := b.search(t, c, trainee, "preferred APR credit score")
			if len(res) == 0 || res[0].DocumentId != doc.Id || res[0].GetPage() != 2 || !strings.Contains(res[0].Text, "3.9 percent") || res[0].Score <= 0 {
				t.Fatalf("search results %v", res)
			}
			if res[0].GetSection() != "Financing" || res[0].Title != "Policy "+tc.name {
				t.Fatalf("section %q title %q", res[0].GetSection(), res[0].Title)
			}
			// Identical bytes are de-duplicated.
			again, err := b.upload(t, c, admin, md("Again", "again.pdf"), fixture(t, "policy.pdf"))
			if err != nil || again.Id != doc.Id {
				t.Fatalf("duplicate upload made %v, %v", again, err)
			}
			del := connect.NewRequest(&knowledgev1.DeleteDocumentRequest{Id: doc.Id})
			admin(del.Header())
			if _, err := c.DeleteDocument(context.Background(), del); err != nil {
				t.Fatal(err)
			}
			for _, r := range b.search(t, c, trainee, "preferred APR credit score") {
				if r.DocumentId == doc.Id {
					t.Fatalf("deleted document still found: %v", r)
				}
			}
			checkTermCounts(t, b)
		})
	}
	t.Run("markdown sections and lists", func(t *testing.T) {
		doc, err := b.upload(t, b.connect, admin, md("Trade-ins", "policy.md"), []byte(policyMD))
		if err != nil {
			t.Fatal(err)
		}
		if d := b.waitFinal(t, trainee, doc.Id, 1); d.Status != knowledgev1.DocumentStatus_DOCUMENT_STATUS_READY {
			t.Fatalf("document %v", d)
		}
		res := b.search(t, b.connect, trainee, "what do I bring with the title and keys")
		if len(res) == 0 || res[0].GetSection() != "Trade-in policy > Paperwork" {
			t.Fatalf("results %v", res)
		}
		checkTermCounts(t, b)
	})
	t.Run("trainees cannot upload, anonymous cannot search", func(t *testing.T) {
		_, err := b.upload(t, b.connect, trainee, md("x", "x.txt"), []byte("hello"))
		if connect.CodeOf(err) != connect.CodePermissionDenied {
			t.Fatalf("trainee upload: %v", err)
		}
		_, err = b.connect.Search(context.Background(), connect.NewRequest(&knowledgev1.SearchRequest{Query: "x"}))
		if connect.CodeOf(err) != connect.CodeUnauthenticated {
			t.Fatalf("anonymous search: %v", err)
		}
	})
}

func TestTenantIsolation(t *testing.T) {
	b := setup(t, setupOpts{})
	adminA := as(b.dealerA, orgv1.Role_ROLE_DEALERSHIP_ADMIN)
	adminB := as(b.dealerB, orgv1.Role_ROLE_DEALERSHIP_ADMIN)
	doc, err := b.upload(t, b.connect, adminA, md("A's policy", "a.md"), []byte(policyMD))
	if err != nil {
		t.Fatal(err)
	}
	b.waitFinal(t, adminA, doc.Id, 1)
	// B uploads the same bytes: its own document, not A's.
	docB, err := b.upload(t, b.connect, adminB, md("B's policy", "b.md"), []byte(policyMD))
	if err != nil || docB.Id == doc.Id || docB.DealershipId != b.dealerB {
		t.Fatalf("B's upload %v, %v", docB, err)
	}
	get := connect.NewRequest(&knowledgev1.GetDocumentRequest{Id: doc.Id})
	adminB(get.Header())
	if _, err := b.connect.GetDocument(context.Background(), get); connect.CodeOf(err) != connect.CodeNotFound {
		t.Fatalf("B got A's document: %v", err)
	}
	del := connect.NewRequest(&knowledgev1.DeleteDocumentRequest{Id: doc.Id})
	adminB(del.Header())
	if _, err := b.connect.DeleteDocument(context.Background(), del); connect.CodeOf(err) != connect.CodeNotFound {
		t.Fatalf("B deleted A's document: %v", err)
	}
	list := connect.NewRequest(&knowledgev1.ListDocumentsRequest{})
	adminB(list.Header())
	lres, err := b.connect.ListDocuments(context.Background(), list)
	if err != nil || len(lres.Msg.Documents) != 1 || lres.Msg.Documents[0].Id != docB.Id {
		t.Fatalf("B's list %v, %v", lres, err)
	}
	b.waitFinal(t, adminB, docB.Id, 1)
	for _, r := range b.search(t, b.connect, adminB, "appraisal trade-in") {
		if r.DocumentId != docB.Id {
			t.Fatalf("B's search returned A's chunk %v", r)
		}
	}
	for _, r := range b.search(t, b.connect, adminA, "appraisal trade-in") {
		if r.DocumentId != doc.Id {
			t.Fatalf("A's search returned B's chunk %v", r)
		}
	}
}

// checkTermCounts fails unless every document frequency in knowledge_terms equals the
// number of postings of its term.
func checkTermCounts(t *testing.T, b *bundle) {
	t.Helper()
	// Each document frequency counts the chunks whose tsvector holds the lexeme. A
	// lexeme that never had a floor (floor_df 0) has a posting in every such chunk; one
	// with a floor has at least KeepPostings of them (the pruned ones were at or below
	// the floor); one whose floor went (deletes) has at most one per chunk.
	cfg, err := b.cfg.WithDefaults()
	if err != nil {
		t.Fatal(err)
	}
	var badDF, badPostings int
	if err := b.pool.QueryRow(context.Background(), `WITH c AS (
			SELECT c.dealership_id, x.lexeme AS term, count(*) AS n FROM knowledge_chunks c, unnest(c.tsv) x GROUP BY 1, 2
		), p AS (
			SELECT dealership_id, term, count(*) AS n FROM knowledge_postings GROUP BY 1, 2
		), k AS (
			SELECT dealership_id, term, df, floor, floor_df FROM knowledge_terms WHERE df <> 0
		)
		SELECT (SELECT count(*) FROM c FULL JOIN k USING (dealership_id, term) WHERE c.n IS DISTINCT FROM k.df),
			(SELECT count(*) FROM k LEFT JOIN p USING (dealership_id, term)
				WHERE CASE WHEN k.floor_df = 0 THEN coalesce(p.n, 0) <> k.df
					WHEN k.floor > 0 THEN coalesce(p.n, 0) NOT BETWEEN least($1, k.df) AND k.df
					ELSE coalesce(p.n, 0) > k.df END)
			+ (SELECT count(*) FROM p LEFT JOIN k USING (dealership_id, term) WHERE k.term IS NULL)`,
		cfg.KeepPostings).Scan(&badDF, &badPostings); err != nil {
		t.Fatal(err)
	}
	if badDF != 0 || badPostings != 0 {
		t.Fatalf("%d document frequencies disagree with the chunks, %d with the postings", badDF, badPostings)
	}
}

func chunkCounts(t *testing.T, b *bundle, docID string) (chunks, dupPostings, statChunks int) {
	t.Helper()
	ctx := context.Background()
	if err := b.pool.QueryRow(ctx, `SELECT count(*) FROM knowledge_chunks WHERE document_id = $1`, docID).Scan(&chunks); err != nil {
		t.Fatal(err)
	}
	if err := b.pool.QueryRow(ctx, `SELECT count(*) - count(DISTINCT (c.ord, p.term)) FROM knowledge_postings p JOIN knowledge_chunks c ON c.id = p.chunk_id WHERE p.document_id = $1`, docID).Scan(&dupPostings); err != nil {
		t.Fatal(err)
	}
	if err := b.pool.QueryRow(ctx, `SELECT s.chunk_count FROM knowledge_stats s JOIN knowledge_documents d ON d.dealership_id = s.dealership_id WHERE d.id = $1`, docID).Scan(&statChunks); err != nil {
		t.Fatal(err)
	}
	return
}

func TestRedeliveryIsIdempotent(t *testing.T) {
	b := setup(t, setupOpts{noWorkers: true})
	admin := as(b.dealerA, orgv1.Role_ROLE_DEALERSHIP_ADMIN)
	doc, err := b.upload(t, b.connect, admin, md("Policy", "p.md"), []byte(policyMD))
	if err != nil {
		t.Fatal(err)
	}
	// The same job delivered twice more (new message ids defeat the publish de-dupe),
	// before any worker runs: three deliveries, processed concurrently.
	job, _ := proto.Marshal(&eventsv1.IngestJob{Kind: eventsv1.IngestJobKind_INGEST_JOB_KIND_INGEST, DealershipId: b.dealerA, DocumentId: doc.Id, Version: 1})
	for i := 0; i < 2; i++ {
		if _, err := b.bus.JS.Publish(context.Background(), b.bus.Names.Subject("ingest", "job", b.dealerA), job, jetstream.WithMsgID("dup-"+apitest.RandHex(4))); err != nil {
			t.Fatal(err)
		}
	}
	b.startWorkers(t)
	d := b.waitFinal(t, admin, doc.Id, 1)
	// Let the duplicates drain.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		info, err := b.bus.JS.Stream(context.Background(), b.bus.Names.IngestStream)
		if err != nil {
			t.Fatal(err)
		}
		if st, _ := info.Info(context.Background()); st != nil && st.State.Msgs == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	chunks, dups, stat := chunkCounts(t, b, doc.Id)
	if chunks != int(d.ChunkCount) || chunks == 0 || dups != 0 || stat != chunks {
		t.Fatalf("chunks %d (document says %d), duplicate postings %d, stats %d", chunks, d.ChunkCount, dups, stat)
	}
}

func TestFailedVersionKeepsOldSearchable(t *testing.T) {
	b := setup(t, setupOpts{})
	admin := as(b.dealerA, orgv1.Role_ROLE_DEALERSHIP_ADMIN)
	doc, err := b.upload(t, b.connect, admin, md("Policy", "p.md"), []byte(policyMD))
	if err != nil {
		t.Fatal(err)
	}
	b.waitFinal(t, admin, doc.Id, 1)
	dead := make(chan *nats.Msg, 4)
	sub, err := b.bus.Conn.ChanSubscribe(b.bus.Names.Subject("ingest", "dead", ">"), dead)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	v2 := md("", "p2.pdf")
	v2.ReplacesDocumentId = doc.Id
	up, err := b.upload(t, b.connect, admin, v2, fixture(t, "corrupt.pdf"))
	if err != nil || up.Version != 2 {
		t.Fatalf("v2 upload %v, %v", up, err)
	}
	d := b.waitFinal(t, admin, doc.Id, 2)
	if d.Status != knowledgev1.DocumentStatus_DOCUMENT_STATUS_FAILED || !strings.Contains(d.FailureReason, "damaged") {
		t.Fatalf("v2 ended %v", d)
	}
	select {
	case m := <-dead:
		if m.Header.Get("Avatar-Failure-Reason") == "" {
			t.Fatal("dead letter without a reason")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no dead letter")
	}
	res := b.search(t, b.connect, admin, "appraisal within thirty minutes")
	if len(res) == 0 || res[0].DocumentId != doc.Id {
		t.Fatalf("v1 not searchable after v2 failed: %v", res)
	}
	// A good v3 replaces v1's chunks atomically.
	v3 := md("", "p3.txt")
	v3.ReplacesDocumentId = doc.Id
	if _, err := b.upload(t, b.connect, admin, v3, []byte("Oil changes are free for the first two years of ownership.")); err != nil {
		t.Fatal(err)
	}
	if d := b.waitFinal(t, admin, doc.Id, 3); d.Status != knowledgev1.DocumentStatus_DOCUMENT_STATUS_READY || d.Version != 3 {
		t.Fatalf("v3 ended %v", d)
	}
	for _, r := range b.search(t, b.connect, admin, "appraisal within thirty minutes") {
		if strings.Contains(r.Text, "appraisal") {
			t.Fatalf("v1 chunks survived v3: %v", r)
		}
	}
	if res := b.search(t, b.connect, admin, "free oil changes"); len(res) != 1 {
		t.Fatalf("v3 not searchable: %v", res)
	}
	checkTermCounts(t, b)
}

// TestTransientFailuresRetryThenDeadLetter uses the OpenAI-compatible client against an
// in-process server that always answers 503: the job retries with backoff, then ends
// FAILED with an actionable reason.
func TestTransientFailuresRetryThenDeadLetter(t *testing.T) {
	var calls int
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		mu.Unlock()
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"error":{"message":"overloaded"}}`))
	}))
	defer srv.Close()
	emb, err := embed.NewOpenAI(embed.OpenAIConfig{BaseURL: srv.URL + "/v1", Model: "m", Dims: 8, MaxRetries: 1, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	b := setup(t, setupOpts{embedder: emb, tweak: func(c *knowledge.Config) { c.Ranking.VectorWeight = -1 }})
	admin := as(b.dealerA, orgv1.Role_ROLE_DEALERSHIP_ADMIN)
	doc, err := b.upload(t, b.connect, admin, md("Policy", "p.md"), []byte(policyMD))
	if err != nil {
		t.Fatal(err)
	}
	d := b.waitFinal(t, admin, doc.Id, 1)
	if d.Status != knowledgev1.DocumentStatus_DOCUMENT_STATUS_FAILED || !strings.Contains(d.FailureReason, "after 3 attempts") || !strings.Contains(d.FailureReason, "embeddings provider") {
		t.Fatalf("document %v", d)
	}
	mu.Lock()
	defer mu.Unlock()
	if calls != 6 { // 3 deliveries × (1 try + 1 retry)
		t.Fatalf("provider calls %d", calls)
	}
}

func TestCacheInvalidation(t *testing.T) {
	b := setup(t, setupOpts{})
	admin := as(b.dealerA, orgv1.Role_ROLE_DEALERSHIP_ADMIN)
	changed := make(chan *nats.Msg, 8)
	sub, err := b.bus.Conn.ChanSubscribe(b.bus.Names.Subject("knowledge", "changed", b.dealerA), changed)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	doc, err := b.upload(t, b.connect, admin, md("Policy", "p.md"), []byte(policyMD))
	if err != nil {
		t.Fatal(err)
	}
	b.waitFinal(t, admin, doc.Id, 1)
	var ev eventsv1.KnowledgeChanged
	select {
	case m := <-changed:
		if err := proto.Unmarshal(m.Data, &ev); err != nil || ev.DealershipId != b.dealerA || ev.DocumentId != doc.Id || ev.Version < 1 {
			t.Fatalf("event %v %v", &ev, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no KnowledgeChanged event")
	}
	first := b.search(t, b.connect, admin, "free oil changes")
	keys, _ := b.rdb.Keys(context.Background(), b.cfg.KeyPrefix+"knowledge:search:*").Result()
	if len(keys) != 1 {
		t.Fatalf("cache keys after a miss: %v", keys)
	}
	// A hit returns the same answer without touching PostgreSQL: prove it by poisoning
	// the cached entry's source (no rows change), then by a real change.
	if again := b.search(t, b.connect, admin, "  Free OIL changes "); !proto.Equal(&knowledgev1.SearchResponse{Results: first}, &knowledgev1.SearchResponse{Results: again}) {
		t.Fatalf("normalised query missed the cache: %v vs %v", first, again)
	}
	if keys2, _ := b.rdb.Keys(context.Background(), b.cfg.KeyPrefix+"knowledge:search:*").Result(); len(keys2) != 1 {
		t.Fatalf("normalised query made a new entry: %v", keys2)
	}
	doc2, err := b.upload(t, b.connect, admin, md("Service", "s.txt"), []byte("Oil changes are free for the first two years of ownership."))
	if err != nil {
		t.Fatal(err)
	}
	b.waitFinal(t, admin, doc2.Id, 1)
	select {
	case m := <-changed:
		var ev2 eventsv1.KnowledgeChanged
		if err := proto.Unmarshal(m.Data, &ev2); err != nil || ev2.Version <= ev.Version {
			t.Fatalf("second event %v", &ev2)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no second KnowledgeChanged event")
	}
	after := b.search(t, b.connect, admin, "free oil changes")
	if len(after) == 0 || after[0].DocumentId != doc2.Id {
		t.Fatalf("stale cache after a change: %v", after)
	}
}

func docx(t *testing.T, doc string, extra int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("word/document.xml")
	_, _ = io.WriteString(w, doc)
	for i := 0; i < extra; i++ {
		w, _ := zw.Create("pad/" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + "/" + time.Duration(i).String())
		_, _ = w.Write([]byte("x"))
	}
	_ = zw.Close()
	return buf.Bytes()
}

func TestHostileFiles(t *testing.T) {
	b := setup(t, setupOpts{tweak: func(c *knowledge.Config) {
		c.MaxUploadBytes = 1 << 20
		c.Limits = extract.Limits{MaxPages: 3, MaxDecompressedBytes: 2 << 20, MaxEntries: 50}
	}})
	admin := as(b.dealerA, orgv1.Role_ROLE_DEALERSHIP_ADMIN)
	bomb := docx(t, `<w:document xmlns:w="x"><w:body><w:p><w:r><w:t>`+strings.Repeat("A", 8<<20)+`</w:t></w:r></w:p></w:body></w:document>`, 0)
	tests := []struct {
		name, filename string
		data           []byte
		wantReason     string // upload error reason
		wantFailure    string // FAILED reason substring
	}{
		{name: "empty", filename: "empty.pdf", data: nil, wantFailure: "empty"},
		{name: "corrupt pdf", filename: "c.pdf", data: fixture(t, "corrupt.pdf"), wantFailure: "damaged"},
		{name: "encrypted pdf", filename: "e.pdf", data: fixture(t, "encrypted.pdf"), wantFailure: "password-protected"},
		{name: "too many pages", filename: "five.pdf", data: fixture(t, "five-pages.pdf"), wantFailure: "too many pages"},
		{name: "renamed png", filename: "photo.pdf", data: []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00"), wantReason: "UNSUPPORTED_MEDIA"},
		{name: "renamed executable", filename: "manual.docx", data: []byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00"), wantReason: "UNSUPPORTED_MEDIA"},
		{name: "zip renamed docx", filename: "x.docx", data: func() []byte {
			var buf bytes.Buffer
			zw := zip.NewWriter(&buf)
			w, _ := zw.Create("notes.txt")
			_, _ = w.Write([]byte("hi"))
			_ = zw.Close()
			return buf.Bytes()
		}(), wantReason: "UNSUPPORTED_MEDIA"},
		{name: "docx bomb", filename: "bomb.docx", data: bomb, wantFailure: "too large"},
		{name: "docx with too many entries", filename: "many.docx", data: docx(t, `<w:document/>`, 60), wantFailure: "entries"},
		{name: "oversized upload", filename: "big.txt", data: bytes.Repeat([]byte("word "), 300<<10), wantReason: "PAYLOAD_TOO_LARGE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := b.upload(t, b.connect, admin, md(tc.name, tc.filename), tc.data)
			if tc.wantReason != "" {
				if got := reason(err); got != tc.wantReason {
					t.Fatalf("upload error %v (reason %s), want %s", err, got, tc.wantReason)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			d := b.waitFinal(t, admin, doc.Id, 1)
			if d.Status != knowledgev1.DocumentStatus_DOCUMENT_STATUS_FAILED || !strings.Contains(d.FailureReason, tc.wantFailure) {
				t.Fatalf("document ended %v %q, want FAILED with %q", d.Status, d.FailureReason, tc.wantFailure)
			}
		})
	}
}

func TestWebhook(t *testing.T) {
	type delivery struct {
		header http.Header
		body   []byte
	}
	got := make(chan delivery, 4)
	var fails int
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if fails < 1 { // the first attempt fails: deliveries are retried
			fails++
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		got <- delivery{r.Header.Clone(), body}
	}))
	defer hook.Close()
	b := setup(t, setupOpts{})
	admin := as(b.dealerA, orgv1.Role_ROLE_DEALERSHIP_ADMIN)
	secret := "s3cret-s3cret-s3cret"
	set := connect.NewRequest(&knowledgev1.SetWebhookRequest{Url: hook.URL + "/hook", Secret: secret})
	admin(set.Header())
	if _, err := b.connect.SetWebhook(context.Background(), set); err != nil {
		t.Fatal(err)
	}
	gw := connect.NewRequest(&knowledgev1.GetWebhookRequest{})
	admin(gw.Header())
	if res, err := b.connect.GetWebhook(context.Background(), gw); err != nil || res.Msg.Url != hook.URL+"/hook" {
		t.Fatalf("get webhook %v %v", res, err)
	}
	doc, err := b.upload(t, b.connect, admin, md("Policy", "p.md"), []byte(policyMD))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case d := <-got:
		want := webhook.Sign([]byte(secret), d.header.Get("X-Avatar-Timestamp"), d.body)
		if !hmac.Equal([]byte(want), []byte(d.header.Get("X-Avatar-Signature"))) || d.header.Get("X-Avatar-Event") != "document.ready" {
			t.Fatalf("delivery headers %v", d.header)
		}
		var body struct {
			Document struct{ ID, Status string } `json:"document"`
		}
		if err := json.Unmarshal(d.body, &body); err != nil || body.Document.ID != doc.Id || body.Document.Status != "DOCUMENT_STATUS_READY" {
			t.Fatalf("delivery body %s", d.body)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no webhook delivery")
	}

	t.Run("private targets refused by default", func(t *testing.T) {
		strict := setup(t, setupOpts{noWorkers: true, tweak: func(c *knowledge.Config) { c.WebhookAllowPrivate = false }})
		for _, u := range []string{"http://127.0.0.1:9/x", "http://10.1.2.3/x", "http://[::1]/x", "http://169.254.169.254/latest", "http://localhost/x"} {
			req := connect.NewRequest(&knowledgev1.SetWebhookRequest{Url: u, Secret: secret})
			as(strict.dealerA, orgv1.Role_ROLE_DEALERSHIP_ADMIN)(req.Header())
			if _, err := strict.connect.SetWebhook(context.Background(), req); connect.CodeOf(err) != connect.CodeInvalidArgument {
				t.Errorf("%s accepted: %v", u, err)
			}
		}
	})
}

func TestReembedOnEmbedderChange(t *testing.T) {
	small, _ := embed.NewHashed(64)
	b := setup(t, setupOpts{embedder: small})
	admin := as(b.dealerA, orgv1.Role_ROLE_DEALERSHIP_ADMIN)
	doc, err := b.upload(t, b.connect, admin, md("Policy", "p.md"), []byte(policyMD))
	if err != nil {
		t.Fatal(err)
	}
	b.waitFinal(t, admin, doc.Id, 1)
	b.stopWorks()
	<-b.workDone
	// Restart with the 384-dimension embedder on the same database and streams.
	big, _ := embed.NewHashed(0)
	cfg := b.cfg
	cfg.Embedder = big
	svc, err := knowledge.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = svc.Run(ctx) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var stale int
		if err := b.pool.QueryRow(context.Background(), `SELECT count(*) FROM knowledge_chunks WHERE embedder <> $1`, big.ID()).Scan(&stale); err != nil {
			t.Fatal(err)
		}
		if stale == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d chunks still on the old embedder", stale)
		}
		time.Sleep(50 * time.Millisecond)
	}
	res, err := svc.Retrieve(context.Background(), knowledge.SearchQuery{DealershipID: b.dealerA, Query: "appraisal title keys", TopK: 3})
	if err != nil || len(res) == 0 {
		t.Fatalf("search after re-embedding: %v %v", res, err)
	}
}
