package endpoint

import (
	"fmt"
	"slices"
	"time"
)

// Defaults for Config fields left zero. These are the edge's end-of-turn
// settings: the pipeline takes them as they are (it only adds its
// detector's hold), so this is their one copy.
const (
	DefaultFrameDuration = 20 * time.Millisecond
	DefaultMinSpeech     = 60 * time.Millisecond
	// DefaultTentative is the pause after which the edge prepares a reply
	// speculatively (Config.Tentative; zero in a Config still turns Pause
	// events off).
	DefaultTentative = 80 * time.Millisecond
	// DefaultMinSilence and DefaultMaxSilence bound the trailing silence
	// the end-of-turn model waits for.
	DefaultMinSilence = 100 * time.Millisecond
	DefaultMaxSilence = 2500 * time.Millisecond
	// DefaultThreshold is the odds that a pause is the end of the turn at
	// which the turn ends (Config.Threshold), chosen with DefaultRatios on
	// the tune half of the speech sets (see README.md).
	DefaultThreshold = 1.5
	// DefaultPriorOdds is the odds that a pause of 150 ms is the end of the
	// turn rather than a pause inside it, before any evidence: 29 turn ends
	// against 51 natural mid-turn pauses of 150 ms or more in the tune half
	// of the speech sets.
	DefaultPriorOdds = 29.0 / 51
	// DefaultHabitWeight is how many of the population's pauses the
	// speaker's own count as (Config.HabitWeight) when Config.LearnHabits
	// is set: after this many pauses of their own, the speaker's habits
	// weigh as much as the population's.
	DefaultHabitWeight = 8.0
)

// Fixed-rule defaults, for a Config with Silence set.
const (
	DefaultSilence      = 250 * time.Millisecond
	DefaultEarlySilence = 160 * time.Millisecond
	DefaultLateSilence  = 600 * time.Millisecond
)

// DefaultPauses returns the population of mid-turn pauses a Config without
// Pauses uses: every natural pause of 150 ms or more inside a turn in the
// tune half of shared/data/speech and speech-more (read and spontaneous
// speech, more than six speakers), from the labels in the edge's pipeline
// testdata (turns.tsv).
func DefaultPauses() []time.Duration { return slices.Clone(defaultPauses[:]) }

var defaultPauses = [...]time.Duration{
	150 * ms, 150 * ms, 160 * ms, 170 * ms, 180 * ms, 180 * ms, 200 * ms, 210 * ms, 210 * ms, 220 * ms,
	240 * ms, 250 * ms, 250 * ms, 250 * ms, 270 * ms, 280 * ms, 280 * ms, 290 * ms, 300 * ms, 320 * ms,
	320 * ms, 330 * ms, 350 * ms, 350 * ms, 350 * ms, 360 * ms, 360 * ms, 370 * ms, 370 * ms, 380 * ms,
	390 * ms, 390 * ms, 390 * ms, 400 * ms, 420 * ms, 420 * ms, 430 * ms, 440 * ms, 480 * ms, 480 * ms,
	490 * ms, 570 * ms, 770 * ms, 870 * ms, 950 * ms, 980 * ms, 1060 * ms, 1260 * ms, 1320 * ms, 1390 * ms,
	2360 * ms,
}

const ms = time.Millisecond

// Evidence selects what the end-of-turn model weighs besides the length of
// the silence; the zero value is all of it.
type Evidence uint8

// Kinds of evidence, to switch off (Config.Without) for measurements.
const (
	// Words: the transcript so far (Config.Cue).
	Words Evidence = 1 << iota
	// Prosody: how the speech before the pause ended — without a pitch
	// for its last 200 ms (creaky or devoiced, as at a turn's end) or
	// voiced to the pause — and how long its last stretch of speech was.
	// Needs Frame.PitchHz.
	Prosody
	// Level: the pitch at the end of the speech before the pause against
	// the speaker's mean in this stream (low, as at a turn's final fall,
	// or not). Needs Frame.PitchHz.
	Level
)

// Ratios are the likelihood ratios of the evidence at a pause: how much
// more often each outcome is seen at turn ends than at pauses inside
// turns. Zero fields take DefaultRatios' values; a ratio of 1 makes an
// outcome no evidence.
type Ratios struct {
	// Complete and Incomplete weigh the words (Cue): they look finished;
	// they trail off or nothing was recognised yet.
	Complete, Incomplete float64
	// Creak and Voiced weigh how the speech before the pause ended: no
	// pitch in its last 200 ms (creaky or devoiced), or voiced to the
	// pause.
	Creak, Voiced float64
	// LongRun and ShortRun weigh the last stretch of speech: 400 ms or
	// longer, or a word or two after the previous pause.
	LongRun, ShortRun float64
	// Low and NotLow weigh the pitch level before the pause: 2 semitones
	// or more under the speaker's mean, or not.
	Low, NotLow float64
}

