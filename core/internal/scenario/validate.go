package scenario

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	"github.com/avatar-fi/avatar/core/internal/validate"
	scenariov1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1"
)

// Limits of a scenario; Validate's doc comment lists them for readers.
const (
	maxTitle       = 200 // title, names, criteria, cues, aliases (characters)
	maxText        = 2000
	maxObjections  = 20
	maxHiddenFacts = 20
	maxProducts    = 20
	maxRubric      = 20
	maxOpenings    = 10
	maxEntries     = 50 // lines, cues and aliases of one item
	maxSlug        = 64
	maxAmount      = 10_000_000
	maxTermMonths  = 360
	maxWeight      = 1000
	maxBytes       = 256 << 10
)

// Defaults the edge's engine applies to zero values (see the proto's comments).
const (
	defaultNeeded      = 2
	defaultStartWarmth = 40
	defaultBuyAt       = 60
	defaultWalkAt      = 10
)

// Voices are the persona voices a scenario may name; empty takes the edge's default.
var voices = []string{"", "slt", "rms", "awb", "kal"}

var slugRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// Validate reports whether sc is a playable scenario, as a *validate.Error naming every
// bad field (paths start with "scenario.") or nil. Output-only fields (id, dealership,
// built-in flag, times, version, copy source) are not checked. The rules:
//
//   - title: 1 to 200 characters; persona.name: required, at most 200; persona.voice: "",
//     "slt", "rms", "awb" or "kal"; every other string at most 2,000 characters, cues,
//     aliases, criteria and names at most 200; no control characters but tabs and line
//     breaks (none at all in titles, names, ids and cues).
//   - at most 20 objections, 20 hidden facts, 20 products and 20 rubric items; 1 to 10
//     openings; at most 50 lines, cues or aliases per item.
//   - ids of products, objections and hidden facts: slugs (a-z, 0-9, "-", "_", at most 64)
//     unique within their list.
//   - an objection: at least one line and one handled line; product_id, when set, names
//     a product of the deal; resolved_by lists at least one technique, each once, none
//     TECHNIQUE_UNSPECIFIED and none a push (pressure, misleading, argue); needed is not
//     negative and no more than len(resolved_by), counting the default 2 for 0.
//   - a hidden fact: the fact, at least one cue (else it is never revealed) and a line.
//   - disposition: start_warmth, buy_at, walk_at and push_penalty from 0 to 100, max_turns
//     from 0 to 100; with the defaults for zeros (40, 60, 10), walk_at below buy_at and
//     below start_warmth.
//   - deal: amounts finite, from 0 to 10,000,000; apr 0 to 100; term_months 0 to 360.
//   - rubric: a criterion and a technique (not TECHNIQUE_UNSPECIFIED) per item; weights
//     from 0 to 1,000, not all 0.
//   - the whole scenario, encoded, at most 256 KiB.
func Validate(sc *scenariov1.Scenario) error {
	if sc == nil {
		return validate.Invalid(ErrInvalid, "scenario", "is required")
	}
	var c checker
	c.line("scenario.title", sc.GetTitle(), true, maxTitle)
	c.text("scenario.description", sc.GetDescription(), false, maxText)
	c.text("scenario.goal", sc.GetGoal(), false, maxText)
	p := sc.GetPersona()
	c.line("scenario.persona.name", p.GetName(), true, maxTitle)
	c.text("scenario.persona.background", p.GetBackground(), false, maxText)
	c.text("scenario.persona.temperament", p.GetTemperament(), false, maxText)
	if !slices.Contains(voices, p.GetVoice()) {
		c.Add("scenario.persona.voice", `must be "slt", "rms", "awb" or "kal", or empty for the edge's default voice`)
	}
	c.texts("scenario.objections", sc.GetObjections(), 0, maxObjections, maxText, "")
	c.texts("scenario.hiddenFacts", sc.GetHiddenFacts(), 0, maxHiddenFacts, maxText, "")
	products := c.deal(sc.GetDeal())
	c.objections(sc.GetObjectionDetails(), products)
	c.hiddenFacts(sc.GetHiddenFactDetails())
	c.disposition(sc.GetDisposition())
	c.rubric(sc.GetRubric())
	c.texts("scenario.openings", sc.GetOpenings(), 1, maxOpenings, maxText, "needs at least one opening: the customer speaks first")
	if n := proto.Size(sc); n > maxBytes {
		c.Add("scenario", fmt.Sprintf("is %d bytes encoded, more than the limit of 256 KiB", n))
	}
	return c.ErrOf(ErrInvalid)
}

