package customer

import (
	"slices"
	"strings"

	"github.com/avatar-fi/avatar/edge/internal/dialogue/lexicon"
	"github.com/avatar-fi/avatar/edge/internal/dialogue/technique"
	scenariov1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1"
)

// Technique shorthands.
const (
	tRapport     = scenariov1.Technique_TECHNIQUE_RAPPORT
	tOpen        = scenariov1.Technique_TECHNIQUE_OPEN_QUESTION
	tMenu        = scenariov1.Technique_TECHNIQUE_FULL_MENU
	tValue       = scenariov1.Technique_TECHNIQUE_VALUE_BEFORE_PRICE
	tAcknowledge = scenariov1.Technique_TECHNIQUE_ACKNOWLEDGE_OBJECTION
	tIsolate     = scenariov1.Technique_TECHNIQUE_ISOLATE_OBJECTION
	tAlternative = scenariov1.Technique_TECHNIQUE_OFFER_ALTERNATIVE
	tDisclosure  = scenariov1.Technique_TECHNIQUE_DISCLOSURE
	tAsk         = scenariov1.Technique_TECHNIQUE_ASK_FOR_BUSINESS
	tPressure    = scenariov1.Technique_TECHNIQUE_PRESSURE
	tMisleading  = scenariov1.Technique_TECHNIQUE_MISLEADING
	tArgue       = scenariov1.Technique_TECHNIQUE_ARGUE
	tPrice       = scenariov1.Technique_TECHNIQUE_PRICE_STATEMENT
)

// warmthGain is what each good technique adds to warmth, the first few
// times it is used (gains fade: the third open question charms less than
// the first).
var warmthGain = map[scenariov1.Technique]int{
	tRapport: 4, tOpen: 4, tMenu: 5, tValue: 3, tAcknowledge: 4, tIsolate: 2,
	tAlternative: 3, tDisclosure: 4,
}

// gainUses is how many uses of a technique still add warmth.
const gainUses = 3

// handledGain is the warmth an objection handled adds.
const handledGain = 10

// revealGain is the warmth a hidden fact asked about adds: the customer
// feels heard.
const revealGain = 3

// priceFirstLoss is the warmth lost when a product's price comes before
// anything about what it does.
const priceFirstLoss = 3

// effect kinds of a decision.
type decision struct {
	line       string
	techniques []scenariov1.Technique
	warmth     int // delta
	reveal     []string
	raise      int // objection raised, -1 for none
	progress   map[int][]scenariov1.Technique
	handled    []int
	pushed     int // objection pushed on, -1 for none
	presented  []string
	priced     []string
	outcome    scenariov1.Outcome
	bought     []string
	said       []string // customer lines used
	parts      []string // the reply, sentence groups in order
	// beats describe the reply for a language model: what happened, in the
	// customer's terms.
	beats []string
}

