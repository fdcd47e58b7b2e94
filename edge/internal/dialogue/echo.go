package dialogue

import (
	"context"
	"strings"

	"github.com/avatar-fi/avatar/edge/internal/pipeline"
)

// EchoSuffix is the sentence Echo adds after the echoed words, so that a
// reply has more than one sentence to stream and to interrupt.
const EchoSuffix = "This is a placeholder reply until the coach and the customer arrive."

// Echo is a PLACEHOLDER pipeline.Responder, until the coach and customer
// engines exist: it answers "You said: <words>." followed by EchoSuffix,
// streamed a word at a time. It is safe for concurrent use.
type Echo struct{}

var _ pipeline.Responder = Echo{}

// Respond streams the echo of req.Text to out.
func (Echo) Respond(ctx context.Context, req pipeline.Request, out func(delta string) error) error {
	text := "You said: " + strings.TrimSpace(req.Text) + ". " + EchoSuffix
	for i, w := range strings.Fields(text) {
		if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		if i > 0 {
			w = " " + w
		}
		if err := out(w); err != nil {
			return err
		}
	}
	return nil
}
