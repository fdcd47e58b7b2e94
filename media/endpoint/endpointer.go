package endpoint

import (
	"fmt"
	"math"
	"slices"
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
	// Odds is, at SpeechEnd and Pause with the model, the odds that the
	// pause ends the turn (0 with the fixed rule).
	Odds float64
}

// Frame is what the endpointer learns of one audio frame.
type Frame struct {
	// Voiced is the voice activity decision: true for speech.
	Voiced bool
	// PitchHz is the frame's fundamental frequency (package pitch), 0
	// when it has none or the caller does not track pitch. A stream that
	// never gives a pitch gets no prosodic evidence.
	PitchHz float32
}

// creakFrames and longRunFrames are the prosodic thresholds, in 20 ms
// frames; lowSemitones is how far under the speaker's mean pitch the end
// of the speech before a pause must be to count as low, and levelFrames
// how many of its last pitched frames give that level.
const (
	creakFrames   = 10 // 200 ms
	longRunFrames = 20 // 400 ms
	lowSemitones  = 2.0
	levelFrames   = 5
)

// maxHabits is how many of the speaker's pauses the endpointer remembers.
const maxHabits = 32

// minHabit and maxLearned bound the pauses that count as the speaker's:
// at least 150 ms (as the population's), and a turn that started again
// within 1.5 s of the end of the previous one was a pause the endpointer
// took for an end.
const (
	minHabit   = 150 * time.Millisecond
	maxLearned = 1500 * time.Millisecond
)

// Endpointer turns per-frame speech decisions into turn events. It is not
// safe for concurrent use: call Push and SetTranscript from the goroutine that
// owns the call's audio, or guard them together.
//
// A turn starts after MinSpeech of continuous speech. At each frame of
// silence in a turn, the endpointer weighs the odds that the pause is the
// turn's end: the prior odds (Config.PriorOdds), times the likelihood ratio
// of the evidence (Config.Ratios) — the words so far (Cue), how the speech
// before the pause ended (creak, length of the last stretch, pitch level
// against the speaker's mean) — divided by the chance that a pause inside a
// turn lasts as long as this one has (the population's pauses,
// Config.Pauses, mixed with the speaker's own so far with
// Config.LearnHabits). The turn ends when those odds reach
// Config.Threshold, after at least MinSilence and at most MaxSilence. A
// pause where the words trail off and the voice is still up waits longer
// than one after a fall into creak or under the speaker's usual pitch.
type Endpointer struct {
	cfg                          Config
	minSpeech                    int64 // frames
	early, base, late, tentative int64 // frames of silence (fixed rule)
	minSil, maxSil, hold         int64 // frames (model)
	survival                     []float64
	habits                       [maxHabits]int64 // the speaker's pauses, frames
	nHabits                      int
	minHabit, maxLearned         int64

	frame       int64 // frames pushed so far
	inTurn      bool
	run         int64                // consecutive voiced frames (before a turn starts)
	prevVoiced  bool                 // the previous frame was voiced
	runStart    int64                // first frame of the current voiced stretch
	start       int64                // first voiced frame of the turn
	lastVoic    int64                // last voiced frame of the turn
	lastRun     int64                // length of the stretch of speech before the pause
	lastPitched int64                // last frame with a pitch
	anyPitch    bool                 // the stream has given pitches
	pitchSum    float64              // semitones of every pitched frame so far
	pitchN      int64                // how many
	recent      [levelFrames]float64 // semitones of the last pitched frames
	prevEnd     int64                // last voiced frame of the previous turn, -1 before one
	paused      bool
	cue         Cue
	heard       bool // SetTranscript called during this turn
}

