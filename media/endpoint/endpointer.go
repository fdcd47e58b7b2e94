package endpoint

import (
	"fmt"
	"time"
)

// EventType says what an Event announces.
type EventType uint8

// Event types.
const (
	// None: nothing happened on this frame.
	None EventType = iota
	// SpeechStart: a turn began. Start is its first voiced frame.
	SpeechStart
	// Pause: Config.Tentative of silence has passed in a turn; the turn may
	// be ending. Only with Config.Tentative set.
	Pause
	// Resume: speech came back after a Pause, before the turn ended.
	Resume
	// SpeechEnd: the turn ended. LastVoiced is where the speaker stopped,
	// the start of the turn gap.
	SpeechEnd
)

// String returns the event type's name.
func (t EventType) String() string {
	switch t {
	case None:
		return "none"
	case SpeechStart:
		return "speech_start"
	case Pause:
		return "pause"
	case Resume:
		return "resume"
	case SpeechEnd:
		return "speech_end"
	default:
		return "unknown"
	}
}

// Event is the outcome of one frame. Times are stream offsets: frame k (from
// 0) covers [k·FrameDuration, (k+1)·FrameDuration).
type Event struct {
	// Type is None on most frames.
	Type EventType
	// At is the end of the frame that produced the event: the earliest
	// moment the caller could know it.
	At time.Duration
	// Start is the start of the turn's first voiced frame (all types but
	// None).
	Start time.Duration
	// LastVoiced is the end of the turn's last voiced frame so far: where
	// the speaker stopped. For SpeechEnd, At − LastVoiced is the silence the
	// endpointer waited, and the turn gap is measured from LastVoiced.
	LastVoiced time.Duration
	// Cue is the transcript cue in force at SpeechEnd and Pause.
	Cue Cue
}

// Endpointer turns per-frame speech decisions into turn events. It is not
// safe for concurrent use: call Push and SetTranscript from the goroutine that
// owns the call's audio, or guard them together.
type Endpointer struct {
	cfg                          Config
	minSpeech                    int64 // frames
	early, base, late, tentative int64 // frames of silence

	frame    int64 // frames pushed so far
	inTurn   bool
	run      int64 // consecutive voiced frames (before a turn starts)
	start    int64 // first voiced frame of the turn
	lastVoic int64 // last voiced frame of the turn
	paused   bool
	cue      Cue
	heard    bool // SetTranscript called during this turn
}

// New returns an Endpointer for cfg, with defaults applied to zero fields. It
// fails with ErrInvalidConfig when a field is out of range.
func New(cfg Config) (*Endpointer, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	e := &Endpointer{
		cfg:       cfg,
		minSpeech: max(1, cfg.frames(cfg.MinSpeech)),
		early:     max(1, cfg.frames(cfg.EarlySilence)),
		base:      max(1, cfg.frames(cfg.Silence)),
		late:      max(1, cfg.frames(cfg.LateSilence)),
		tentative: cfg.frames(cfg.Tentative),
	}
	return e, nil
}

// Config returns the configuration in force, defaults applied.
func (e *Endpointer) Config() Config { return e.cfg }

// at returns the stream time at the start of frame k.
func (e *Endpointer) at(k int64) time.Duration {
	return time.Duration(k) * e.cfg.FrameDuration
}

// Push feeds the decision for the next frame (true: speech) and returns the
// event it causes, of Type None on most frames. It allocates nothing.
func (e *Endpointer) Push(voiced bool) Event {
	k := e.frame
	e.frame++
	if !e.inTurn {
		if !voiced {
			e.run = 0
			return Event{At: e.at(e.frame)}
		}
		e.run++
		if e.run < e.minSpeech {
			return Event{At: e.at(e.frame)}
		}
		e.inTurn = true
		e.start = k - e.run + 1
		e.lastVoic = k
		e.paused = false
		e.cue, e.heard = CueNone, false
		return e.event(SpeechStart)
	}
	if voiced {
		e.lastVoic = k
		if e.paused {
			e.paused = false
			return e.event(Resume)
		}
		return Event{At: e.at(e.frame)}
	}
	silent := k - e.lastVoic // frames of silence so far, this one included
	if silent >= e.hangover() {
		ev := e.event(SpeechEnd)
		e.inTurn, e.run, e.paused = false, 0, false
		e.cue, e.heard = CueNone, false
		return ev
	}
	if e.tentative > 0 && !e.paused && silent >= e.tentative {
		e.paused = true
		return e.event(Pause)
	}
	return Event{At: e.at(e.frame)}
}

// hangover returns the frames of silence that end the current turn.
func (e *Endpointer) hangover() int64 {
	if !e.heard {
		return e.base
	}
	switch e.cue {
	case CueComplete:
		return e.early
	case CueIncomplete:
		return e.late
	default:
		return e.base
	}
}

func (e *Endpointer) event(t EventType) Event {
	ev := Event{Type: t, At: e.at(e.frame), Start: e.at(e.start), LastVoiced: e.at(e.lastVoic + 1)}
	if t == SpeechEnd || t == Pause {
		ev.Cue = e.currentCue()
	}
	return ev
}

func (e *Endpointer) currentCue() Cue {
	if !e.heard {
		return CueNone
	}
	return e.cue
}

// SetTranscript gives the latest partial transcript of the current turn. Its
// cue (Config.Cue) decides the trailing silence from the next Push on, so a
// transcript that arrives late can still end the turn at once if enough
// silence has passed. It is ignored outside a turn, and forgotten when the
// turn ends. Until it is first called in a turn, the turn ends after
// Config.Silence.
func (e *Endpointer) SetTranscript(partial string) {
	if !e.inTurn {
		return
	}
	e.cue = e.cfg.Cue(partial)
	e.heard = true
}

// InTurn reports whether a turn is in progress (between SpeechStart and
// SpeechEnd).
func (e *Endpointer) InTurn() bool { return e.inTurn }

// Now returns the stream time: the end of the last frame pushed.
func (e *Endpointer) Now() time.Duration { return e.at(e.frame) }

// Reset forgets the stream, as for a new call; stream time restarts at 0.
func (e *Endpointer) Reset() {
	*e = Endpointer{cfg: e.cfg, minSpeech: e.minSpeech, early: e.early, base: e.base, late: e.late, tentative: e.tentative}
}

// String describes the thresholds, for logs.
func (e *Endpointer) String() string {
	return fmt.Sprintf("endpoint(frame=%v min_speech=%v silence=%v early=%v late=%v tentative=%v)",
		e.cfg.FrameDuration, e.at(e.minSpeech), e.at(e.base), e.at(e.early), e.at(e.late), e.at(e.tentative))
}
