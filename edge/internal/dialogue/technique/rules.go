package technique

import (
	"github.com/avatar-fi/avatar/edge/internal/dialogue/lexicon"
	scenariov1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1"
)

// rule fires a technique when one of its patterns matches and none of its
// vetoes does.
type rule struct {
	technique scenariov1.Technique
	patterns  []lexicon.Pattern
	vetoes    []lexicon.Pattern
	// check, when set, decides instead of the patterns.
	check func(t *lexicon.Text) bool
}

func patterns(src ...string) []lexicon.Pattern {
	out := make([]lexicon.Pattern, len(src))
	for i, s := range src {
		out[i] = lexicon.MustPattern(s)
	}
	return out
}

func (r rule) fires(t *lexicon.Text) bool {
	if r.check != nil {
		return r.check(t)
	}
	for _, v := range r.vetoes {
		if v.Matches(t) {
			return false
		}
	}
	for _, p := range r.patterns {
		if p.Matches(t) {
			return true
		}
	}
	return false
}

// productWords are what a line about the menu or the loan mentions.
const productWords = "warranty|warranties|gap|contract|coverage|plan|plans|package|product|products|protection|maintenance|it|this|loan|financing|approval|insurance"

// negation is a word that turns a claim around.
const negation = "not|no|never|nothing|without|none"