// decide works out what the customer does about line, on st (a clone it may
// change freely), with the random source of the session.
func (e *Engine) decide(st *state, line string, r *picker) *decision {
	sc := e.sc
	t := lexicon.Analyze(line)
	res := e.classifier.ClassifyText(t, sc.GetPersona().GetName())
	d := &decision{line: line, techniques: res.Techniques, raise: -1, pushed: -1, progress: map[int][]scenariov1.Technique{}}
	has := func(x scenariov1.Technique) bool { return res.Has(x) }
	st.turns++
	turn := st.turns

	if st.outcome != scenariov1.Outcome_OUTCOME_UNSPECIFIED {
		// The customer has decided; the rest is paperwork.
		d.parts = append(d.parts, r.pick(afterOutcome[st.outcome], st))
		d.beats = append(d.beats, "You have already made your decision; keep it short and polite.")
		d.outcome = st.outcome // it stands
		return d
	}

	// Warmth from technique.
	for _, x := range res.Techniques {
		if g, ok := warmthGain[x]; ok && st.counts[x] < gainUses {
			d.warmth += g
		}
		st.counts[x]++
	}
	// Products talked about.
	mentioned := e.productsIn(t)
	if has(tMenu) {
		for _, p := range sc.GetDeal().GetProducts() {
			d.presented = append(d.presented, p.GetId())
		}
	}
	if has(tValue) {
		d.presented = append(d.presented, mentioned...)
		if len(mentioned) == 0 {
			if last := e.lastProduct(st); last != "" {
				d.presented = append(d.presented, last)
			}
		}
	}
	if has(tPrice) {
		for _, p := range mentioned {
			if !st.presented[p] && !slices.Contains(d.presented, p) {
				d.warmth -= priceFirstLoss
			}
			d.priced = append(d.priced, p)
		}
	}
	for _, p := range d.presented {
		st.presented[p] = true
	}

	// Pushes cost warmth, more so when an objection is open.
	pushes := 0
	for _, x := range []scenariov1.Technique{tPressure, tMisleading, tArgue} {
		if has(x) {
			pushes++
		}
	}
	if pushes > 0 {
		d.warmth -= e.disp.pushPenalty + 5*(pushes-1)
	}

	// The open objection: pushed, progressed or handled.
	if oi := st.openObjection(); oi >= 0 {
		ob := sc.GetObjectionDetails()[oi]
		os := &st.objections[oi]
		if pushes > 0 {
			os.pushes++
			d.pushed = oi
			d.parts = append(d.parts, r.pickOr(ob.GetPushedLines(), pushedStock, st))
			d.beats = append(d.beats, "The trainee pushed you on your concern ("+ob.GetId()+"); you push back and feel pressured.")
		} else {
			var used []scenariov1.Technique
			for _, x := range ob.GetResolvedBy() {
				if has(x) && !os.used[x] {
					used = append(used, x)
					os.used[x] = true
				}
			}
			d.progress[oi] = used
			if len(os.used) >= needed(ob) {
				os.status = handled
				d.handled = append(d.handled, oi)
				d.warmth += handledGain
				d.parts = append(d.parts, r.pickOr(ob.GetHandledLines(), handledStock, st))
				d.beats = append(d.beats, "Your concern ("+ob.GetId()+") has been handled well; say so and soften.")
			} else if len(used) > 0 {
				d.parts = append(d.parts, r.pick(progressStock, st))
				d.beats = append(d.beats, "The trainee is addressing your concern ("+ob.GetId()+") but you are not convinced yet.")
			}
		}
	}

	// Hidden facts the line asks about.
	question := t.Question || res.Has(tOpen) || startsLikeQuestion(t)
	if question {
		for _, f := range sc.GetHiddenFactDetails() {
			if st.revealed[f.GetId()] || len(d.reveal) >= 2 {
				continue
			}
			if f.GetOpenQuestionOnly() && !res.Has(tOpen) {
				continue
			}
			if _, ok := lexicon.AnyMatch(e.factCues[f.GetId()], t); ok {
				d.reveal = append(d.reveal, f.GetId())
				st.revealed[f.GetId()] = true
				d.warmth += revealGain
				d.parts = append(d.parts, r.pick(f.GetLines(), st))
				d.beats = append(d.beats, "The trainee asked about something you had not mentioned; tell them: "+f.GetFact())
			}
		}
	}

	// A concern the trainee answers before it is voiced: the line names it
	// and already does what resolves it.
	for i, ob := range sc.GetObjectionDetails() {
		if st.objections[i].status != pending {
			continue
		}
		if _, ok := lexicon.AnyMatch(e.objCues[i], t); !ok {
			continue
		}
		n := 0
		for _, x := range ob.GetResolvedBy() {
			if has(x) {
				n++
			}
		}
		if n >= needed(ob) {
			st.objections[i].status = handled
			d.handled = append(d.handled, i)
			d.warmth += handledGain / 2
			d.beats = append(d.beats, "The trainee answered a concern of yours ("+ob.GetId()+") before you raised it; you feel understood.")
		}
	}

	st.warmth = clamp(st.warmth + d.warmth)

	// Walking away beats everything else.
	if st.warmth <= e.disp.walkAt {
		e.decideOutcome(st, d, r, scenariov1.Outcome_OUTCOME_WALKED)
		return d
	}

	// A new objection, when none is open.
	if st.openObjection() < 0 {
		for i, ob := range sc.GetObjectionDetails() {
			if st.objections[i].status != pending {
				continue
			}
			cued := false
			if _, ok := lexicon.AnyMatch(e.objCues[i], t); ok {
				cued = true
			}
			if p := ob.GetProductId(); p != "" {
				inPlay := slices.Contains(mentioned, p) || st.presented[p] || st.priced[p]
				if !inPlay {
					cued = false // "and $895 for it?" needs "it" on the table
				} else if has(tPrice) || has(tAsk) {
					cued = true
				}
			}
			if !cued && (has(tAsk) || has(tIsolate) || (has(tAcknowledge) && question)) {
				// The customer speaks up before buying, and when invited to
				// say what holds them back.
				cued = true
			}
			if cued {
				st.objections[i].status = open
				d.raise = i
				d.parts = append(d.parts, r.pick(ob.GetLines(), st))
				d.beats = append(d.beats, "Raise your concern now: "+strings.Join(ob.GetLines()[:1], " "))
				break
			}
		}
	} else if has(tAsk) && d.pushed < 0 && len(d.handled) == 0 {
		d.parts = append(d.parts, r.pick(stillConcerned, st))
		d.beats = append(d.beats, "The trainee asked you to decide, but your concern is not resolved; say you are not there yet.")
	}

	// A decision, when asked with nothing open, or when time is up.
	if d.raise < 0 && st.openObjection() < 0 && (has(tAsk) || turn >= e.disp.maxTurns) {
		e.decideOutcome(st, d, r, e.verdict(st))
		return d
	}
	if turn >= e.disp.maxTurns {
		e.decideOutcome(st, d, r, e.verdict(st))
		return d
	}

	// Nothing else to say: react to the line.
	if len(d.parts) == 0 {
		d.parts = append(d.parts, e.react(st, d, res, mentioned, question, r))
	}
	return d
}