// checker collects a scenario's violations with the rules below.
type checker struct {
	validate.Errors
}

// str checks a string: valid UTF-8, required or not, at most max characters, and no
// control characters (but tabs and line breaks when multiline).
func (c *checker) str(field, s string, required bool, max int, multiline bool) {
	switch {
	case !utf8.ValidString(s):
		c.Add(field, "must be valid UTF-8")
	case required && strings.TrimSpace(s) == "":
		c.Add(field, "is required")
	case utf8.RuneCountInString(s) > max:
		c.Add(field, "must be at most "+strconv.Itoa(max)+" characters")
	case strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t'))
	}) >= 0:
		if multiline {
			c.Add(field, "must not contain control characters other than tabs and line breaks")
		} else {
			c.Add(field, "must be one line without control characters")
		}
	}
}

func (c *checker) line(field, s string, required bool, max int) {
	c.str(field, s, required, max, false)
}

func (c *checker) text(field, s string, required bool, max int) { c.str(field, s, required, max, true) }

// texts checks a list of strings: from min to max entries, each non-blank and at most
// maxChars characters. missing is the description when there are fewer than min.
func (c *checker) texts(field string, ss []string, min, max, maxChars int, missing string) {
	switch {
	case len(ss) < min:
		if missing == "" {
			missing = "needs at least " + strconv.Itoa(min) + " entry"
		}
		c.Add(field, missing)
	case len(ss) > max:
		c.Add(field, "must have at most "+strconv.Itoa(max)+" entries")
	}
	multiline := maxChars > maxTitle
	for i, s := range ss {
		c.str(fmt.Sprintf("%s[%d]", field, i), s, true, maxChars, multiline)
	}
}

// slug checks a required id unique among seen, and records it.
func (c *checker) slug(field, id, kind string, seen map[string]bool) {
	switch {
	case id == "":
		c.Add(field, "is required")
	case len(id) > maxSlug || !slugRe.MatchString(id):
		c.Add(field, "must be a slug: lower-case letters, digits, - and _, at most 64 characters")
	case seen[id]:
		c.Add(field, "must be unique: another "+kind+" has the id "+strconv.Quote(id))
	}
	seen[id] = true
}

func (c *checker) number(field string, v, lo, hi float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < lo || v > hi {
		c.Add(field, fmt.Sprintf("must be a number from %g to %g", lo, hi))
	}
}

func (c *checker) integer(field string, v, lo, hi int32) {
	if v < lo || v > hi {
		c.Add(field, fmt.Sprintf("must be from %d to %d", lo, hi))
	}
}

func (c *checker) technique(field string, t scenariov1.Technique) bool {
	switch _, known := scenariov1.Technique_name[int32(t)]; {
	case t == scenariov1.Technique_TECHNIQUE_UNSPECIFIED:
		c.Add(field, "must name a technique, not TECHNIQUE_UNSPECIFIED")
	case !known:
		c.Add(field, "is not a known technique")
	default:
		return true
	}
	return false
}

func isPush(t scenariov1.Technique) bool {
	switch t {
	case scenariov1.Technique_TECHNIQUE_PRESSURE, scenariov1.Technique_TECHNIQUE_MISLEADING, scenariov1.Technique_TECHNIQUE_ARGUE:
		return true
	}
	return false
}

