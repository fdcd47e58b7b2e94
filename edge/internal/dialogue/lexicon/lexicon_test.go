package lexicon_test

import (
	"strings"
	"testing"

	"github.com/avatar-fi/avatar/edge/internal/dialogue/lexicon"
)

func TestAnalyze(t *testing.T) {
	tests := []struct {
		name, line string
		words      string
	}{
		{"contractions", "It's optional, you don't have to, we'll see", "it is optional you do not have to we will see"},
		{"irregular", "I can't and won't", "i can not and will not"},
		{"figures", "$2,495.50 or 6.9%", "2495.50 or 6.9"},
		{"curly apostrophe", "You’re right", "you are right"},
		{"recogniser output", "how long do you keep your cars", "how long do you keep your cars"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strings.Join(lexicon.Analyze(tt.line).Words, " "); got != tt.words {
				t.Errorf("words %q, want %q", got, tt.words)
			}
		})
	}
}

func TestHasAmount(t *testing.T) {
	tests := []struct {
		line string
		want bool
	}{
		{"It's $2,495 for the six year plan.", true},
		{"That adds thirty eight dollars a month.", true},
		{"it's about a dollar a day", true},
		{"The rate is five point nine percent.", true},
		{"That's eighteen ninety five.", true},
		{"GAP is 695, or 12 a month.", true},
		{"I drive 30,000 miles a year.", false},
		{"We can do 72 months.", false},
		{"You can cancel within sixty days.", false},
		{"I need to be out by five thirty.", false},
		{"How long do you keep your cars?", false},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			if got := lexicon.Analyze(tt.line).HasAmount(); got != tt.want {
				t.Errorf("HasAmount = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPatternAndCue(t *testing.T) {
	tests := []struct {
		name, pattern, line string
		want                bool
	}{
		{"alternatives and gap", "if i|we could * would you", "if we could lower it would you do it", true},
		{"gap too long", "if i|we could * would you", "if we could get the payment under four hundred would you", false},
		{"long gap", "if i|we could ** would you", "if we could get the payment under four hundred would you", true},
		{"optional slot", "thank|thanks you? for coming", "thanks for coming in", true},
		{"stem", "cover~ everything", "it covered everything", true},
		{"anchored at clause", "^ what do", "I understand, what do you think?", true},
		{"anchored mid-clause", "^ what do", "I know what do you mean", false},
		{"negation is two words", "not required", "it isn't required", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := lexicon.NewPattern(tt.pattern)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Matches(lexicon.Analyze(tt.line)); got != tt.want {
				t.Errorf("%q on %q: %v, want %v", tt.pattern, tt.line, got, tt.want)
			}
		})
	}
	if _, err := lexicon.NewPattern("a || b"); err == nil {
		t.Error("empty alternative accepted")
	}
	cue := lexicon.NewCue("monthly payment")
	if !cue.Matches(lexicon.Analyze("what's the payment going to be monthly")) || cue.Matches(lexicon.Analyze("the payment")) {
		t.Error("a phrase cue matches all its stems in any order, and only then")
	}
}

func TestInformativeness(t *testing.T) {
	common, domain, rare := lexicon.Informativeness("you"), lexicon.Informativeness("insurance"), lexicon.Informativeness("deductible")
	if !(common < 0.1 && common < domain && domain < rare && rare <= 1) {
		t.Errorf("you %.2f, insurance %.2f, deductible %.2f: want rising with rarity", common, domain, rare)
	}
}

func TestVectorize(t *testing.T) {
	a := lexicon.Vectorize(lexicon.Analyze("these products are not required"))
	b := lexicon.Vectorize(lexicon.Analyze("the products are required"))
	c := lexicon.Vectorize(lexicon.Analyze("these products are not required"))
	if s := lexicon.Cosine(a, c); s < 0.999 {
		t.Errorf("same line, cosine %.3f", s)
	}
	if s := lexicon.Cosine(a, b); s > 0.9 {
		t.Errorf("negation barely changes the vector: cosine %.3f", s)
	}
}
