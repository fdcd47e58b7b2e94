package customer

import (
	"fmt"
	"math"
	"strings"

	scenariov1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1"
)

// negative techniques score full marks when never used.
var negative = map[scenariov1.Technique]bool{tPressure: true, tMisleading: true, tArgue: true}

// tips say what a missing technique sounds like.
var tips = map[scenariov1.Technique]string{
	tRapport:     `Not heard. Open warmly: "Congratulations on the new car, how has your day been?"`,
	tOpen:        `No open questions. Ask one they can't answer yes or no: "How long do you usually keep your cars?"`,
	tMenu:        `The whole menu was never shown. Present every option side by side before pricing any one.`,
	tValue:       `No product's value was explained. Say what it does for them before what it costs.`,
	tAcknowledge: `The objection was never acknowledged. Start with "I understand" before answering it.`,
	tIsolate:     `The objection was never isolated. Ask: "Other than the price, is anything else holding you back?"`,
	tAlternative: `No alternative was offered. Offer a lighter plan, a shorter term or a higher deductible instead of pushing.`,
	tDisclosure:  `Never said the products are optional. Say it: "These are optional and not required for your financing."`,
	tAsk:         `Never asked for the business. Ask: "Which of these options works best for you?"`,
}

// Grade scores the conversation so far against the scenario's rubric.
func (e *Engine) Grade() *scenariov1.Scorecard {
	e.mu.Lock()
	defer e.mu.Unlock()
	st := e.st
	card := &scenariov1.Scorecard{Outcome: st.outcome, ProductsBought: append([]string(nil), st.bought...)}
	if card.Outcome == scenariov1.Outcome_OUTCOME_UNSPECIFIED {
		card.Outcome = scenariov1.Outcome_OUTCOME_OPEN
	}
	raised := false
	for _, o := range st.objections {
		if o.status != pending {
			raised = true
		}
	}
	var got, total float64
	var best, worst *scenariov1.ScorecardItem
	for _, item := range e.sc.GetRubric() {
		w := float64(item.GetWeight())
		if w <= 0 {
			continue
		}
		x := item.GetTechnique()
		frac, comment, quote := e.score(st, x, raised)
		si := &scenariov1.ScorecardItem{
			Criterion: item.GetCriterion(), Technique: x, MaxScore: w,
			Score: math.Round(w*frac*10) / 10, Comment: comment, Evidence: quote,
		}
		card.Items = append(card.Items, si)
		got += si.Score
		total += w
		if best == nil || si.Score/w > best.Score/best.MaxScore {
			best = si
		}
		if worst == nil || si.Score/w < worst.Score/worst.MaxScore {
			worst = si
		}
	}
	if total > 0 {
		card.OverallScore = math.Round(got/total*1000) / 10
	}
	card.Summary = e.summary(st, best, worst)
	return card
}

// score returns the share of an item's marks earned, its comment and the
// quote it rests on.
func (e *Engine) score(st *state, x scenariov1.Technique, raised bool) (float64, string, string) {
	ev := st.evidence[x]
	if negative[x] {
		if ev == nil {
			return 1, "None heard: you stayed " + cleanName(x) + "-free.", ""
		}
		return 0, fmt.Sprintf("You said %s — %s.", quote(ev.line), negativeWhy[x]), ev.line
	}
	if ev == nil {
		if (x == tAcknowledge || x == tIsolate) && !raised {
			if st.outcome != scenariov1.Outcome_OUTCOME_UNSPECIFIED {
				return 1, "No objection came up, so there was nothing to " + verbOf(x) + ".", ""
			}
			return 0, "No objection came up before the session ended: nothing shown yet.", ""
		}
		return 0, tips[x], ""
	}
	frac := 1.0
	comment := "You said " + quote(ev.line) + "."
	switch x {
	case tOpen:
		if ev.count < 2 {
			frac = 0.6
			comment = "One open question: " + quote(ev.line) + ". Ask more to uncover what they need."
		} else {
			comment = fmt.Sprintf("%d open questions, such as %s.", ev.count, quote(ev.line))
		}
	case tValue:
		if st.firstPrice > 0 && st.firstPrice < ev.turn {
			frac = 0.5
			comment = "Value came after a price: " + quote(ev.line) + ". Explain what it does before what it costs."
		}
	case tMenu:
		if st.firstPrice > 0 && st.firstPrice < ev.turn {
			frac = 0.5
			comment = "The menu came after a single product was priced: " + quote(ev.line) + "."
		}
	}
	return frac, comment, ev.line
}

var negativeWhy = map[scenariov1.Technique]string{
	tPressure:   "that is pressure; customers who feel rushed stop listening",
	tMisleading: "that claim is misleading and a compliance risk",
	tArgue:      "arguing makes the customer defend their position",
}

func (e *Engine) summary(st *state, best, worst *scenariov1.ScorecardItem) string {
	var b strings.Builder
	switch st.outcome {
	case scenariov1.Outcome_OUTCOME_BOUGHT:
		b.WriteString(e.sc.GetPersona().GetName() + " bought: " + strings.Join(e.productNames(st.bought), ", ") + ".")
	case scenariov1.Outcome_OUTCOME_DEFERRED:
		b.WriteString(e.sc.GetPersona().GetName() + " wanted to think it over.")
	case scenariov1.Outcome_OUTCOME_WALKED:
		b.WriteString(e.sc.GetPersona().GetName() + " declined everything.")
	default:
		b.WriteString("The session ended before " + e.sc.GetPersona().GetName() + " decided.")
	}
	switch {
	case worst != nil && worst.Score >= worst.MaxScore:
		b.WriteString(" Full marks on every item of the rubric.")
	default:
		if best != nil && best.Score > 0 {
			b.WriteString(" Strongest: " + best.GetCriterion() + ".")
		}
		if worst != nil && worst != best {
			b.WriteString(" Work on: " + worst.GetCriterion() + ".")
		}
	}
	return b.String()
}

// quote returns line in quotes, cut to about 120 characters.
func quote(line string) string {
	line = strings.TrimSpace(line)
	if r := []rune(line); len(r) > 120 {
		line = strings.TrimSpace(string(r[:117])) + "…"
	}
	return "\u201c" + line + "\u201d"
}

func cleanName(x scenariov1.Technique) string {
	return strings.ToLower(strings.TrimPrefix(x.String(), "TECHNIQUE_"))
}

func verbOf(x scenariov1.Technique) string {
	if x == tIsolate {
		return "isolate"
	}
	return "acknowledge"
}
