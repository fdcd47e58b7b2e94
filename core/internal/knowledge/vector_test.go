package knowledge_test

import (
	"context"
	"math"
	"testing"

	"github.com/pgvector/pgvector-go"

	"github.com/avatar-fi/avatar/core/internal/knowledge"
	"github.com/avatar-fi/avatar/core/internal/knowledge/embed"
	"github.com/avatar-fi/avatar/core/internal/knowledge/search"
	orgv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/org/v1"
)

var vectorDocs = []struct{ title, text string }{
	{"GAP", "# Guaranteed asset protection\n\nGAP insurance pays the difference between the loan payoff and the insurer's settlement when the vehicle is totalled or stolen."},
	{"Tires", "# Tire and wheel protection\n\nRoad hazard damage to tyres and rims is repaired or replaced, including mounting and balancing, for the term of the plan."},
	{"Service", "# Vehicle service contract\n\nMechanical breakdowns after the factory warranty ends are covered, with a deductible per visit and roadside assistance."},
}

func cosine(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return dot / math.Sqrt(na*nb)
}

// TestVectorQueryFeedback checks the vector side's query: blended with the best lexical
// results' vectors (pseudo-relevance feedback) when BM25 finds something, the query's
// own embedding when it finds nothing or feedback is off; and a misspelt query that
// BM25 cannot match still finds its document through the vector side.
func TestVectorQueryFeedback(t *testing.T) {
	b := setup(t, setupOpts{})
	ctx := context.Background()
	admin := as(b.dealerA, orgv1.Role_ROLE_DEALERSHIP_ADMIN)
	ids := map[string]string{}
	for _, d := range vectorDocs {
		doc, err := b.upload(t, b.connect, admin, md(d.title, d.title+".md"), []byte(d.text))
		if err != nil {
			t.Fatal(err)
		}
		b.waitFinal(t, admin, doc.Id, 1)
		ids[d.title] = doc.Id
	}
	var raw string
	if err := b.pool.QueryRow(ctx, `SELECT embedding::text FROM knowledge_chunks WHERE document_id = $1`, ids["GAP"]).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	var gap pgvector.Vector
	if err := gap.Parse(raw); err != nil {
		t.Fatal(err)
	}
	emb, _ := embed.NewHashed(0)

	const query = "loan payoff when the car is stolen"
	own := emb.Vector(query)
	fb, err := b.searcher(t, search.Ranking{}).QueryVector(ctx, b.dealerA, query)
	if err != nil {
		t.Fatal(err)
	}
	// Default: feedback from the best lexical results, the query's share 0.3.
	if c := cosine(fb, own); c > 0.99 {
		t.Fatalf("feedback query is the query's own vector (cosine %.3f)", c)
	}
	if cf, co := cosine(fb, gap.Slice()), cosine(own, gap.Slice()); cf <= co || cf < 0.8 {
		t.Fatalf("feedback query to the GAP chunk: cosine %.3f, query's own vector %.3f", cf, co)
	}

	// Nothing lexical: the query's own vector, and the vector side still finds GAP.
	const typo = "gapp insurrance"
	fb, err = b.searcher(t, search.Ranking{}).QueryVector(ctx, b.dealerA, typo)
	if err != nil {
		t.Fatal(err)
	}
	if c := cosine(fb, emb.Vector(typo)); c < 0.9999 {
		t.Fatalf("no lexical result: query vector differs from the query's embedding (cosine %.4f)", c)
	}
	res, err := b.svc.Retrieve(ctx, knowledge.SearchQuery{DealershipID: b.dealerA, Query: typo, TopK: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) == 0 || res[0].DocumentId != ids["GAP"] {
		t.Fatalf("misspelt query found %v, want GAP first", res)
	}
	lexical, err := b.searcher(t, search.Ranking{VectorWeight: -1}).Search(ctx,
		search.Query{DealershipID: b.dealerA, Query: typo, TopK: 3})
	if err != nil || len(lexical) != 0 {
		t.Fatalf("lexical side alone found %v, %v for a misspelt query; the test needs it to find nothing", lexical, err)
	}

	// Feedback off: the query's own vector.
	fb, err = b.searcher(t, search.Ranking{Feedback: -1}).QueryVector(ctx, b.dealerA, query)
	if err != nil {
		t.Fatal(err)
	}
	if c := cosine(fb, own); c < 0.9999 {
		t.Fatalf("feedback off: cosine to the query's embedding %.4f", c)
	}
}

// TestSearchWithFeedbackAndTags runs the feedback path under a tag filter: only tagged
// documents come back, from both sides.
func TestSearchWithFeedbackAndTags(t *testing.T) {
	b := setup(t, setupOpts{})
	ctx := context.Background()
	admin := as(b.dealerA, orgv1.Role_ROLE_DEALERSHIP_ADMIN)
	ids := map[string]string{}
	for i, d := range vectorDocs {
		m := md(d.title, d.title+".md")
		if i == 1 {
			m.Tags = []string{"tires"}
		}
		doc, err := b.upload(t, b.connect, admin, m, []byte(d.text))
		if err != nil {
			t.Fatal(err)
		}
		b.waitFinal(t, admin, doc.Id, 1)
		ids[d.title] = doc.Id
	}
	res, err := b.svc.Retrieve(ctx, knowledge.SearchQuery{DealershipID: b.dealerA, Query: "what is covered", TopK: 10, Tags: []string{"tires"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].DocumentId != ids["Tires"] {
		t.Fatalf("tag-filtered search found %v, want the tires document only", res)
	}
	res, err = b.svc.Retrieve(ctx, knowledge.SearchQuery{DealershipID: b.dealerA, Query: "what is covered", TopK: 10, Tags: []string{"none"}})
	if err != nil || len(res) != 0 {
		t.Fatalf("search under an unused tag: %v, %v", res, err)
	}
}
