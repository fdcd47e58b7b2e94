package dialogue

import (
	"context"

	conversationv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1"
	scenariov1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1"
)

// Engine is one session's conversation partner. Prepare may run
// concurrently with itself and with Commit and Observe; an Engine guards its
// own state.
type Engine interface {
	// Opening returns the other party's first line, or "" when the trainee
	// speaks first.
	Opening() string
	// Prepare decides the reply to the trainee's line from the current state
	// without changing it. The returned reply's text comes from its Stream.
	Prepare(ctx context.Context, line string) (Prepared, error)
	// Commit applies a prepared reply once it has been heard: heard is the
	// reply text the trainee heard (all of it in text chat; the words played
	// before a barge-in in a call).
	Commit(p Prepared, heard string)
	// Observe applies a trainee line that got no reply.
	Observe(line string)
	// Grade returns the scorecard of the conversation so far; nil when the
	// engine does not grade (the coach).
	Grade() *scenariov1.Scorecard
}

// Prepared is a reply an Engine has decided on.
type Prepared interface {
	// Stream writes the reply text to out in pieces of any size, in order.
	// It returns context.Cause(ctx) soon after ctx ends, and the error of
	// out when out fails. It may be called once.
	Stream(ctx context.Context, out func(delta string) error) error
	// Result is what the engine made of the trainee's line. It is complete
	// once Stream has returned (a provider's citations arrive with its
	// text).
	Result() Result
}

// Result is what an engine made of one trainee line.
type Result struct {
	// Techniques are those the classifier heard (role-play).
	Techniques []scenariov1.Technique
	// Citations are the passages the coach's answer came from.
	Citations []*conversationv1.Citation
	// Unanswered is set when the coach found nothing relevant.
	Unanswered bool
	// Outcome is set once the customer has decided.
	Outcome scenariov1.Outcome
}

// Text returns a Prepared's whole text by streaming it.
func Text(ctx context.Context, p Prepared) (string, error) {
	var b []byte
	err := p.Stream(ctx, func(d string) error { b = append(b, d...); return nil })
	return string(b), err
}
