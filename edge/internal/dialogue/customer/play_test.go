package customer_test

import (
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/avatar-fi/avatar/edge/internal/dialogue"
	"github.com/avatar-fi/avatar/edge/internal/dialogue/customer"
	"github.com/avatar-fi/avatar/edge/internal/dialogue/technique"
	scenariov1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1"
)

// builtinDir is where the core keeps the built-in scenarios it serves.
const builtinDir = "../../../../core/internal/scenario/builtin"

func loadScenario(t *testing.T, slug string) *scenariov1.Scenario {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(builtinDir, slug+".json"))
	if err != nil {
		t.Fatalf("read scenario: %v", err)
	}
	var sc scenariov1.Scenario
	if err := protojson.Unmarshal(b, &sc); err != nil {
		t.Fatalf("parse %s: %v", slug, err)
	}
	return &sc
}

var classifier = func() *technique.Classifier {
	c, err := technique.New()
	if err != nil {
		panic(err)
	}
	return c
}()

// turn is one exchange of a played session.
type turn struct {
	trainee, customer string
	result            dialogue.Result
}

// play runs lines through a fresh customer of sc, committing each reply in
// full as text chat does, and returns the engine and the exchanges.
func play(t *testing.T, sc *scenariov1.Scenario, seed string, lines []string) (*customer.Engine, []turn) {
	t.Helper()
	e, err := customer.New(customer.Config{Scenario: sc, Classifier: classifier, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("CUSTOMER: %s", e.Opening())
	var out []turn
	for _, l := range lines {
		p, err := e.Prepare(t.Context(), l)
		if err != nil {
			t.Fatal(err)
		}
		text, err := dialogue.Text(t.Context(), p)
		if err != nil {
			t.Fatal(err)
		}
		e.Commit(p, text)
		out = append(out, turn{trainee: l, customer: text, result: p.Result()})
		t.Logf("TRAINEE: %s  %v", l, p.Result().Techniques)
		t.Logf("CUSTOMER (warmth %d): %s", e.Warmth(), text)
	}
	return e, out
}