// New returns an Endpointer for cfg, with defaults applied to zero fields. It
// fails with ErrInvalidConfig when a field is out of range.
func New(cfg Config) (*Endpointer, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	e := &Endpointer{
		cfg:        cfg,
		minSpeech:  max(1, cfg.frames(cfg.MinSpeech)),
		tentative:  cfg.frames(cfg.Tentative),
		hold:       int64(cfg.Hold / cfg.FrameDuration),
		minHabit:   cfg.frames(minHabit),
		maxLearned: cfg.frames(maxLearned),
		prevEnd:    -1,
	}
	if cfg.fixed() {
		e.early = max(1, cfg.frames(cfg.EarlySilence))
		e.base = max(1, cfg.frames(cfg.Silence))
		e.late = max(1, cfg.frames(cfg.LateSilence))
		return e, nil
	}
	e.minSil = max(1, cfg.frames(cfg.MinSilence))
	e.maxSil = max(e.minSil, cfg.frames(cfg.MaxSilence))
	// survival[a]: the share of the population's pauses at least a frames
	// long, a counting the speaker's whole pause (the detector's hold
	// included). Never 0: no pause is impossible.
	pauses := make([]int64, len(cfg.Pauses))
	for i, p := range cfg.Pauses {
		pauses[i] = int64(p / cfg.FrameDuration)
	}
	slices.Sort(pauses)
	e.survival = make([]float64, e.maxSil+e.hold+2)
	floor := 0.5 / float64(len(pauses))
	for a := range e.survival {
		i, _ := slices.BinarySearch(pauses, int64(a))
		e.survival[a] = max(float64(len(pauses)-i)/float64(len(pauses)), floor)
	}
	return e, nil
}

// Config returns the configuration in force, defaults applied.
func (e *Endpointer) Config() Config { return e.cfg }

// at returns the stream time at the start of frame k.
func (e *Endpointer) at(k int64) time.Duration {
	return time.Duration(k) * e.cfg.FrameDuration
}

// Push feeds the decision for the next frame (true: speech), without a
// pitch, and returns the event it causes; see PushFrame.
func (e *Endpointer) Push(voiced bool) Event { return e.PushFrame(Frame{Voiced: voiced}) }

