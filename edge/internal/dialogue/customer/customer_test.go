package customer_test

import (
	"bufio"
	"os"
	"strings"
	"testing"

	scenariov1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1"
)

// builtins are the scenarios the core ships to every dealership.
var builtins = []string{
	"vsc-price-objection", "payment-focused-buyer", "gap-sceptic",
	"rate-shopper-outside-financing", "first-time-buyer-thin-credit", "no-extras-in-a-hurry",
}

// transcripts reads testdata/<slug>.txt: "# skilled" and "# pushy"
// sections of trainee lines.
func transcripts(t *testing.T, slug string) (skilled, pushy []string) {
	t.Helper()
	f, err := os.Open("testdata/" + slug + ".txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cur *[]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		switch {
		case l == "# skilled":
			cur = &skilled
		case l == "# pushy":
			cur = &pushy
		case l == "" || strings.HasPrefix(l, "#"):
		case cur != nil:
			*cur = append(*cur, l)
		}
	}
	if len(skilled) == 0 || len(pushy) == 0 {
		t.Fatalf("%s: both transcripts are required", slug)
	}
	return skilled, pushy
}

// TestBuiltInSessions plays each built-in scenario twice: a skilled trainee
// goes opening → objection raised → objection handled → the customer buys;
// a pushy, closed one loses the customer; the skilled scorecard is clearly
// higher.
func TestBuiltInSessions(t *testing.T) {
	for _, slug := range builtins {
		t.Run(slug, func(t *testing.T) {
			sc := loadScenario(t, slug)
			skilled, pushy := transcripts(t, slug)

			e, turns := play(t, sc, "skilled-"+slug, skilled)
			good := e.Grade()
			if e.Opening() == "" {
				t.Error("no opening")
			}
			raisedAt, handledAt := -1, -1
			for i, tu := range turns {
				for _, ob := range sc.GetObjectionDetails() {
					if raisedAt < 0 && contains(ob.GetLines(), tu.customer) {
						raisedAt = i
					}
					if handledAt < 0 && contains(ob.GetHandledLines(), tu.customer) {
						handledAt = i
					}
				}
			}
			if raisedAt < 0 || handledAt <= raisedAt {
				t.Errorf("objection raised at turn %d, handled at %d: want raised, then handled", raisedAt+1, handledAt+1)
			}
			if good.GetOutcome() != scenariov1.Outcome_OUTCOME_BOUGHT || len(good.GetProductsBought()) == 0 {
				t.Errorf("skilled session: outcome %v, bought %v; want a purchase", good.GetOutcome(), good.GetProductsBought())
			}

			ep, _ := play(t, sc, "pushy-"+slug, pushy)
			bad := ep.Grade()
			if bad.GetOutcome() == scenariov1.Outcome_OUTCOME_BOUGHT {
				t.Errorf("pushy session bought: %v", bad.GetProductsBought())
			}
			t.Logf("scores: skilled %.1f (%v), pushy %.1f (%v)", good.GetOverallScore(), good.GetOutcome(), bad.GetOverallScore(), bad.GetOutcome())
			if good.GetOverallScore() < bad.GetOverallScore()+40 {
				t.Errorf("skilled %.1f is not clearly above pushy %.1f", good.GetOverallScore(), bad.GetOverallScore())
			}
			for _, it := range good.GetItems() {
				if it.GetComment() == "" {
					t.Errorf("item %q has no comment", it.GetCriterion())
				}
			}
			for _, it := range bad.GetItems() {
				if it.GetTechnique() == scenariov1.Technique_TECHNIQUE_PRESSURE && (it.GetScore() != 0 || !strings.Contains(it.GetComment(), "\u201c")) {
					t.Errorf("pushy session's pressure item: %.1f %q; want 0 with a quote", it.GetScore(), it.GetComment())
				}
			}
		})
	}
}

func contains(lines []string, text string) bool {
	for _, l := range lines {
		if strings.Contains(text, l) {
			return true
		}
	}
	return false
}
