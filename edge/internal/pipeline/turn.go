package pipeline

import (
	"strings"
	"time"

	"github.com/avatar-fi/avatar/protocol/callevent"
)

// TurnRecord is what a completed turn leaves behind.
type TurnRecord struct {
	// Index is the turn's index in the call, from 1.
	Index int
	// UserText is the trainee's final transcript.
	UserText string
	// ReplyText is the reply as played: on barge-in, the words not played
	// are dropped.
	ReplyText string
	// BargeIn is set when the trainee spoke over the reply.
	BargeIn bool
	// Stages holds each stage's duration, keyed by the Stage* names; a stage
	// that did not happen (no reply audio) is absent.
	Stages map[string]time.Duration
	// Time is when the turn's endpoint was detected (for the opening, when
	// it started playing).
	Time time.Time
	// Opening marks turn 0: the other party's first words, no user text.
	Opening bool
	// Resumed is set when the turn began within 1.5 s of the end of the
	// previous one: the trainee went on after a pause the edge took for
	// the end of their turn (a likely cut-in), or barged in at once.
	Resumed bool
	// Continues is the index of the turn this one carries on, 0 when none:
	// the trainee went on within moments of a pause the edge took for the
	// end of that turn, before its reply had finished (see continues). That
	// turn's words begin UserText; it has no record of its own, so the
	// reply it had begun is not committed.
	Continues int
	// Speech is how long the trainee spoke in the turn: from the detected
	// start of speech to the last voiced frame (less the detector's hold);
	// 0 for the opening. Words per minute are measured over it.
	Speech time.Duration
}

// turn is the bookkeeping of one user turn and its reply; guarded by
// Call.mu.
type turn struct {
	index      int
	userText   string
	started    time.Time // the speaker's start of speech
	lastVoiced time.Time
	endpointAt time.Time
	sttFinalAt time.Time
	reply      *reply
	done       bool
	opening    bool // turn 0, the Opening
	resumed    bool // began within resumedWithin of the previous turn's end
	continues  int  // the index of the turn this one carries on, 0 when none
}

// resumedWithin is how soon after the end of a turn a new one counts as
// the trainee going on (TurnRecord.Resumed), as endpoint's habits count it.
const resumedWithin = 1500 * time.Millisecond

// continues reports whether speech that started at started carries on turn
// prev rather than beginning a new one: prev was ended by the endpoint, its
// speaker started again within resumedWithin of its last voiced frame, and
// it is not yet complete (its reply is still being prepared or playing).
// People hear a pause for what it is and wait; the endpoint took one for the
// end of the turn, and the trainee's going on says so. So the two are
// answered as one turn, as a person who started to answer would stop and
// listen to the whole. A reply played to its end completes its turn first,
// and a deliberate barge-in later than resumedWithin stays one.
func continues(prev *turn, started time.Time) bool {
	return prev != nil && !prev.done && !prev.opening && !prev.lastVoiced.IsZero() &&
		started.Sub(prev.lastVoiced) < resumedWithin
}

// speech returns how long the speaker spoke in the turn, 0 when unknown.
func (t *turn) speech() time.Duration {
	if t.opening || t.started.IsZero() || t.lastVoiced.IsZero() {
		return 0
	}
	return max(0, t.lastVoiced.Sub(t.started))
}

// stages computes the stage durations. Milestones reached early (by a
// speculative reply, before the endpoint) count as zero-length stages.
func (t *turn) stages() map[string]time.Duration {
	st := make(map[string]time.Duration, len(Stages))
	if t.endpointAt.IsZero() || t.opening {
		return st
	}
	st[callevent.StageEndpoint] = max(0, t.endpointAt.Sub(t.lastVoiced))
	prev := t.endpointAt
	step := func(name string, at time.Time) bool {
		if at.IsZero() {
			return false
		}
		if at.Before(prev) {
			at = prev
		}
		st[name] = at.Sub(prev)
		prev = at
		return true
	}
	if !step(callevent.StageSTTFinal, t.sttFinalAt) || t.reply == nil {
		return st
	}
	r := t.reply
	if step(callevent.StageFirstText, r.firstTextAt) && step(callevent.StageFirstAudio, r.firstAudioAt) && step(callevent.StageFirstPacket, r.firstPacketAt) {
		st[callevent.StageTurnGap] = r.firstPacketAt.Sub(t.lastVoiced)
	}
	return st
}

// playedText returns the reply text the caller heard: whole sentences
// played, and the share of the words of a sentence cut short by barge-in.
func (r *reply) playedText() string {
	var parts []string
	for _, s := range r.sentences {
		if s.played == 0 {
			break
		}
		if s.played >= s.frames && s.synthDone {
			parts = append(parts, s.text)
			continue
		}
		words := strings.Fields(s.text)
		n := len(words) * s.played / max(s.frames, 1)
		if n > 0 {
			parts = append(parts, strings.Join(words[:n], " "))
		}
		break
	}
	return strings.Join(parts, " ")
}
