package rtc_test

import (
	"context"
	"strings"
	"sync"

	"github.com/avatar-fi/avatar/edge/internal/pipeline"
	"github.com/avatar-fi/avatar/edge/internal/rtc"
)

// echoSuffix follows the echoed words, so that a reply has more than one
// sentence to stream and to interrupt.
const echoSuffix = "This is a reply long enough to talk over, two sentences in all."

// echoDialogues answers every call by reading the trainee's words back
// ("You said: …" and echoSuffix), a word at a time: the rtc tests exercise
// the call plumbing, not a dialogue engine (the conversation package's
// tests run the real ones). opening, when set, is said first.
type echoDialogues struct {
	opening string

	mu    sync.Mutex
	calls map[string]string // call id → session id
	ended []string
}

func (d *echoDialogues) Join(_ context.Context, _ rtc.Identity, sessionID, callID string) (rtc.Dialogue, error) {
	if sessionID == "missing" {
		return nil, rtc.ErrNoSession
	}
	if sessionID == "" {
		sessionID = "s-" + callID
	}
	d.mu.Lock()
	if d.calls == nil {
		d.calls = map[string]string{}
	}
	d.calls[callID] = sessionID
	d.mu.Unlock()
	return &echoDialogue{d: d, session: sessionID, call: callID}, nil
}

type echoDialogue struct {
	d             *echoDialogues
	session, call string
}

func (e *echoDialogue) SessionID() string { return e.session }
func (e *echoDialogue) Opening() string   { return e.d.opening }
func (e *echoDialogue) Voice() string     { return "" }
func (e *echoDialogue) End() {
	e.d.mu.Lock()
	e.d.ended = append(e.d.ended, e.call)
	e.d.mu.Unlock()
}
func (e *echoDialogue) TurnDone(pipeline.TurnRecord) *pipeline.Event { return nil }

func (e *echoDialogue) Respond(ctx context.Context, req pipeline.Request, out func(string) error) error {
	text := "You said: " + strings.TrimSpace(req.Text) + ". " + echoSuffix
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
