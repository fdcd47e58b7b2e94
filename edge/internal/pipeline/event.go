package pipeline

import (
	"github.com/avatar-fi/avatar/protocol/callevent"
	conversationv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1"
)

// Event is one message of the call's `events` data channel. Its contract —
// type names, states, stage names, encoding — lives in protocol/callevent,
// which the web app and the load tester read too.
type Event = conversationv1.CallEvent

// State is where a call is in its turn-taking loop: one of the callevent
// State* names.
type State = string

// Stages lists the stage names of a turn in order (callevent.Stages).
var Stages = callevent.Stages