// PushFrame feeds the next frame and returns the event it causes, of Type
// None on most frames. It allocates nothing.
func (e *Endpointer) PushFrame(f Frame) Event {
	k := e.frame
	e.frame++
	if f.PitchHz > 0 {
		e.lastPitched, e.anyPitch = k, true
		st := 12 * math.Log2(float64(f.PitchHz))
		e.pitchSum += st
		e.recent[e.pitchN%levelFrames] = st
		e.pitchN++
	}
	if f.Voiced && !e.prevVoiced {
		e.runStart = k
	}
	e.prevVoiced = f.Voiced
	if !e.inTurn {
		if !f.Voiced {
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
		if e.prevEnd >= 0 {
			// The speaker went on soon after a turn end: that was a pause.
			e.learn(e.start - e.prevEnd - 1 + e.hold)
		}
		return e.event(SpeechStart, 0)
	}
	if f.Voiced {
		if gap := k - e.lastVoic - 1; gap > 0 {
			e.learn(gap + e.hold)
		}
		e.lastVoic = k
		if e.paused {
			e.paused = false
			return e.event(Resume, 0)
		}
		return Event{At: e.at(e.frame)}
	}
	silent := k - e.lastVoic // frames of silence so far, this one included
	if silent == 1 {
		e.lastRun = e.lastVoic - e.runStart + 1
	}
	end, odds := e.ends(silent)
	if end {
		ev := e.event(SpeechEnd, odds)
		e.inTurn, e.run, e.paused = false, 0, false
		e.cue, e.heard = CueNone, false
		e.prevEnd = e.lastVoic
		return ev
	}
	if e.tentative > 0 && !e.paused && silent >= e.tentative {
		e.paused = true
		return e.event(Pause, odds)
	}
	return Event{At: e.at(e.frame)}
}

// learn records a pause of the speaker's of a frames (the detector's hold
// included), if it is long enough to count and short enough to be a pause.
func (e *Endpointer) learn(a int64) {
	e.prevEnd = -1
	if a < e.minHabit || a > e.maxLearned+e.hold || e.cfg.fixed() {
		return
	}
	e.habits[e.nHabits%maxHabits] = a
	e.nHabits++
}

// ends decides, after silent frames of silence, whether the turn has ended,
// and returns the odds of an end (the model's; 0 with the fixed rule).
func (e *Endpointer) ends(silent int64) (bool, float64) {
	if e.cfg.fixed() {
		return silent >= e.fixedHangover(), 0
	}
	odds := e.odds(silent)
	switch {
	case silent >= e.maxSil:
		return true, odds
	case silent < e.minSil:
		return false, odds
	default:
		return odds >= e.cfg.Threshold, odds
	}
}

// odds returns the odds that the turn ends at a pause of silent frames.
func (e *Endpointer) odds(silent int64) float64 {
	r := &e.cfg.Ratios
	lr := 1.0
	if e.cfg.Without&Words == 0 && e.heard {
		switch e.cue {
		case CueComplete:
			lr *= r.Complete
		case CueIncomplete:
			lr *= r.Incomplete
		}
	}
	if e.cfg.Without&Prosody == 0 && e.anyPitch {
		if e.lastVoic-e.lastPitched >= creakFrames || e.lastPitched < e.start {
			lr *= r.Creak
		} else {
			lr *= r.Voiced
		}
		if e.lastRun >= longRunFrames {
			lr *= r.LongRun
		} else {
			lr *= r.ShortRun
		}
	}
	if e.cfg.Without&Level == 0 && e.pitchN > levelFrames && e.lastPitched >= e.start {
		if e.level() <= -lowSemitones {
			lr *= r.Low
		} else {
			lr *= r.NotLow
		}
	}
	a := min(silent+e.hold, int64(len(e.survival)-1))
	s := e.survival[a]
	if e.cfg.LearnHabits && e.nHabits > 0 {
		n := min(e.nHabits, maxHabits)
		own := 0
		for _, h := range e.habits[:n] {
			if h >= a {
				own++
			}
		}
		w := e.cfg.HabitWeight
		s = (w*s + float64(own)) / (w + float64(n))
		s = max(s, e.survival[len(e.survival)-1])
	}
	return e.cfg.PriorOdds * lr / s
}

// level returns the pitch of the last pitched frames against the mean of
// the stream's, in semitones.
func (e *Endpointer) level() float64 {
	var sum float64
	for _, v := range e.recent {
		sum += v
	}
	return sum/levelFrames - e.pitchSum/float64(e.pitchN)
}

// fixedHangover returns the frames of silence that end the current turn
// under the fixed rule.
func (e *Endpointer) fixedHangover() int64 {
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

func (e *Endpointer) event(t EventType, odds float64) Event {
	ev := Event{Type: t, At: e.at(e.frame), Start: e.at(e.start), LastVoiced: e.at(e.lastVoic + 1)}
	if t == SpeechEnd || t == Pause {
		ev.Cue = e.currentCue()
		ev.Odds = odds
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
// cue (Config.Cue) weighs in from the next Push on, so a transcript that
// arrives late can still end the turn at once if enough silence has
// passed. It is ignored outside a turn, and forgotten when the turn ends.
// Until it is first called in a turn, the words give no evidence.
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

// Habits returns the speaker's pauses the endpointer has learned, oldest
// first (the detector's hold included), at most 32.
func (e *Endpointer) Habits() []time.Duration {
	n := min(e.nHabits, maxHabits)
	out := make([]time.Duration, 0, n)
	for i := e.nHabits - n; i < e.nHabits; i++ {
		out = append(out, e.at(e.habits[i%maxHabits]))
	}
	return out
}

// Reset forgets the stream, as for a new call (the speaker's habits
// included); stream time restarts at 0.
func (e *Endpointer) Reset() {
	*e = Endpointer{cfg: e.cfg, minSpeech: e.minSpeech, early: e.early, base: e.base, late: e.late, tentative: e.tentative,
		minSil: e.minSil, maxSil: e.maxSil, hold: e.hold, survival: e.survival, minHabit: e.minHabit, maxLearned: e.maxLearned, prevEnd: -1}
}

// String describes the thresholds, for logs.
func (e *Endpointer) String() string {
	if e.cfg.fixed() {
		return fmt.Sprintf("endpoint(frame=%v min_speech=%v silence=%v early=%v late=%v tentative=%v)",
			e.cfg.FrameDuration, e.at(e.minSpeech), e.at(e.base), e.at(e.early), e.at(e.late), e.at(e.tentative))
	}
	return fmt.Sprintf("endpoint(frame=%v min_speech=%v silence=%v..%v threshold=%g hold=%v tentative=%v)",
		e.cfg.FrameDuration, e.at(e.minSpeech), e.at(e.minSil), e.at(e.maxSil), e.cfg.Threshold, e.at(e.hold), e.at(e.tentative))
}