// deal checks the deal and returns the ids of its products.
func (c *checker) deal(d *scenariov1.Deal) map[string]bool {
	ids := map[string]bool{}
	if d == nil {
		return ids
	}
	c.line("scenario.deal.vehicle", d.GetVehicle(), false, maxTitle)
	c.number("scenario.deal.price", d.GetPrice(), 0, maxAmount)
	c.number("scenario.deal.downPayment", d.GetDownPayment(), 0, maxAmount)
	c.number("scenario.deal.amountFinanced", d.GetAmountFinanced(), 0, maxAmount)
	c.integer("scenario.deal.termMonths", d.GetTermMonths(), 0, maxTermMonths)
	c.number("scenario.deal.apr", d.GetApr(), 0, 100)
	c.number("scenario.deal.monthlyPayment", d.GetMonthlyPayment(), 0, maxAmount)
	c.line("scenario.deal.lender", d.GetLender(), false, maxTitle)
	if len(d.GetProducts()) > maxProducts {
		c.Add("scenario.deal.products", "must have at most "+strconv.Itoa(maxProducts)+" products")
	}
	for i, p := range d.GetProducts() {
		f := fmt.Sprintf("scenario.deal.products[%d]", i)
		c.slug(f+".id", p.GetId(), "product", ids)
		c.line(f+".name", p.GetName(), true, maxTitle)
		c.texts(f+".aliases", p.GetAliases(), 0, maxEntries, maxTitle, "")
		c.number(f+".price", p.GetPrice(), 0, maxAmount)
		c.number(f+".monthly", p.GetMonthly(), 0, maxAmount)
		c.text(f+".value", p.GetValue(), false, maxText)
	}
	return ids
}

func (c *checker) objections(os []*scenariov1.Objection, products map[string]bool) {
	if len(os) > maxObjections {
		c.Add("scenario.objectionDetails", "must have at most "+strconv.Itoa(maxObjections)+" objections")
	}
	ids := map[string]bool{}
	for i, o := range os {
		f := fmt.Sprintf("scenario.objectionDetails[%d]", i)
		c.slug(f+".id", o.GetId(), "objection", ids)
		c.texts(f+".lines", o.GetLines(), 1, maxEntries, maxText, "needs at least one line: what the customer says when raising it")
		c.texts(f+".cues", o.GetCues(), 0, maxEntries, maxTitle, "")
		if pid := o.GetProductId(); pid != "" && !products[pid] {
			c.Add(f+".productId", "must be the id of a product in scenario.deal.products")
		}
		seen := map[scenariov1.Technique]bool{}
		for j, t := range o.GetResolvedBy() {
			tf := fmt.Sprintf("%s.resolvedBy[%d]", f, j)
			switch {
			case !c.technique(tf, t):
			case isPush(t):
				c.Add(tf, "a push (pressure, a misleading claim, arguing) cannot resolve an objection")
			case seen[t]:
				c.Add(tf, "lists "+t.String()+" twice")
			}
			seen[t] = true
		}
		n := len(o.GetResolvedBy())
		if n == 0 {
			c.Add(f+".resolvedBy", "needs at least one technique that handles the objection")
		}
		switch needed := o.GetNeeded(); {
		case needed < 0:
			c.Add(f+".needed", "must not be negative")
		case n > 0 && needed == 0 && n < defaultNeeded:
			c.Add(f+".needed", fmt.Sprintf("is 0, which means %d techniques, but resolvedBy lists %d: set needed to at most %d", defaultNeeded, n, n))
		case n > 0 && int(needed) > n:
			c.Add(f+".needed", fmt.Sprintf("must be at most the %d techniques of resolvedBy", n))
		}
		c.texts(f+".handledLines", o.GetHandledLines(), 1, maxEntries, maxText, "needs at least one line: what the customer says once it is handled")
		c.texts(f+".pushedLines", o.GetPushedLines(), 0, maxEntries, maxText, "")
	}
}

func (c *checker) hiddenFacts(hs []*scenariov1.HiddenFact) {
	if len(hs) > maxHiddenFacts {
		c.Add("scenario.hiddenFactDetails", "must have at most "+strconv.Itoa(maxHiddenFacts)+" hidden facts")
	}
	ids := map[string]bool{}
	for i, h := range hs {
		f := fmt.Sprintf("scenario.hiddenFactDetails[%d]", i)
		c.slug(f+".id", h.GetId(), "hidden fact", ids)
		c.text(f+".fact", h.GetFact(), true, maxText)
		c.texts(f+".cues", h.GetCues(), 1, maxEntries, maxTitle, "needs at least one cue: a hidden fact without cues is never revealed")
		c.texts(f+".lines", h.GetLines(), 1, maxEntries, maxText, "needs at least one line: how the customer tells it")
	}
}