var rules = []rule{
	{technique: scenariov1.Technique_TECHNIQUE_RAPPORT, patterns: patterns(
		"congratulation~", "congrats", "nice|great|good|pleasure to meet|see",
		"thank|thanks * for coming|choosing|waiting|being|your|the", "sorry * wait~", "small world",
		"appreciate you|your coming|choosing|taking|being|patience|business|time",
		"welcome", "great|good|excellent|smart choice|pick|color|colour",
		"love|like the|this|that color|colour", "you must be excited|thrilled",
		"that is exciting|awesome|wonderful", "great news", "how is|was your day|weekend|morning",
		"your first new? car|vehicle|truck",
	)},
	{technique: scenariov1.Technique_TECHNIQUE_OPEN_QUESTION, patterns: patterns(
		"^ so|and|now|okay|well|also? what|how|why|who do|does|did|is|are|was|were|would|will|can|could|should|have|has|matters|matter|kind|type|sort|long|many|much|often|else|concerns|worries|worry|part|comes|plans|brings|brought|made|makes|led|happened|happens|if",
		"what|how|why|where|when|who * do|does|did|would|will|are|were|have|can|could|is|was you|your",
		"^ what|how|why ** you|your", "tell me about|more|how|what|why|a|where", "walk|talk me through", "help me understand",
		"describe", "share with me", "curious|wondering what|how|why",
	), vetoes: patterns(
		"what|how about", "what if", "why would you", "which of these", "which one|plan|package|option would|do you want|like",
		"what is your email|phone|address|number|zip|name|license", "how do you spell",
	)},
	{technique: scenariov1.Technique_TECHNIQUE_FULL_MENU, patterns: patterns(
		"here is|here are|this is * menu", "show|walk|go|look * menu", "side by side", "top|middle|bottom row|tier", "all * options|products|plans|choices|packages|coverages",
		"every|each option|product|plan|package", "whole|full|complete range|menu|lineup|list",
		"three|four|five|several|few|different packages|options|plans|products|tiers",
		"go|going|walk over|through each|every|all",
	)},
	{technique: scenariov1.Technique_TECHNIQUE_VALUE_BEFORE_PRICE, patterns: patterns(
		"it|this|that|which|plan|contract|gap|coverage|warranty|package|protection covers|pays|protects|includes|handles|locks|keeps|prepays",
		"covers|prepays|protects", "not * surprised", "not * on the hook", "not * stuck", "take|takes care of",
		"you * covered|protected", "peace of mind", "never|not have to pay|worry",
		"not be stuck", "covers|cover|covered the|your|every|any|pothole|damage|repairs|engine|transmission|battery|difference",
		"pays|pay for|off the|your|any|repairs", "protects|protect you|your", "saves|save you", "adds value", "transferable",
	), vetoes: patterns(
		"what|does|do * cover|covers|include|includes|protect", "insurance * covers|cover",
		"covers|cover|includes|pays|pay for? absolutely? everything",
	)},
	{technique: scenariov1.Technique_TECHNIQUE_ACKNOWLEDGE_OBJECTION, patterns: patterns(
		"i understand", "i hear you|that|what", "i get it|that|where", "i can see|understand why|where",
		"that|it is|sounds fair|reasonable|understandable|valid|normal",
		"that is a great|good|fair rate|deal|offer|point", "not going to pretend",
		"that|it is|sounds a fair|good|great|reasonable|valid|real|legitimate question|concern|point",
		"that|it|this makes|made sense", "fair enough|point|question|concern", "you are right to|that|about",
		"i appreciate you being|sharing|telling|asking", "i know it|that is a lot",
		"completely|totally understand|get", "good|great|fair question", "i hear|see where you are coming from",
		"a lot of my? customers|people feel|say", "many|most my? customers|people feel|say",
		"totally|completely|perfectly fair|understandable|valid|reasonable",
	), vetoes: patterns("it is a|an car|truck|plan|contract|package|product")},
	{technique: scenariov1.Technique_TECHNIQUE_ISOLATE_OBJECTION, patterns: patterns(
		"other than", "besides the|that|price|cost|payment|rate|time", "aside|apart from", "setting|putting * aside",
		"only thing|reason|concern", "is that the only", "anything else holding|stopping|keeping|bothering|concerning|on",
		"if i|we could|can make|get|bring|lower|match|find|fit ** would|will|could you",
		"if the price|payment|rate|cost were|was|is right|lower|better|less|fit|works",
		"suppose", "if it were|was not for", "is it the * or the", "if * fit|fits your budget",
		"nothing else", "anything else besides|other|stop~|hold~|keep~", "any other reason",
		"if the price|payment|rate|cost were|was where|right",
	)},
	{technique: scenariov1.Technique_TECHNIQUE_OFFER_ALTERNATIVE, patterns: patterns(
		"we could", "you could|can do|go|drop|skip|also|just|switch|try|stretch|match|keep|pay|lower|shorten|remove|take|buy",
		"cheapest|cheaper option|plan|one|version", "cheapest",
		"another|other option|choice|plan", "instead", "or we could|can", "how|what about",
		"what if we", "there is also a|an", "lower|higher|bigger deductible|tier|coverage|mileage",
		"shorter|longer term|plan|contract", "basic|lighter|smaller|cheaper plan|package|option|version",
		"pay * cash", "either works|way", "rather than", "if you would rather", "would you rather",
	)},
	{technique: scenariov1.Technique_TECHNIQUE_DISCLOSURE, patterns: patterns(
		"optional", "not required|mandatory|obligated|necessary", "not a requirement|condition",
		"not have to buy|take|get|purchase|add", "no obligation", "cancel~", "refund~",
		"up to you", "your choice|decision", "not depend|affect|change * rate|approval|loan",
		"free look", "exclusion~", "negotiable", "nothing * required", "none of * required|necessary",
		"whether you take|buy|get it or not", "declin~ * not change|affect", "not tied to",
		"nothing is? hidden", "no hidden", "can|may|could|free to say no",
	)},
	{technique: scenariov1.Technique_TECHNIQUE_ASK_FOR_BUSINESS, patterns: patterns(
		"shall|should|can|may|could i|we add|include|put|write|get|go|set",
		"would|do you like|want me? to add|go|include|get|move|proceed|protect|take|do|start",
		"which|what * option|options|plan|plans|package|packages|one|coverage works|would|sounds|makes|feels * best|you|right|like",
		"ready to move|go|sign|proceed|do|add", "okay|ok|good to add|go",
		"okay|ok|alright if i|we add|include|put|go", "move forward", "want to go with", "go ahead with",
		"put you down for", "how would you like to proceed", "are we good to", "want to do|take|add * then",
		"which * do you want", "so which * works", "go ahead and add|include|get", "let us add|get|include|do",
		"would you rather", "want me to add|go|write|put|include", "which one feels|sounds|works",
		"does ** work for you", "are we adding",
	), vetoes: patterns("copy|copies")},
	{technique: scenariov1.Technique_TECHNIQUE_PRESSURE, patterns: patterns(
		"need|have|must|decide|answer|sign|know|want ** right now", "today only", "only good today", "now or never", "expire~ today|tonight",
		"last day", "regret", "crazy not to", "everybody|everyone * buy~|get~|has|take~|need~",
		"not leave|walk without", "can not let you leave|go", "just sign", "sign now", "need an answer",
		"overthink~", "in the next * minutes", "is gone", "thank me later", "not have all day",
		"you have|need to do|decide|get|take|buy|sign it|this|that|today|now", "today or",
		"going to put it on * anyway", "just take it|the|whatever", "you really? need it|this|that",
		"another shot|chance", "can not promise", "lock~ * in today", "not letting you leave|go", "can not say no",
		"if you leave|walk now|today", "lose this|the payment|price|deal|rate", "only good while", "once you walk out",
		"walk|leave out of here without", "crazy to", "my manager * upset|mad|kill~|angry", "help me out",
	), vetoes: patterns(
		"not have|need to do|decide|get|take|buy|sign", "do you need", "where|what|if you need",
	)},
	{technique: scenariov1.Technique_TECHNIQUE_MISLEADING, check: misleading},
	{technique: scenariov1.Technique_TECHNIQUE_ARGUE, patterns: patterns(
		"you are wrong|mistaken|incorrect", "you are not thinking",
		"that is just? wrong|ridiculous|silly|crazy|dumb|nonsense", "that is just? not true|how",
		"you do not understand|know|get", "makes no sense", "i disagree", "come on",
		"lying", "not know what * talking about", "if you would|had listened", "silly|dumb reason|way|idea",
		"no idea what", "you clearly", "not know the first thing",
	)},
	{technique: scenariov1.Technique_TECHNIQUE_PRICE_STATEMENT, check: func(t *lexicon.Text) bool { return t.HasAmount() }},
}