// verdict is the outcome when the customer decides now.
func (e *Engine) verdict(st *state) scenariov1.Outcome {
	allHandled := true
	for _, o := range st.objections {
		if o.status != handled {
			allHandled = false
		}
	}
	switch {
	case st.warmth >= e.disp.buyAt && allHandled:
		return scenariov1.Outcome_OUTCOME_BOUGHT
	case st.warmth <= (e.disp.walkAt+e.disp.buyAt)/2-10:
		return scenariov1.Outcome_OUTCOME_WALKED
	default:
		return scenariov1.Outcome_OUTCOME_DEFERRED
	}
}

// decideOutcome ends the negotiation with o.
func (e *Engine) decideOutcome(st *state, d *decision, r *picker, o scenariov1.Outcome) {
	dsp := e.sc.GetDisposition()
	d.outcome = o
	st.outcome = o
	switch o {
	case scenariov1.Outcome_OUTCOME_BOUGHT:
		d.bought = e.purchases(st)
		d.parts = append(d.parts, r.pickOr(dsp.GetBuyLines(), buyStock, st))
		d.beats = append(d.beats, "You decide to buy: "+strings.Join(e.productNames(d.bought), ", ")+". Say yes warmly.")
	case scenariov1.Outcome_OUTCOME_DEFERRED:
		d.parts = append(d.parts, r.pickOr(dsp.GetDeferLines(), deferStock, st))
		d.beats = append(d.beats, "You are not ready to decide; say you want to think it over, politely.")
	case scenariov1.Outcome_OUTCOME_WALKED:
		d.parts = append(d.parts, r.pickOr(dsp.GetWalkLines(), walkStock, st))
		d.beats = append(d.beats, "You have had enough and decline everything; say so firmly.")
	}
}