// DefaultRatios returns the ratios a Config without Ratios uses: of the
// settings tried on the tune half of the speech sets (each kind of evidence
// off, mild or strong, with thresholds 0.8–5), the one that cut fewest
// clips and waited least, a cut counting as 600 ms of extra wait (see
// README.md). Every kind is weak on these sets — PocketSphinx's partials
// end in a function word about as often at turn ends as at pauses — so
// the ratios are mild, and the length of the last stretch of speech gives
// none.
func DefaultRatios() Ratios { return defaultRatios }

var defaultRatios = Ratios{
	Complete: 1.5, Incomplete: 0.7,
	Creak: 1.4, Voiced: 0.75,
	LongRun: 1, ShortRun: 1,
	Low: 1.4, NotLow: 0.85,
}

// withDefaults returns r with zero fields set from DefaultRatios.
func (r Ratios) withDefaults() Ratios {
	d := defaultRatios
	for _, f := range []struct {
		v *float64
		d float64
	}{
		{&r.Complete, d.Complete}, {&r.Incomplete, d.Incomplete}, {&r.Creak, d.Creak}, {&r.Voiced, d.Voiced},
		{&r.LongRun, d.LongRun}, {&r.ShortRun, d.ShortRun}, {&r.Low, d.Low}, {&r.NotLow, d.NotLow},
	} {
		if *f.v == 0 {
			*f.v = f.d
		}
	}
	return r
}

// valid reports whether every ratio is a positive finite number.
func (r Ratios) valid() bool {
	for _, v := range []float64{r.Complete, r.Incomplete, r.Creak, r.Voiced, r.LongRun, r.ShortRun, r.Low, r.NotLow} {
		if !(v > 0 && v < 1e6) {
			return false
		}
	}
	return true
}

// Config sets up an Endpointer. Zero fields take their defaults. Durations
// are rounded up to whole frames.
//
// By default a turn ends when the odds that the pause is its end reach
// Threshold (see Endpointer). Setting Silence switches to a fixed rule: the
// turn ends after Silence of trailing silence, EarlySilence when the
// transcript looks complete, LateSilence when it trails off.
type Config struct {
	// FrameDuration is the audio duration of one Push (default 20 ms).
	FrameDuration time.Duration
	// MinSpeech is how much continuous speech starts a turn (default
	// 60 ms): shorter bursts (clicks, a cough) are ignored.
	MinSpeech time.Duration
	// Tentative, when positive, emits a Pause event after this much trailing
	// silence, before the turn is decided, so that the caller can start
	// finalising the transcript and preparing a reply; Resume follows if
	// speech comes back first. Zero disables both (DefaultTentative is what
	// the edge uses). It must be below MinSilence (below EarlySilence with
	// the fixed rule).
	Tentative time.Duration
	// Cue judges partial transcripts (default DefaultCue).
	Cue CueFunc

	// Hold is how long the detector behind the decisions keeps reporting
	// speech after the speaker stops (Silero behind vad.Gate: about
	// 100 ms; an energy detector: 0). The model adds it to the silence it
	// sees to get the speaker's pause.
	Hold time.Duration
	// MinSilence and MaxSilence bound the trailing silence before a turn
	// ends (defaults DefaultMinSilence, DefaultMaxSilence).
	MinSilence, MaxSilence time.Duration
	// Threshold is the odds of a turn end at which the turn ends (default
	// DefaultThreshold). Higher waits longer and cuts in less.
	Threshold float64
	// PriorOdds is the odds of a turn end at a 150 ms pause, before any
	// evidence (default DefaultPriorOdds).
	PriorOdds float64
	// Pauses are the population's mid-turn pause lengths, 150 ms or more
	// (default DefaultPauses()).
	Pauses []time.Duration
	// LearnHabits mixes the speaker's own pauses in this stream into the
	// population's — those they went on after, and turn ends they resumed
	// within 1.5 s — so that a speaker who pauses long inside turns is
	// waited for. Off by default: on the tune half (at most five turns per
	// speaker) it cut more than it saved.
	LearnHabits bool
	// HabitWeight is how many population pauses the speaker's own count
	// as (default DefaultHabitWeight), with LearnHabits.
	HabitWeight float64
	// Without switches kinds of evidence off (default: none).
	Without Evidence
	// Ratios weigh the evidence (default DefaultRatios()).
	Ratios Ratios

	// Silence, when set, replaces the model with a fixed rule: the
	// trailing silence that ends a turn when the transcript gives no cue
	// (DefaultSilence is the historical 250 ms).
	Silence time.Duration
	// EarlySilence replaces Silence when the transcript looks complete
	// (default 160 ms). It must not exceed Silence.
	EarlySilence time.Duration
	// LateSilence replaces Silence when the transcript trails off or is
	// empty (default 600 ms). It must not be below Silence.
	LateSilence time.Duration
}