func (c *checker) disposition(d *scenariov1.Disposition) {
	if d == nil {
		return
	}
	const f = "scenario.disposition"
	c.integer(f+".startWarmth", d.GetStartWarmth(), 0, 100)
	c.integer(f+".buyAt", d.GetBuyAt(), 0, 100)
	c.integer(f+".walkAt", d.GetWalkAt(), 0, 100)
	c.integer(f+".maxTurns", d.GetMaxTurns(), 0, 100)
	c.integer(f+".pushPenalty", d.GetPushPenalty(), 0, 100)
	or := func(v, def int32) int32 {
		if v == 0 {
			return def
		}
		return v
	}
	start, buy, walk := or(d.GetStartWarmth(), defaultStartWarmth), or(d.GetBuyAt(), defaultBuyAt), or(d.GetWalkAt(), defaultWalkAt)
	if walk >= buy {
		c.Add(f+".walkAt", fmt.Sprintf("must be below buyAt (walkAt %d, buyAt %d; 0 takes the defaults %d and %d)", walk, buy, defaultWalkAt, defaultBuyAt))
	}
	if start <= walk {
		c.Add(f+".startWarmth", fmt.Sprintf("must be above walkAt, or the customer walks away at once (startWarmth %d, walkAt %d; 0 takes the defaults %d and %d)", start, walk, defaultStartWarmth, defaultWalkAt))
	}
	c.texts(f+".buyLines", d.GetBuyLines(), 0, maxEntries, maxText, "")
	c.texts(f+".deferLines", d.GetDeferLines(), 0, maxEntries, maxText, "")
	c.texts(f+".walkLines", d.GetWalkLines(), 0, maxEntries, maxText, "")
}

func (c *checker) rubric(items []*scenariov1.RubricItem) {
	if len(items) > maxRubric {
		c.Add("scenario.rubric", "must have at most "+strconv.Itoa(maxRubric)+" items")
	}
	var sum int64
	for i, r := range items {
		f := fmt.Sprintf("scenario.rubric[%d]", i)
		c.line(f+".criterion", r.GetCriterion(), true, maxTitle)
		c.text(f+".description", r.GetDescription(), false, maxText)
		c.integer(f+".weight", r.GetWeight(), 0, maxWeight)
		c.technique(f+".technique", r.GetTechnique())
		sum += int64(r.GetWeight())
	}
	if len(items) > 0 && sum == 0 {
		c.Add("scenario.rubric", "the weights must not all be 0")
	}
}

// content returns a copy of sc as stored in a version's body: output-only fields
// cleared, the title trimmed, and the summaries (objections, hidden_facts) filled from
// the details when empty.
func content(sc *scenariov1.Scenario) *scenariov1.Scenario {
	if sc == nil {
		return &scenariov1.Scenario{}
	}
	out := proto.CloneOf(sc)
	clearOutputOnly(out)
	out.Title = strings.TrimSpace(out.Title)
	if len(out.Objections) == 0 {
		for _, o := range out.ObjectionDetails {
			out.Objections = append(out.Objections, summary(o.GetLines(), o.GetId()))
		}
	}
	if len(out.HiddenFacts) == 0 {
		for _, h := range out.HiddenFactDetails {
			out.HiddenFacts = append(out.HiddenFacts, summary([]string{h.GetFact()}, h.GetId()))
		}
	}
	return out
}

func clearOutputOnly(sc *scenariov1.Scenario) {
	sc.Id, sc.DealershipId, sc.BuiltIn, sc.Version, sc.CopiedFromId = "", "", false, 0, ""
	sc.CreateTime, sc.UpdateTime = nil, nil
}

// summary is the first non-blank of ss, else fallback.
func summary(ss []string, fallback string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return fallback
}
