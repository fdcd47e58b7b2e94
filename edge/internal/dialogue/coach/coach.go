package coach

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/avatar-fi/avatar/edge/internal/dialogue"
	"github.com/avatar-fi/avatar/edge/internal/dialogue/lexicon"
	conversationv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1"
	knowledgev1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/knowledge/v1"
	scenariov1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1"
)

// Searcher finds passages of the caller's dealership for a query (the core's
// KnowledgeService.Search, bound to the session's identity).
type Searcher interface {
	Search(ctx context.Context, query string, topK int) ([]*knowledgev1.SearchResult, error)
}

// Writer writes an answer from numbered passages (a language model). It
// streams the answer to out, marking the passages it used as [1], [2]…, and
// must stop soon after ctx ends.
type Writer interface {
	Write(ctx context.Context, p Prompt, out func(delta string) error) error
}

// Prompt is what a Writer is given.
type Prompt struct {
	Question string
	// Passages are numbered from 1 in this order.
	Passages []*knowledgev1.SearchResult
	History  []Exchange
}

// Exchange is one question and the answer heard.
type Exchange struct{ Question, Answer string }

// Defaults of Config.
const (
	DefaultTopK        = 5
	DefaultMaxWords    = 60
	DefaultMinCoverage = 0.6
)

// NotFound is what the coach says when the documents do not cover the
// question.
const NotFound = "I couldn't find that in your dealership's documents. Ask your F&I manager, or have an admin add a document that covers it."

// SearchFailed is what the coach says when the knowledge base cannot be
// reached.
const SearchFailed = "I can't reach your dealership's documents right now. Please try again in a moment."

// SearchLimited is what the coach says when the trainee has asked more
// questions than the knowledge base answers per minute.
const SearchLimited = "You're asking faster than I can look things up. Give me a few seconds and ask again."

// ErrSearchLimited is what a Searcher's error wraps when the caller's search
// budget is spent (coreclient.ErrRateLimited does).
var ErrSearchLimited = errors.New("coach: search rate limited")

// Config sets up one session's coach.
type Config struct {
	// Search retrieves passages; required.
	Search Searcher
	// Writer, optional, writes answers with a language model.
	Writer Writer
	// TopK passages are retrieved per question; default DefaultTopK.
	TopK int
	// MaxWords bounds a spoken extractive answer; default DefaultMaxWords.
	MaxWords int
	// MinCoverage is the share of the question's content (weighted) the best
	// passage must cover for the question to count as answered; default
	// DefaultMinCoverage, chosen on testdata/dev_questions.tsv.
	MinCoverage float64
}

// ErrConfig is returned by New for a missing Searcher.
var ErrConfig = errors.New("coach: invalid config")

// Engine is one session's coach; a dialogue.Engine. It is safe for
// concurrent use.
type Engine struct {
	cfg     Config
	mu      sync.Mutex
	history []Exchange
}

var _ dialogue.Engine = (*Engine)(nil)

// New returns a coach.
func New(cfg Config) (*Engine, error) {
	if cfg.Search == nil {
		return nil, fmt.Errorf("%w: a Searcher is required", ErrConfig)
	}
	if cfg.TopK <= 0 {
		cfg.TopK = DefaultTopK
	}
	if cfg.MaxWords <= 0 {
		cfg.MaxWords = DefaultMaxWords
	}
	if cfg.MinCoverage <= 0 {
		cfg.MinCoverage = DefaultMinCoverage
	}
	return &Engine{cfg: cfg}, nil
}

// Opening is empty: the trainee asks first.
func (e *Engine) Opening() string { return "" }

// Grade returns nil: coach sessions are not graded.
func (e *Engine) Grade() *scenariov1.Scorecard { return nil }

// Observe does nothing: an unanswered question leaves no state.
func (e *Engine) Observe(string) {}