// fixed reports whether c uses the fixed rule.
func (c Config) fixed() bool { return c.Silence > 0 }

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.FrameDuration == 0 {
		c.FrameDuration = DefaultFrameDuration
	}
	if c.MinSpeech == 0 {
		c.MinSpeech = DefaultMinSpeech
	}
	if c.Cue == nil {
		c.Cue = DefaultCue
	}
	if c.fixed() {
		if c.EarlySilence == 0 {
			c.EarlySilence = min(DefaultEarlySilence, c.Silence)
		}
		if c.LateSilence == 0 {
			c.LateSilence = max(DefaultLateSilence, c.Silence)
		}
		return c
	}
	if c.MinSilence == 0 {
		c.MinSilence = DefaultMinSilence
	}
	if c.MaxSilence == 0 {
		c.MaxSilence = DefaultMaxSilence
	}
	if c.Threshold == 0 {
		c.Threshold = DefaultThreshold
	}
	if c.PriorOdds == 0 {
		c.PriorOdds = DefaultPriorOdds
	}
	if c.Pauses == nil {
		c.Pauses = defaultPauses[:]
	}
	if c.HabitWeight == 0 {
		c.HabitWeight = DefaultHabitWeight
	}
	c.Ratios = c.Ratios.withDefaults()
	return c
}

// validate checks a Config that has its defaults applied.
func (c Config) validate() error {
	switch {
	case c.FrameDuration < time.Millisecond || c.FrameDuration > time.Second:
		return fmt.Errorf("%w: FrameDuration %v, want 1ms..1s", ErrInvalidConfig, c.FrameDuration)
	case c.MinSpeech < 0:
		return fmt.Errorf("%w: MinSpeech %v is negative", ErrInvalidConfig, c.MinSpeech)
	case c.Hold < 0 || c.Hold > time.Second:
		return fmt.Errorf("%w: Hold %v, want 0..1s", ErrInvalidConfig, c.Hold)
	case c.Silence < 0:
		return fmt.Errorf("%w: Silence %v is negative", ErrInvalidConfig, c.Silence)
	}
	if c.fixed() {
		switch {
		case c.Silence > time.Minute:
			return fmt.Errorf("%w: Silence %v, want 0..1m", ErrInvalidConfig, c.Silence)
		case c.EarlySilence < 0 || c.EarlySilence > c.Silence:
			return fmt.Errorf("%w: EarlySilence %v, want 0..Silence (%v)", ErrInvalidConfig, c.EarlySilence, c.Silence)
		case c.LateSilence < c.Silence || c.LateSilence > time.Minute:
			return fmt.Errorf("%w: LateSilence %v, want Silence (%v)..1m", ErrInvalidConfig, c.LateSilence, c.Silence)
		case c.Tentative < 0 || (c.Tentative > 0 && c.Tentative >= c.EarlySilence):
			return fmt.Errorf("%w: Tentative %v, want 0 or below EarlySilence (%v)", ErrInvalidConfig, c.Tentative, c.EarlySilence)
		}
		return nil
	}
	switch {
	case c.MinSilence < c.FrameDuration || c.MinSilence > c.MaxSilence:
		return fmt.Errorf("%w: MinSilence %v, want FrameDuration..MaxSilence (%v)", ErrInvalidConfig, c.MinSilence, c.MaxSilence)
	case c.MaxSilence > time.Minute:
		return fmt.Errorf("%w: MaxSilence %v, want at most 1m", ErrInvalidConfig, c.MaxSilence)
	case c.Tentative < 0 || (c.Tentative > 0 && c.Tentative >= c.MinSilence):
		return fmt.Errorf("%w: Tentative %v, want 0 or below MinSilence (%v)", ErrInvalidConfig, c.Tentative, c.MinSilence)
	case !(c.Threshold > 0 && c.Threshold < 1e6):
		return fmt.Errorf("%w: Threshold %g, want > 0", ErrInvalidConfig, c.Threshold)
	case !(c.PriorOdds > 0 && c.PriorOdds < 1e6):
		return fmt.Errorf("%w: PriorOdds %g, want > 0", ErrInvalidConfig, c.PriorOdds)
	case !(c.HabitWeight > 0 && c.HabitWeight < 1e6):
		return fmt.Errorf("%w: HabitWeight %g, want > 0", ErrInvalidConfig, c.HabitWeight)
	case !c.Ratios.valid():
		return fmt.Errorf("%w: Ratios %+v, want positive ratios", ErrInvalidConfig, c.Ratios)
	case len(c.Pauses) == 0 || slices.ContainsFunc(c.Pauses, func(d time.Duration) bool { return d <= 0 }):
		return fmt.Errorf("%w: Pauses must be positive durations", ErrInvalidConfig)
	}
	return nil
}

// frames converts d to a whole number of frames, rounding up.
func (c Config) frames(d time.Duration) int64 {
	return int64((d + c.FrameDuration - 1) / c.FrameDuration)
}
