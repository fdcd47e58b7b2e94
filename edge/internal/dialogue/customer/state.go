package customer

import (
	scenariov1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1"
)

// objection status.
type status int

const (
	pending status = iota
	open
	handled
)

// objState is where one objection is.
type objState struct {
	status status
	used   map[scenariov1.Technique]bool // resolving techniques used while open
	pushes int
}

// evidence is the first line a technique was heard in, and how often.
type evidence struct {
	line  string
	turn  int
	count int
}

// exchange is one trainee line and the reply heard.
type exchange struct {
	trainee, customer string
}

// state is the conversation so far. It is copied for Prepare (clone) and
// changed only by apply.
type state struct {
	warmth     int
	turns      int // trainee lines heard
	objections []objState
	revealed   map[string]bool
	presented  map[string]bool // products explained with value (or in the full menu)
	priced     map[string]bool // products whose price was stated
	menuTurn   int             // turn of the first full menu, 0 if none
	firstPrice int             // turn of the first price statement, 0 if none
	firstValue int             // turn of the first value statement, 0 if none
	outcome    scenariov1.Outcome
	bought     []string
	evidence   map[scenariov1.Technique]*evidence
	said       map[string]bool // customer lines already used
	history    []exchange
	counts     map[scenariov1.Technique]int
}

func newState(sc *scenariov1.Scenario, d disposition) *state {
	s := &state{
		warmth:     d.startWarmth,
		objections: make([]objState, len(sc.GetObjectionDetails())),
		revealed:   map[string]bool{},
		presented:  map[string]bool{},
		priced:     map[string]bool{},
		evidence:   map[scenariov1.Technique]*evidence{},
		said:       map[string]bool{},
		counts:     map[scenariov1.Technique]int{},
	}
	for i := range s.objections {
		s.objections[i].used = map[scenariov1.Technique]bool{}
	}
	return s
}

// openObjection returns the index of the open objection, or -1.
func (s *state) openObjection() int {
	for i, o := range s.objections {
		if o.status == open {
			return i
		}
	}
	return -1
}

// clone returns a deep copy, for deciding without changing s.
func (s *state) clone() *state {
	c := *s
	c.objections = make([]objState, len(s.objections))
	for i, o := range s.objections {
		c.objections[i] = objState{status: o.status, pushes: o.pushes, used: copyMap(o.used)}
	}
	c.revealed = copyMap(s.revealed)
	c.presented = copyMap(s.presented)
	c.priced = copyMap(s.priced)
	c.said = copyMap(s.said)
	c.counts = copyMap(s.counts)
	c.evidence = make(map[scenariov1.Technique]*evidence, len(s.evidence))
	for k, v := range s.evidence {
		e := *v
		c.evidence[k] = &e
	}
	c.bought = append([]string(nil), s.bought...)
	c.history = append([]exchange(nil), s.history...)
	return &c
}

func copyMap[K comparable, V any](m map[K]V) map[K]V {
	out := make(map[K]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// disposition is the scenario's Disposition with defaults applied.
type disposition struct {
	startWarmth, buyAt, walkAt, maxTurns, pushPenalty int
}

func dispositionOf(sc *scenariov1.Scenario) disposition {
	d := sc.GetDisposition()
	out := disposition{startWarmth: 40, buyAt: 60, walkAt: 10, maxTurns: 16, pushPenalty: 15}
	if d == nil {
		return out
	}
	if d.StartWarmth > 0 {
		out.startWarmth = int(d.StartWarmth)
	}
	if d.BuyAt > 0 {
		out.buyAt = int(d.BuyAt)
	}
	if d.WalkAt > 0 {
		out.walkAt = int(d.WalkAt)
	}
	if d.MaxTurns > 0 {
		out.maxTurns = int(d.MaxTurns)
	}
	if d.PushPenalty > 0 {
		out.pushPenalty = int(d.PushPenalty)
	}
	return out
}