// Commit remembers the exchange for a Writer's context.
func (e *Engine) Commit(p dialogue.Prepared, heard string) {
	a, ok := p.(*answer)
	if !ok {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.history = append(e.history, Exchange{Question: a.question, Answer: heard})
	if len(e.history) > 6 {
		e.history = e.history[len(e.history)-6:]
	}
}

// answer is a prepared reply.
type answer struct {
	e         *Engine
	question  string
	text      string // extractive answer, or a fixed reply
	passages  []*knowledgev1.SearchResult
	citations []*conversationv1.Citation
	found     bool
	history   []Exchange
	mu        sync.Mutex
	written   bool // the Writer produced the text; citations come from its marks
}

// Prepare retrieves passages for the question and decides the answer.
func (e *Engine) Prepare(ctx context.Context, line string) (dialogue.Prepared, error) {
	a := &answer{e: e, question: line}
	e.mu.Lock()
	a.history = append([]Exchange(nil), e.history...)
	e.mu.Unlock()
	q := strings.TrimSpace(line)
	if q == "" {
		a.text = NotFound
		return a, nil
	}
	res, err := e.cfg.Search.Search(ctx, q, e.cfg.TopK)
	if err != nil {
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		a.text = SearchFailed
		if errors.Is(err, ErrSearchLimited) {
			a.text = SearchLimited
		}
		return a, nil
	}
	sel := Select(q, res, e.cfg.MinCoverage, e.cfg.MaxWords)
	if !sel.Found {
		a.text = NotFound
		return a, nil
	}
	a.found = true
	a.passages = sel.Relevant
	a.text = sel.Answer
	a.citations = sel.Citations
	return a, nil
}

// Stream speaks the answer: the extractive text a sentence at a time, or the
// Writer's answer with its passage marks taken out.
func (a *answer) Stream(ctx context.Context, out func(delta string) error) error {
	if a.found && a.e.cfg.Writer != nil {
		a.mu.Lock()
		a.written = true
		a.mu.Unlock()
		f := &markFilter{out: out}
		err := a.e.cfg.Writer.Write(ctx, Prompt{Question: a.question, Passages: a.passages, History: a.history}, f.write)
		if err == nil {
			err = f.flush()
		}
		a.mu.Lock()
		a.citations = citationsOf(a.passages, f.marks)
		a.mu.Unlock()
		return err
	}
	for i, s := range sentences(a.text) {
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

// Result carries the citations, or Unanswered.
func (a *answer) Result() dialogue.Result {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := dialogue.Result{Citations: a.citations, Unanswered: !a.found}
	if a.written && len(a.citations) == 0 {
		r.Unanswered = true // the model used no passage: it said it did not know
	}
	return r
}

// Selection is what Select made of a question's passages.
type Selection struct {
	// Found reports that the best passage covers enough of the question.
	Found bool
	// Coverage is the best passage's weighted share of the question's
	// content stems.
	Coverage float64
	// Answer is the extractive answer.
	Answer string
	// Relevant are the passages that cover enough of the question, best
	// first.
	Relevant []*knowledgev1.SearchResult
	// Citations are the passages the answer's sentences come from.
	Citations []*conversationv1.Citation
}

// lowWeight are stems common to every F&I question that say little about
// which passage answers it.
var lowWeight = map[string]bool{
	"custom": true, "car": true, "vehicl": true, "dealer": true, "dealership": true, "product": true,
	"buy": true, "explain": true, "present": true, "sell": true, "offer": true, "best": true,
	"good": true, "question": true, "ask": true, "answer": true, "someon": true, "peopl": true,
	"usual": true, "typic": true, "actual": true, "exact": true, "mean": true,
}

// Select decides from passages whether question is answered, and picks the
// answer's sentences: those covering most of the question, from the passages
// that cover enough of it, in passage order, up to maxWords.
func Select(question string, passages []*knowledgev1.SearchResult, minCoverage float64, maxWords int) Selection {
	q := lexicon.Analyze(question)
	terms := q.Content()
	// A term weighs what its word tells about the topic (rare words most),
	// less when it is common to every F&I question.
	byStem := map[string]float64{}
	for i, w := range q.Words {
		s := q.Stems[i]
		v := lexicon.Informativeness(w)
		if lowWeight[s] {
			v *= 0.3
		}
		byStem[s] = max(byStem[s], v)
	}
	weight := func(s string) float64 { return byStem[s] }
	var total float64
	for _, s := range terms {
		total += weight(s)
	}
	var sel Selection
	if total == 0 || len(passages) == 0 {
		return sel
	}
	coverage := func(t *lexicon.Text) float64 {
		var got float64
		for _, s := range terms {
			if t.HasStem(s) {
				got += weight(s)
			}
		}
		return got / total
	}
	type cand struct {
		text   string
		score  float64
		pi, si int
	}
	var cands []cand
	for pi, p := range passages {
		pt := lexicon.Analyze(p.GetTitle() + " " + p.GetSection() + " " + p.GetText())
		c := coverage(pt)
		if c > sel.Coverage {
			sel.Coverage = c
		}
		if c < minCoverage {
			continue
		}
		sel.Relevant = append(sel.Relevant, p)
		for si, s := range sentences(clean(p.GetText())) {
			st := lexicon.Analyze(s)
			if len(st.Words) < 4 {
				continue
			}
			sc := coverage(st) - 0.05*float64(pi) // earlier passages rank higher
			if sc > 0 {
				cands = append(cands, cand{text: s, score: sc, pi: pi, si: si})
			}
		}
	}
	if len(sel.Relevant) == 0 || len(cands) == 0 {
		return Selection{Coverage: sel.Coverage}
	}
	sel.Found = true
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].score > cands[j].score })
	var chosen []cand
	words := 0
	for _, c := range cands {
		n := len(strings.Fields(c.text))
		if len(chosen) > 0 && (words+n > maxWords || c.score < cands[0].score/2) {
			continue
		}
		chosen = append(chosen, c)
		words += n
		if words >= maxWords || len(chosen) == 3 {
			break
		}
	}
	sort.Slice(chosen, func(i, j int) bool {
		if chosen[i].pi != chosen[j].pi {
			return chosen[i].pi < chosen[j].pi
		}
		return chosen[i].si < chosen[j].si
	})
	parts := make([]string, len(chosen))
	used := map[int]bool{}
	for i, c := range chosen {
		parts[i] = c.text
		used[c.pi] = true
	}
	sel.Answer = strings.Join(parts, " ")
	for pi, p := range sel.Relevant {
		if used[pi] {
			sel.Citations = append(sel.Citations, citation(p))
		}
	}
	return sel
}