var (
	misleadingClaims = patterns(
		"covers|cover absolutely? everything", "no exclusion~", "guarantee~ * lowest|best",
		"void", "basically|completely|totally|practically|absolutely free", "it is free",
		"not raise|change|affect|increase your payment", "for nothing", "lying",
		"insurance will|would drop|go down", "every lender|bank makes|requires",
		"included in the price anyway", "pays|pay for everything", "bank|lender|lenders need~ it|this|gap|the",
		"missed payments", "no matter what", "lower|lowest|better rate anywhere",
	)
	guarantee   = lexicon.MustPattern("guarantee~")
	requirement = patterns("require~", "mandatory", "have to buy|have|get|take", "must buy|have|get|take", "make~ you buy|get|take",
		"not * fund|approve|finance ** without")
	negatedRequired = patterns(
		negation+" * require~", negation+" * mandatory", "not have to", "not must", "is not a requirement",
		"requirement~? for|of * not",
	)
	productContext  = patterns(productWords, "bank|lender|lenders|approve~|qualify")
	guaranteedAsset = lexicon.MustPattern("guaranteed asset")
)

// misleading reports a false claim: a product said to be required (and not
// "not required"), free, all-covering or guaranteed.
func misleading(t *lexicon.Text) bool {
	if guarantee.Matches(t) && !guaranteedAsset.Matches(t) { // "guaranteed asset protection" is GAP's name
		return true
	}
	for _, p := range misleadingClaims {
		if p.Matches(t) {
			return true
		}
	}
	for _, p := range requirement {
		if !p.Matches(t) {
			continue
		}
		for _, n := range negatedRequired {
			if n.Matches(t) {
				return false
			}
		}
		for _, c := range productContext {
			if c.Matches(t) {
				return true
			}
		}
	}
	return false
}
