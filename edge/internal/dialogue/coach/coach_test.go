package coach_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/avatar-fi/avatar/edge/internal/dialogue"
	"github.com/avatar-fi/avatar/edge/internal/dialogue/coach"
	knowledgev1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/knowledge/v1"
)

// searchFunc is a Searcher over fixed passages or an error: these tests are
// about what the coach does with what a search returns (the relevance and
// end-to-end tests use the real core).
type searchFunc func(ctx context.Context, q string, k int) ([]*knowledgev1.SearchResult, error)

func (f searchFunc) Search(ctx context.Context, q string, k int) ([]*knowledgev1.SearchResult, error) {
	return f(ctx, q, k)
}

var passage = &knowledgev1.SearchResult{
	ChunkId: "c1", DocumentId: "d1", Title: "GAP",
	Text: "## What GAP does not cover\n\nGAP does not pay the primary insurance deductible. It does not cover late fees or missed payments.",
}

// writerFunc is a Writer streaming fixed deltas.
type writerFunc []string

func (w writerFunc) Write(_ context.Context, _ coach.Prompt, out func(string) error) error {
	for _, d := range w {
		if err := out(d); err != nil {
			return err
		}
	}
	return nil
}

func answer(t *testing.T, cfg coach.Config, q string) (string, dialogue.Result) {
	t.Helper()
	e, err := coach.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.Prepare(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	text, err := dialogue.Text(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	return text, p.Result()
}

func TestAnswers(t *testing.T) {
	found := searchFunc(func(context.Context, string, int) ([]*knowledgev1.SearchResult, error) {
		return []*knowledgev1.SearchResult{passage}, nil
	})
	tests := []struct {
		name      string
		cfg       coach.Config
		q         string
		want      string
		citations int
	}{
		{"extractive", coach.Config{Search: found}, "Does GAP pay the insurance deductible?", "GAP does not pay the primary insurance deductible.", 1},
		{"off topic", coach.Config{Search: found}, "What's the weather in Paris?", coach.NotFound, 0},
		{"empty question", coach.Config{Search: found}, "   ", coach.NotFound, 0},
		{"core down", coach.Config{Search: searchFunc(func(context.Context, string, int) ([]*knowledgev1.SearchResult, error) {
			return nil, errors.New("connection refused")
		})}, "Does GAP pay the deductible?", coach.SearchFailed, 0},
		{"rate limited", coach.Config{Search: searchFunc(func(context.Context, string, int) ([]*knowledgev1.SearchResult, error) {
			return nil, fmt.Errorf("%w: spent", coach.ErrSearchLimited)
		})}, "Does GAP pay the deductible?", coach.SearchLimited, 0},
		{"writer marks split across deltas", coach.Config{Search: found, Writer: writerFunc{"No, it doesn't pay the deductible [", "1]. Ask", " your manager."}},
			"Does GAP pay the insurance deductible?", "No, it doesn't pay the deductible. Ask your manager.", 1},
		{"writer cites nothing", coach.Config{Search: found, Writer: writerFunc{"The documents don't say."}},
			"Does GAP pay the insurance deductible?", "The documents don't say.", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, res := answer(t, tt.cfg, tt.q)
			if !strings.HasPrefix(text, tt.want) {
				t.Errorf("answer %q, want it to start %q", text, tt.want)
			}
			if len(res.Citations) != tt.citations {
				t.Errorf("citations %v, want %d", res.Citations, tt.citations)
			}
			if res.Unanswered != (tt.citations == 0) {
				t.Errorf("Unanswered %v with %d citations", res.Unanswered, len(res.Citations))
			}
			if strings.ContainsAny(text, "#[]") {
				t.Errorf("markup spoken: %q", text)
			}
		})
	}
}
