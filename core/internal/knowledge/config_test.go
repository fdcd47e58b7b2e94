package knowledge_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/avatar-fi/avatar/core/internal/knowledge"
	"github.com/avatar-fi/avatar/core/internal/knowledge/search"
)

// TestConfigWithDefaults checks the posting-list settings New runs with, and that
// applying the defaults again changes nothing (so a reported configuration can be
// passed back to New).
func TestConfigWithDefaults(t *testing.T) {
	b := setup(t, setupOpts{noWorkers: true})
	for _, tc := range []struct {
		name         string
		keep, terms  int
		wantKeep     int
		wantTerms    int
		wantFeedback int
		feedback     int
		wantErr      error
	}{
		{name: "defaults", wantKeep: 2000, wantTerms: 500, wantFeedback: 5},
		{name: "every posting kept", keep: -1, wantKeep: -1, wantTerms: 500, wantFeedback: 5},
		{name: "any negative keeps every posting", keep: -7, wantKeep: -1, wantTerms: 500, wantFeedback: 5},
		{name: "four times a large term cap", terms: 1000, wantKeep: 4000, wantTerms: 1000, wantFeedback: 5},
		{name: "exact BM25 keeps every posting", terms: -1, wantKeep: -1, wantTerms: -1, wantFeedback: 5},
		{name: "feedback off stays off", feedback: -1, wantKeep: 2000, wantTerms: 500, wantFeedback: -1},
		{name: "keep below the term cap", keep: 10, terms: 20, wantErr: knowledge.ErrInvalidConfig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := b.cfg
			cfg.KeepPostings, cfg.Ranking = tc.keep, search.Ranking{TermPostings: tc.terms, Feedback: tc.feedback}
			got, err := cfg.WithDefaults()
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("error %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.KeepPostings != tc.wantKeep || got.Ranking.TermPostings != tc.wantTerms || got.Ranking.Feedback != tc.wantFeedback {
				t.Fatalf("KeepPostings %d, TermPostings %d, Feedback %d; want %d, %d, %d",
					got.KeepPostings, got.Ranking.TermPostings, got.Ranking.Feedback, tc.wantKeep, tc.wantTerms, tc.wantFeedback)
			}
			again, err := got.WithDefaults()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(again, got) {
				t.Fatalf("defaults applied twice changed the configuration:\n%+v\n%+v", got, again)
			}
		})
	}
}
