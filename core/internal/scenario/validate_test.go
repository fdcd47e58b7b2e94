package scenario_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/avatar-fi/avatar/core/internal/scenario"
	"github.com/avatar-fi/avatar/core/internal/validate"
	scenariov1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1"
)

func TestValidate(t *testing.T) {
	long := strings.Repeat("a", 2001)
	tech := func(ts ...scenariov1.Technique) []scenariov1.Technique { return ts }
	const (
		ack   = scenariov1.Technique_TECHNIQUE_ACKNOWLEDGE_OBJECTION
		value = scenariov1.Technique_TECHNIQUE_VALUE_BEFORE_PRICE
		alt   = scenariov1.Technique_TECHNIQUE_OFFER_ALTERNATIVE
	)
	tests := []struct {
		name   string
		change func(sc *scenariov1.Scenario)
		fields []string // exactly the violations expected; none for a valid scenario
	}{
		{name: "fixture is valid", change: func(*scenariov1.Scenario) {}},
		{name: "output-only fields are not checked", change: func(sc *scenariov1.Scenario) {
			sc.Id, sc.DealershipId, sc.Version, sc.CopiedFromId = "not-a-uuid", "x", -4, "y"
		}},
		{name: "no deal, disposition or rubric", change: func(sc *scenariov1.Scenario) {
			sc.Deal, sc.Disposition, sc.Rubric = nil, nil, nil
			sc.ObjectionDetails[1].ProductId = ""
		}},
		{name: "title missing", change: func(sc *scenariov1.Scenario) { sc.Title = "  " }, fields: []string{"scenario.title"}},
		{name: "title 201 characters", change: func(sc *scenariov1.Scenario) { sc.Title = strings.Repeat("é", 201) }, fields: []string{"scenario.title"}},
		{name: "title 200 characters", change: func(sc *scenariov1.Scenario) { sc.Title = strings.Repeat("é", 200) }},
		{name: "title two lines", change: func(sc *scenariov1.Scenario) { sc.Title = "a\nb" }, fields: []string{"scenario.title"}},
		{name: "invalid UTF-8", change: func(sc *scenariov1.Scenario) { sc.Goal = "\xff" }, fields: []string{"scenario.goal"}},
		{name: "description may have lines", change: func(sc *scenariov1.Scenario) { sc.Description = "one\ntwo\tthree" }},
		{name: "description with a control character", change: func(sc *scenariov1.Scenario) { sc.Description = "bell\a" }, fields: []string{"scenario.description"}},
		{name: "description 2001 characters", change: func(sc *scenariov1.Scenario) { sc.Description = long }, fields: []string{"scenario.description"}},
		{name: "no persona", change: func(sc *scenariov1.Scenario) { sc.Persona = nil }, fields: []string{"scenario.persona.name"}},
		{name: "persona name blank", change: func(sc *scenariov1.Scenario) { sc.Persona.Name = " " }, fields: []string{"scenario.persona.name"}},
		{name: "unknown voice", change: func(sc *scenariov1.Scenario) { sc.Persona.Voice = "alloy" }, fields: []string{"scenario.persona.voice"}},
		{name: "default voice", change: func(sc *scenariov1.Scenario) { sc.Persona.Voice = "" }},
		{name: "background too long", change: func(sc *scenariov1.Scenario) { sc.Persona.Background = long }, fields: []string{"scenario.persona.background"}},
		{name: "no opening", change: func(sc *scenariov1.Scenario) { sc.Openings = nil }, fields: []string{"scenario.openings"}},
		{name: "blank opening", change: func(sc *scenariov1.Scenario) { sc.Openings[1] = "" }, fields: []string{"scenario.openings[1]"}},
		{name: "11 openings", change: func(sc *scenariov1.Scenario) { sc.Openings = repeat("Hello.", 11) }, fields: []string{"scenario.openings"}},
		{name: "10 openings", change: func(sc *scenariov1.Scenario) { sc.Openings = repeat("Hello.", 10) }},
		{name: "21 objections", change: func(sc *scenariov1.Scenario) {
			sc.ObjectionDetails = objections(sc.ObjectionDetails[0], 21)
		}, fields: []string{"scenario.objectionDetails"}},
		{name: "20 objections", change: func(sc *scenariov1.Scenario) { sc.ObjectionDetails = objections(sc.ObjectionDetails[0], 20) }},
		{name: "21 objection summaries", change: func(sc *scenariov1.Scenario) { sc.Objections = repeat("x", 21) }, fields: []string{"scenario.objections"}},
		{name: "21 hidden facts", change: func(sc *scenariov1.Scenario) {
			h := sc.HiddenFactDetails[0]
			sc.HiddenFactDetails = nil
			for i := range 21 {
				sc.HiddenFactDetails = append(sc.HiddenFactDetails, &scenariov1.HiddenFact{Id: fmt.Sprintf("f%d", i), Fact: h.Fact, Cues: h.Cues, Lines: h.Lines})
			}
		}, fields: []string{"scenario.hiddenFactDetails"}},
		{name: "21 products", change: func(sc *scenariov1.Scenario) {
			for i := range 19 {
				sc.Deal.Products = append(sc.Deal.Products, &scenariov1.Product{Id: fmt.Sprintf("p%d", i), Name: "Product"})
			}
		}, fields: []string{"scenario.deal.products"}},
		{name: "21 rubric items", change: func(sc *scenariov1.Scenario) {
			for len(sc.Rubric) < 21 {
				sc.Rubric = append(sc.Rubric, &scenariov1.RubricItem{Criterion: "More", Weight: 1, Technique: value})
			}
		}, fields: []string{"scenario.rubric"}},
		{name: "duplicate objection id", change: func(sc *scenariov1.Scenario) { sc.ObjectionDetails[1].Id = sc.ObjectionDetails[0].Id }, fields: []string{"scenario.objectionDetails[1].id"}},
		{name: "objection id not a slug", change: func(sc *scenariov1.Scenario) { sc.ObjectionDetails[0].Id = "Payment!" }, fields: []string{"scenario.objectionDetails[0].id"}},
		{name: "objection id missing", change: func(sc *scenariov1.Scenario) { sc.ObjectionDetails[0].Id = "" }, fields: []string{"scenario.objectionDetails[0].id"}},
		{name: "duplicate product id", change: func(sc *scenariov1.Scenario) { sc.Deal.Products[1].Id = "vsc" }, fields: []string{"scenario.deal.products[1].id", "scenario.objectionDetails[1].productId"}},
		{name: "duplicate hidden fact id", change: func(sc *scenariov1.Scenario) {
			h := sc.HiddenFactDetails[0]
			sc.HiddenFactDetails = append(sc.HiddenFactDetails, &scenariov1.HiddenFact{Id: h.Id, Fact: h.Fact, Cues: h.Cues, Lines: h.Lines})
		}, fields: []string{"scenario.hiddenFactDetails[1].id"}},
		{name: "same id for an objection and a product", change: func(sc *scenariov1.Scenario) { sc.ObjectionDetails[1].Id = "gap" }},
		{name: "objection names an unknown product", change: func(sc *scenariov1.Scenario) { sc.ObjectionDetails[1].ProductId = "tire" }, fields: []string{"scenario.objectionDetails[1].productId"}},
		{name: "objection names a product without a deal", change: func(sc *scenariov1.Scenario) { sc.Deal = nil }, fields: []string{"scenario.objectionDetails[1].productId"}},
		{name: "objection without lines", change: func(sc *scenariov1.Scenario) { sc.ObjectionDetails[0].Lines = nil }, fields: []string{"scenario.objectionDetails[0].lines"}},
		{name: "objection without handled lines", change: func(sc *scenariov1.Scenario) { sc.ObjectionDetails[1].HandledLines = nil }, fields: []string{"scenario.objectionDetails[1].handledLines"}},
		{name: "objection without cues", change: func(sc *scenariov1.Scenario) { sc.ObjectionDetails[1].Cues = nil }},
		{name: "blank cue", change: func(sc *scenariov1.Scenario) { sc.ObjectionDetails[1].Cues = []string{" "} }, fields: []string{"scenario.objectionDetails[1].cues[0]"}},
		{name: "51 cues", change: func(sc *scenariov1.Scenario) { sc.ObjectionDetails[1].Cues = repeat("gap", 51) }, fields: []string{"scenario.objectionDetails[1].cues"}},
		{name: "cue of 201 characters", change: func(sc *scenariov1.Scenario) { sc.ObjectionDetails[1].Cues = []string{strings.Repeat("g", 201)} }, fields: []string{"scenario.objectionDetails[1].cues[0]"}},
		{name: "resolved by nothing", change: func(sc *scenariov1.Scenario) { sc.ObjectionDetails[0].ResolvedBy = nil }, fields: []string{"scenario.objectionDetails[0].resolvedBy"}},
		{name: "resolved by unspecified", change: func(sc *scenariov1.Scenario) {
			sc.ObjectionDetails[0].ResolvedBy = tech(scenariov1.Technique_TECHNIQUE_UNSPECIFIED, ack, value)
		}, fields: []string{"scenario.objectionDetails[0].resolvedBy[0]"}},
		{name: "resolved by an unknown technique", change: func(sc *scenariov1.Scenario) {
			sc.ObjectionDetails[0].ResolvedBy = tech(ack, scenariov1.Technique(99), value)
		}, fields: []string{"scenario.objectionDetails[0].resolvedBy[1]"}},
		{name: "resolved by pressure", change: func(sc *scenariov1.Scenario) {
			sc.ObjectionDetails[0].ResolvedBy = tech(ack, value, scenariov1.Technique_TECHNIQUE_PRESSURE)
		}, fields: []string{"scenario.objectionDetails[0].resolvedBy[2]"}},
		{name: "technique listed twice", change: func(sc *scenariov1.Scenario) {
			sc.ObjectionDetails[0].ResolvedBy = tech(ack, value, ack)
		}, fields: []string{"scenario.objectionDetails[0].resolvedBy[2]"}},
		{name: "needed negative", change: func(sc *scenariov1.Scenario) { sc.ObjectionDetails[0].Needed = -1 }, fields: []string{"scenario.objectionDetails[0].needed"}},
		{name: "needed above resolved by", change: func(sc *scenariov1.Scenario) { sc.ObjectionDetails[0].Needed = 4 }, fields: []string{"scenario.objectionDetails[0].needed"}},
		{name: "needed equal to resolved by", change: func(sc *scenariov1.Scenario) { sc.ObjectionDetails[0].Needed = 3 }},
		{name: "default needed above one technique", change: func(sc *scenariov1.Scenario) {
			sc.ObjectionDetails[0].Needed, sc.ObjectionDetails[0].ResolvedBy = 0, tech(alt)
		}, fields: []string{"scenario.objectionDetails[0].needed"}},
		{name: "needed 1 of one technique", change: func(sc *scenariov1.Scenario) {
			sc.ObjectionDetails[0].Needed, sc.ObjectionDetails[0].ResolvedBy = 1, tech(alt)
		}},
		{name: "hidden fact without cues", change: func(sc *scenariov1.Scenario) { sc.HiddenFactDetails[0].Cues = nil }, fields: []string{"scenario.hiddenFactDetails[0].cues"}},
		{name: "hidden fact without lines", change: func(sc *scenariov1.Scenario) { sc.HiddenFactDetails[0].Lines = nil }, fields: []string{"scenario.hiddenFactDetails[0].lines"}},
		{name: "hidden fact without fact", change: func(sc *scenariov1.Scenario) { sc.HiddenFactDetails[0].Fact = "" }, fields: []string{"scenario.hiddenFactDetails[0].fact"}},
		{name: "walk at buy", change: func(sc *scenariov1.Scenario) { sc.Disposition.WalkAt = 60 }, fields: []string{"scenario.disposition.walkAt", "scenario.disposition.startWarmth"}},
		{name: "buy below the default walk", change: func(sc *scenariov1.Scenario) { sc.Disposition.WalkAt, sc.Disposition.BuyAt = 0, 5 }, fields: []string{"scenario.disposition.walkAt"}},
		{name: "start at walk", change: func(sc *scenariov1.Scenario) { sc.Disposition.StartWarmth = 10 }, fields: []string{"scenario.disposition.startWarmth"}},
		{name: "all disposition defaults", change: func(sc *scenariov1.Scenario) { sc.Disposition = &scenariov1.Disposition{} }},
		{name: "buy at 101", change: func(sc *scenariov1.Scenario) { sc.Disposition.BuyAt = 101 }, fields: []string{"scenario.disposition.buyAt"}},
		{name: "negative push penalty", change: func(sc *scenariov1.Scenario) { sc.Disposition.PushPenalty = -1 }, fields: []string{"scenario.disposition.pushPenalty"}},
		{name: "max turns 101", change: func(sc *scenariov1.Scenario) { sc.Disposition.MaxTurns = 101 }, fields: []string{"scenario.disposition.maxTurns"}},
		{name: "max turns 100", change: func(sc *scenariov1.Scenario) { sc.Disposition.MaxTurns = 100 }},
		{name: "negative rubric weight", change: func(sc *scenariov1.Scenario) { sc.Rubric[0].Weight = -5 }, fields: []string{"scenario.rubric[0].weight"}},
		{name: "all rubric weights 0", change: func(sc *scenariov1.Scenario) {
			for _, r := range sc.Rubric {
				r.Weight = 0
			}
		}, fields: []string{"scenario.rubric"}},
		{name: "rubric item without technique", change: func(sc *scenariov1.Scenario) { sc.Rubric[2].Technique = 0 }, fields: []string{"scenario.rubric[2].technique"}},
		{name: "rubric item without criterion", change: func(sc *scenariov1.Scenario) { sc.Rubric[2].Criterion = "" }, fields: []string{"scenario.rubric[2].criterion"}},
		{name: "price not a number", change: func(sc *scenariov1.Scenario) { sc.Deal.Price = math.NaN() }, fields: []string{"scenario.deal.price"}},
		{name: "product price infinite", change: func(sc *scenariov1.Scenario) { sc.Deal.Products[0].Price = math.Inf(1) }, fields: []string{"scenario.deal.products[0].price"}},
		{name: "negative monthly", change: func(sc *scenariov1.Scenario) { sc.Deal.Products[1].Monthly = -1 }, fields: []string{"scenario.deal.products[1].monthly"}},
		{name: "apr 101", change: func(sc *scenariov1.Scenario) { sc.Deal.Apr = 101 }, fields: []string{"scenario.deal.apr"}},
		{name: "product without name", change: func(sc *scenariov1.Scenario) { sc.Deal.Products[0].Name = "" }, fields: []string{"scenario.deal.products[0].name"}},
		{name: "larger than 256 KiB", change: func(sc *scenariov1.Scenario) {
			// Every string within its limits, the whole too large.
			for _, o := range sc.ObjectionDetails {
				o.Lines = repeat(strings.Repeat("b", 2000), 50)
			}
			sc.ObjectionDetails = append(sc.ObjectionDetails, objections(sc.ObjectionDetails[0], 1)...)
			sc.ObjectionDetails[2].Id = "third"
		}, fields: []string{"scenario"}},
		{name: "every violation named", change: func(sc *scenariov1.Scenario) {
			sc.Title, sc.Persona.Voice, sc.Openings = "", "x", nil
		}, fields: []string{"scenario.title", "scenario.persona.voice", "scenario.openings"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := fixture(t)
			tt.change(sc)
			err := scenario.Validate(sc)
			if len(tt.fields) == 0 {
				if err != nil {
					t.Fatalf("valid scenario rejected: %v", err)
				}
				return
			}
			var ve *validate.Error
			if !errors.As(err, &ve) || !errors.Is(err, scenario.ErrInvalid) {
				t.Fatalf("got %v, want a *validate.Error", err)
			}
			var got []string
			for _, v := range ve.Violations {
				if v.Description == "" {
					t.Errorf("violation of %s without a description", v.Field)
				}
				got = append(got, v.Field)
			}
			if !sameSet(got, tt.fields) {
				t.Fatalf("violations %v (%v), want %v", got, err, tt.fields)
			}
		})
	}
}

func TestValidateNil(t *testing.T) {
	if err := scenario.Validate(nil); !errors.Is(err, scenario.ErrInvalid) {
		t.Fatalf("Validate(nil) = %v", err)
	}
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// objections returns n copies of o with distinct ids and no product.
func objections(o *scenariov1.Objection, n int) []*scenariov1.Objection {
	out := make([]*scenariov1.Objection, 0, n)
	for i := range n {
		out = append(out, &scenariov1.Objection{
			Id: fmt.Sprintf("o%d", i), Lines: o.Lines, Cues: o.Cues, ResolvedBy: o.ResolvedBy,
			Needed: o.Needed, HandledLines: o.HandledLines, PushedLines: o.PushedLines,
		})
	}
	return out
}
