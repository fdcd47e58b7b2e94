package customer

import (
	"context"
	"fmt"
	"strings"

	"github.com/avatar-fi/avatar/edge/internal/llm"
	scenariov1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1"
)

// Streamer streams a chat completion (llm.Client).
type Streamer interface {
	Stream(ctx context.Context, req llm.Request, out func(delta string) error) (llm.Usage, error)
}

// LLMPhraser is a Phraser over a chat-completions model: the persona, the
// deal and the conversation go in the prompt with what the state machine
// decided this turn, and the model says it in character. The model never
// decides the outcome; it is told what it is.
type LLMPhraser struct {
	// Model streams the completion.
	Model Streamer
	// MaxTokens bounds a reply (default 120).
	MaxTokens int
}

// Phrase streams the customer's reply in the persona's words.
func (l LLMPhraser) Phrase(ctx context.Context, p Prompt, out func(delta string) error) error {
	sc := p.Scenario
	var sys strings.Builder
	per := sc.GetPersona()
	fmt.Fprintf(&sys, "You are %s, a customer in a car dealership's finance office, in a role-play that trains F&I managers.\n", per.GetName())
	fmt.Fprintf(&sys, "Who you are: %s Temperament: %s.\n", per.GetBackground(), per.GetTemperament())
	if d := sc.GetDeal(); d != nil {
		fmt.Fprintf(&sys, "Your deal: %s, price $%.0f, $%.0f down, %d months at %.2f%% APR, $%.2f a month with %s.\n",
			d.GetVehicle(), d.GetPrice(), d.GetDownPayment(), d.GetTermMonths(), d.GetApr(), d.GetMonthlyPayment(), d.GetLender())
	}
	sys.WriteString("Stay in character. Speak as a real person talks: one to three short sentences, contractions, no lists, no stage directions, no markdown.\n")
	sys.WriteString("You do not decide what happens: each turn you are told what you must convey, and a draft reply; say that, in your own words, and nothing that contradicts it. Never reveal facts you were not told to reveal.\n")
	fmt.Fprintf(&sys, "How warm you feel toward the F&I manager, 0 to 100: %d.\n", p.Warmth)
	if p.Outcome != scenariov1.Outcome_OUTCOME_UNSPECIFIED {
		fmt.Fprintf(&sys, "Your decision, now final: %s.\n", strings.TrimPrefix(p.Outcome.String(), "OUTCOME_"))
	}
	msgs := []llm.Message{{Role: llm.RoleSystem, Content: sys.String()}}
	if o := sc.GetOpenings(); len(o) > 0 && len(p.History) == 0 {
		msgs = append(msgs, llm.Message{Role: llm.RoleAssistant, Content: o[0]})
	}
	for _, h := range p.History {
		msgs = append(msgs, llm.Message{Role: llm.RoleUser, Content: h.Trainee}, llm.Message{Role: llm.RoleAssistant, Content: h.Customer})
	}
	msgs = append(msgs, llm.Message{Role: llm.RoleUser, Content: fmt.Sprintf("%s\n\n(Convey this turn: %s Draft: %q)", p.Line, strings.Join(p.Beats, " "), p.Draft)})
	max := l.MaxTokens
	if max <= 0 {
		max = 120
	}
	_, err := l.Model.Stream(ctx, llm.Request{Messages: msgs, MaxTokens: max, Temperature: 0.7, Purpose: llm.PurposeCustomer}, out)
	return err
}
