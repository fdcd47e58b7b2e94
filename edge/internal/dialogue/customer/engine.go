package customer

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strings"
	"sync"

	"github.com/avatar-fi/avatar/edge/internal/dialogue"
	"github.com/avatar-fi/avatar/edge/internal/dialogue/lexicon"
	"github.com/avatar-fi/avatar/edge/internal/dialogue/technique"
	scenariov1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1"
)

// ErrScenario is returned by New for a scenario the engine cannot play.
var ErrScenario = errors.New("customer: scenario cannot be played")

// Phraser rewrites the reply the state machine decided in the persona's own
// words (a language model); nil keeps the scenario's and the stock lines.
// Phrase streams the reply to out and must stop soon after ctx ends.
type Phraser interface {
	Phrase(ctx context.Context, p Prompt, out func(delta string) error) error
}

// Prompt is what a Phraser is given: the persona and the deal, the
// conversation so far, the trainee's new line, what the customer must
// convey now (beats) and the reply the state machine would say (draft).
type Prompt struct {
	Scenario *scenariov1.Scenario
	History  []Exchange
	Line     string
	Beats    []string
	Draft    string
	Warmth   int
	Outcome  scenariov1.Outcome
}

// Exchange is one trainee line and the customer's reply as heard.
type Exchange struct{ Trainee, Customer string }

// Config sets up one session's customer.
type Config struct {
	// Scenario is what is played; required.
	Scenario *scenariov1.Scenario
	// Classifier hears the trainee's techniques; required.
	Classifier *technique.Classifier
	// Seed varies the phrasing between sessions (the session id).
	Seed string
	// Phraser, optional, rephrases replies in character.
	Phraser Phraser
}

// Engine is one session's role-play customer; a dialogue.Engine. It is safe
// for concurrent use.
type Engine struct {
	sc          *scenariov1.Scenario
	classifier  *technique.Classifier
	phraser     Phraser
	disp        disposition
	factCues    map[string][]lexicon.Cue
	objCues     [][]lexicon.Cue
	productCues map[string][]lexicon.Cue

	mu      sync.Mutex
	st      *state
	rng     *rand.Rand
	opening string
}

var _ dialogue.Engine = (*Engine)(nil)

// New prepares the customer of cfg.Scenario.
func New(cfg Config) (*Engine, error) {
	sc := cfg.Scenario
	if sc == nil || cfg.Classifier == nil {
		return nil, fmt.Errorf("%w: scenario and classifier are required", ErrScenario)
	}
	if len(sc.GetOpenings()) == 0 {
		return nil, fmt.Errorf("%w: %q has no opening", ErrScenario, sc.GetTitle())
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(cfg.Seed))
	e := &Engine{
		sc: sc, classifier: cfg.Classifier, phraser: cfg.Phraser, disp: dispositionOf(sc),
		factCues: map[string][]lexicon.Cue{}, productCues: map[string][]lexicon.Cue{},
		rng: rand.New(rand.NewPCG(h.Sum64(), 0x5eed)),
	}
	for _, f := range sc.GetHiddenFactDetails() {
		e.factCues[f.GetId()] = lexicon.Cues(f.GetCues()...)
	}
	for _, o := range sc.GetObjectionDetails() {
		e.objCues = append(e.objCues, lexicon.Cues(o.GetCues()...))
	}
	for _, p := range sc.GetDeal().GetProducts() {
		e.productCues[p.GetId()] = lexicon.Cues(append([]string{p.GetName()}, p.GetAliases()...)...)
	}
	e.st = newState(sc, e.disp)
	r := &picker{rng: e.rng}
	e.opening = r.pick(sc.GetOpenings(), e.st)
	e.st.said[e.opening] = true
	return e, nil
}

// Opening returns the customer's first line, chosen once per session.
func (e *Engine) Opening() string { return e.opening }

// Warmth returns the customer's warmth now, 0 to 100.
func (e *Engine) Warmth() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.st.warmth
}

// Outcome returns the customer's decision, OUTCOME_UNSPECIFIED until made.
func (e *Engine) Outcome() scenariov1.Outcome {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.st.outcome
}

// prepared is a decided reply.
type prepared struct {
	e    *Engine
	d    *decision
	text string
	hist []Exchange
	warm int
}

// Prepare decides the customer's reply to line without changing the
// conversation.
func (e *Engine) Prepare(ctx context.Context, line string) (dialogue.Prepared, error) {
	if err := ctx.Err(); err != nil {
		return nil, context.Cause(ctx)
	}
	e.mu.Lock()
	st := e.st.clone()
	r := &picker{rng: e.rng}
	d := e.decide(st, line, r)
	d.said = r.picked
	hist := make([]Exchange, len(e.st.history))
	for i, x := range e.st.history {
		hist[i] = Exchange{Trainee: x.trainee, Customer: x.customer}
	}
	e.mu.Unlock()
	return &prepared{e: e, d: d, text: strings.Join(d.parts, " "), hist: hist, warm: st.warmth}, nil
}