// purchases are the products presented with value whose objections, if any,
// were handled; when nothing was presented, the products of handled
// objections.
func (e *Engine) purchases(st *state) []string {
	blocked := map[string]bool{}
	for i, ob := range e.sc.GetObjectionDetails() {
		if p := ob.GetProductId(); p != "" && st.objections[i].status != handled {
			blocked[p] = true
		}
	}
	var out []string
	for _, p := range e.sc.GetDeal().GetProducts() {
		if st.presented[p.GetId()] && !blocked[p.GetId()] {
			out = append(out, p.GetId())
		}
	}
	if len(out) == 0 {
		for i, ob := range e.sc.GetObjectionDetails() {
			if p := ob.GetProductId(); p != "" && st.objections[i].status == handled && !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// react answers a line that raised, revealed and handled nothing.
func (e *Engine) react(st *state, d *decision, res technique.Result, mentioned []string, question bool, r *picker) string {
	switch {
	case d.pushed >= 0 || res.Has(tPressure):
		d.beats = append(d.beats, "The trainee is pressuring you; you do not like it.")
		return r.pick(pressuredStock, st)
	case res.Has(tMisleading):
		d.beats = append(d.beats, "What the trainee just claimed sounds wrong to you.")
		return r.pick(misledStock, st)
	case res.Has(tArgue):
		d.beats = append(d.beats, "The trainee is arguing with you; you feel talked down to.")
		return r.pick(arguedStock, st)
	case res.Has(tMenu):
		d.beats = append(d.beats, "The trainee showed you the whole menu; ask a natural question about it.")
		return r.pick(menuStock, st)
	case res.Has(tValue) && res.Has(tPrice):
		d.beats = append(d.beats, "The trainee explained a product and its price; you are thinking about it.")
		return r.pick(considerStock, st)
	case res.Has(tValue):
		d.beats = append(d.beats, "The trainee explained what a product does; you are interested but ask what it costs.")
		return r.pick(valueStock, st)
	case res.Has(tPrice):
		d.beats = append(d.beats, "The trainee quoted a price before saying what it is for; you are wary.")
		return r.pick(priceFirstStock, st)
	case question:
		d.beats = append(d.beats, "The trainee asked you something you have no special answer to; answer briefly in character.")
		return r.pick(answerStock, st)
	case res.Has(tRapport):
		d.beats = append(d.beats, "The trainee is being friendly; respond warmly but briefly.")
		return r.pick(rapportStock, st)
	case res.Has(tDisclosure):
		d.beats = append(d.beats, "The trainee told you the products are optional; you appreciate the honesty.")
		return r.pick(disclosureStock, st)
	case len(mentioned) > 0:
		d.beats = append(d.beats, "The trainee mentioned a product without explaining it; ask what it is for.")
		return r.pick(whatIsItStock, st)
	default:
		d.beats = append(d.beats, "Nothing much happened; give a short neutral reply and let the trainee lead.")
		return r.pick(neutralStock, st)
	}
}

// productsIn returns the ids of the deal's products the line names.
func (e *Engine) productsIn(t *lexicon.Text) []string {
	var out []string
	for _, p := range e.sc.GetDeal().GetProducts() {
		if _, ok := lexicon.AnyMatch(e.productCues[p.GetId()], t); ok {
			out = append(out, p.GetId())
		}
	}
	return out
}

// lastProduct is the product of the open objection, the one a line about
// "it" most likely means.
func (e *Engine) lastProduct(st *state) string {
	if oi := st.openObjection(); oi >= 0 {
		return e.sc.GetObjectionDetails()[oi].GetProductId()
	}
	return ""
}

func (e *Engine) productNames(ids []string) []string {
	var out []string
	for _, p := range e.sc.GetDeal().GetProducts() {
		if slices.Contains(ids, p.GetId()) {
			out = append(out, p.GetName())
		}
	}
	if len(out) == 0 {
		out = append(out, "the deal as it is, without extras")
	}
	return out
}

func needed(ob *scenariov1.Objection) int {
	n := int(ob.GetNeeded())
	if n <= 0 {
		n = 2
	}
	return min(n, max(len(ob.GetResolvedBy()), 1))
}

// startsLikeQuestion reports a line that opens like a question
// ("do you…", "how…") even without a question mark, as a recogniser
// writes it.
func startsLikeQuestion(t *lexicon.Text) bool {
	if len(t.Words) == 0 {
		return false
	}
	switch t.Words[0] {
	case "do", "does", "did", "are", "is", "was", "were", "have", "has", "can", "could", "would", "will",
		"how", "what", "why", "when", "where", "who", "which", "any":
		return true
	}
	return false
}

func clamp(w int) int { return max(0, min(100, w)) }