func citation(p *knowledgev1.SearchResult) *conversationv1.Citation {
	return &conversationv1.Citation{DocumentId: p.GetDocumentId(), ChunkId: p.GetChunkId(), Title: p.GetTitle(), Page: p.Page, Section: p.Section}
}

// citationsOf returns the citations of the passages numbered in marks.
func citationsOf(passages []*knowledgev1.SearchResult, marks map[int]bool) []*conversationv1.Citation {
	var out []*conversationv1.Citation
	for i, p := range passages {
		if marks[i+1] {
			out = append(out, citation(p))
		}
	}
	return out
}

var (
	mdMarkup   = regexp.MustCompile(`(?m)^\s*(#+|[-*+]|\d+[.)]|\|)\s*|\*\*|__|` + "`")
	tableRule  = regexp.MustCompile(`(?m)^\s*\|?[-:| ]+\|?\s*$`)
	spaceRun   = regexp.MustCompile(`\s+`)
	pipeInline = regexp.MustCompile(`\s*\|\s*`)
)

// clean turns a passage's Markdown into plain sentences for speaking.
func clean(text string) string {
	text = tableRule.ReplaceAllString(text, " ")
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		l = mdMarkup.ReplaceAllString(l, "")
		l = pipeInline.ReplaceAllString(l, ", ")
		l = strings.TrimSpace(strings.Trim(l, ", "))
		if l == "" {
			continue
		}
		// A heading or list item without its own full stop ends here.
		if !strings.HasSuffix(l, ".") && !strings.HasSuffix(l, "?") && !strings.HasSuffix(l, "!") && !strings.HasSuffix(l, ":") {
			l += "."
		}
		lines = append(lines, l)
	}
	return spaceRun.ReplaceAllString(strings.Join(lines, " "), " ")
}

// sentences splits text after ". ", "? " and "! ".
func sentences(text string) []string {
	var out []string
	start := 0
	for i := 0; i < len(text); i++ {
		c := text[i]
		if (c == '.' || c == '?' || c == '!') && (i+1 == len(text) || text[i+1] == ' ') {
			// Not after a one-letter abbreviation or a number like "6.9".
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

// markFilter removes "[n]" passage marks from a streamed answer and records
// them; a mark split across deltas is held back until it is complete.
type markFilter struct {
	out     func(string) error
	pending string
	marks   map[int]bool
}

var markNumber = regexp.MustCompile(`\d+`)

var passageMark = regexp.MustCompile(`\s?\[(\d{1,2})(?:\s*,\s*(\d{1,2}))*\]`)

func (f *markFilter) write(delta string) error {
	s := f.pending + delta
	f.pending = ""
	if i := strings.LastIndexByte(s, '['); i >= 0 && !strings.Contains(s[i:], "]") && len(s)-i < 12 {
		for i > 0 && (s[i-1] == ' ' || s[i-1] == '\t') {
			i-- // the space before a mark goes with it
		}
		f.pending = s[i:]
		s = s[:i]
	}
	s = f.strip(s)
	if s == "" {
		return nil
	}
	return f.out(s)
}

func (f *markFilter) flush() error {
	s := f.strip(f.pending)
	f.pending = ""
	if s == "" {
		return nil
	}
	return f.out(s)
}

func (f *markFilter) strip(s string) string {
	if f.marks == nil {
		f.marks = map[int]bool{}
	}
	for _, m := range passageMark.FindAllString(s, -1) {
		for _, n := range markNumber.FindAllString(m, -1) {
			if k, err := strconv.Atoi(n); err == nil {
				f.marks[k] = true
			}
		}
	}
	return passageMark.ReplaceAllString(s, "")
}