// Stream writes the reply: the decided text a sentence at a time, or the
// Phraser's rewording of it.
func (p *prepared) Stream(ctx context.Context, out func(delta string) error) error {
	if p.e.phraser != nil {
		return p.e.phraser.Phrase(ctx, Prompt{
			Scenario: p.e.sc, History: p.hist, Line: p.d.line, Beats: p.d.beats,
			Draft: p.text, Warmth: p.warm, Outcome: p.d.outcome,
		}, out)
	}
	for i, s := range splitSentences(p.text) {
		if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		if i > 0 {
			s = " " + s
		}
		if err := out(s); err != nil {
			return err
		}
	}
	return nil
}

// Result reports the techniques heard and the outcome, if decided.
func (p *prepared) Result() dialogue.Result {
	return dialogue.Result{Techniques: p.d.techniques, Outcome: p.d.outcome}
}

// Commit applies a prepared reply to the conversation.
func (e *Engine) Commit(p dialogue.Prepared, heard string) {
	pp, ok := p.(*prepared)
	if !ok || pp.e != e {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.apply(e.st, pp.d, heard)
}

// Observe applies a trainee line that got no reply: its techniques count,
// and what it would have changed, changes.
func (e *Engine) Observe(line string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	d := e.decide(e.st.clone(), line, &picker{rng: e.rng})
	d.said = nil
	e.apply(e.st, d, "")
}

// apply replays decision d on st.
func (e *Engine) apply(st *state, d *decision, heard string) {
	st.turns++
	turn := st.turns
	for _, x := range d.techniques {
		st.counts[x]++
		if ev := st.evidence[x]; ev != nil {
			ev.count++
		} else {
			st.evidence[x] = &evidence{line: d.line, turn: turn, count: 1}
		}
		switch x {
		case tPrice:
			if st.firstPrice == 0 {
				st.firstPrice = turn
			}
		case tValue:
			if st.firstValue == 0 {
				st.firstValue = turn
			}
		case tMenu:
			if st.menuTurn == 0 {
				st.menuTurn = turn
			}
		}
	}
	if st.outcome == scenariov1.Outcome_OUTCOME_UNSPECIFIED {
		st.warmth = clamp(st.warmth + d.warmth)
	}
	for _, f := range d.reveal {
		st.revealed[f] = true
	}
	if d.pushed >= 0 {
		st.objections[d.pushed].pushes++
	}
	for oi, used := range d.progress {
		for _, x := range used {
			st.objections[oi].used[x] = true
		}
	}
	for _, oi := range d.handled {
		st.objections[oi].status = handled
	}
	if d.raise >= 0 && st.objections[d.raise].status == pending {
		st.objections[d.raise].status = open
	}
	for _, p := range d.presented {
		st.presented[p] = true
	}
	for _, p := range d.priced {
		st.priced[p] = true
	}
	if st.outcome == scenariov1.Outcome_OUTCOME_UNSPECIFIED && d.outcome != scenariov1.Outcome_OUTCOME_UNSPECIFIED {
		st.outcome = d.outcome
		st.bought = append([]string(nil), d.bought...)
	}
	for _, s := range d.said {
		st.said[s] = true
	}
	st.history = append(st.history, exchange{trainee: d.line, customer: heard})
}

// picker chooses lines at random, preferring ones not said yet in the
// session, and remembers what it picked.
type picker struct {
	rng    *rand.Rand
	picked []string
}

// pick returns one of lines; "" when there are none.
func (p *picker) pick(lines []string, st *state) string {
	if len(lines) == 0 {
		return ""
	}
	var fresh []string
	for _, l := range lines {
		if !st.said[l] {
			fresh = append(fresh, l)
		}
	}
	if len(fresh) == 0 {
		fresh = lines
	}
	l := fresh[p.rng.IntN(len(fresh))]
	st.said[l] = true
	p.picked = append(p.picked, l)
	return l
}

// pickOr picks from the scenario's lines, or from the stock when it has none.
func (p *picker) pickOr(lines, stock []string, st *state) string {
	if len(lines) == 0 {
		lines = stock
	}
	return p.pick(lines, st)
}

// splitSentences cuts text after each sentence's final punctuation.
func splitSentences(text string) []string {
	var out []string
	start := 0
	for i := 0; i < len(text); i++ {
		if c := text[i]; (c == '.' || c == '?' || c == '!') && (i+1 == len(text) || text[i+1] == ' ') {
			if s := strings.TrimSpace(text[start : i+1]); s != "" {
				out = append(out, s)
			}
			start = i + 1
		}
	}
	if s := strings.TrimSpace(text[start:]); s != "" {
		out = append(out, s)
	}
	return out
}
