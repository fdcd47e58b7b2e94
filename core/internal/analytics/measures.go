package analytics

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"unicode"

	"github.com/avatar-fi/avatar/protocol/callevent"
	analyticsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/analytics/v1"
	conversationv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1"
)

// fillerWords are the words and phrases FillerWords counts.
var fillerWords = []string{"um", "umm", "uh", "uhh", "uhm", "er", "erm", "ah", "hmm", "mm",
	"basically", "literally", "you know", "i mean", "kind of", "sort of"}

// fillerExceptions are the words before a filler phrase that make it meant.
var fillerExceptions = map[string][]string{
	"you know": {"do", "did", "don't", "dont", "if", "would", "will", "could", "can", "should", "let", "that"},
	"i mean":   {"what", "if", "do", "did", "as"},
	"kind of":  {"what", "which", "any", "this", "that", "the", "a", "some", "every", "one", "same", "other", "all"},
	"sort of":  {"what", "which", "any", "this", "that", "the", "a", "some", "every", "one", "same", "other", "all"},
}

// Measure computes the conversation measures of a session from its turns (in any
// order). The trainee's words are the user text of trainee turns; the other party's
// are every reply, the opening included. The filler words counted are um, umm, uh,
// uhh, uhm, er, erm, ah, hmm, mm, basically and literally, and the phrases "you know",
// "i mean", "kind of" and "sort of" unless a word before them makes them part of the
// sentence ("do you know", "what kind of").
func Measure(turns []*analyticsv1.Turn) *analyticsv1.ConversationMeasures {
	m := &analyticsv1.ConversationMeasures{}
	fillers := map[string]int32{}
	var speechWords int
	var speechMs float64
	var gaps []float64
	for _, t := range turns {
		m.OtherWords += int32(len(words(t.GetReplyText())))
		if t.GetBargeIn() {
			m.Interruptions++
		}
		for _, l := range t.GetLatencies() {
			if l.GetStage() == callevent.StageTurnGap && t.GetChannel() == conversationv1.Channel_CHANNEL_VOICE {
				gaps = append(gaps, l.GetMilliseconds())
			}
		}
		if t.GetSpeaker() != "" {
			continue
		}
		w := words(t.GetUserText())
		n := int32(len(w))
		m.TraineeWords += n
		if n > m.LongestMonologueWords {
			m.LongestMonologueWords, m.LongestMonologueTurn = n, t.GetIndex()
			m.LongestMonologueSeconds = t.GetUserSpeechMs() / 1000
		}
		if t.GetUserSpeechMs() > 0 {
			speechWords += len(w)
			speechMs += t.GetUserSpeechMs()
		}
		countFillers(w, fillers)
	}
	if all := m.TraineeWords + m.OtherWords; all > 0 {
		m.TalkRatio = float64(m.TraineeWords) / float64(all)
	}
	if speechMs > 0 {
		m.WordsPerMinute = float64(speechWords) / (speechMs / 60000)
	}
	for f, n := range fillers {
		m.FillerWords += n
		m.Fillers = append(m.Fillers, &analyticsv1.FillerCount{Filler: f, Count: n})
	}
	slices.SortFunc(m.Fillers, func(a, b *analyticsv1.FillerCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Filler, b.Filler))
	})
	if len(gaps) > 0 {
		slices.Sort(gaps)
		var sum float64
		for _, g := range gaps {
			sum += g
		}
		m.TurnGapCount = int32(len(gaps))
		m.TurnGapMeanMs = sum / float64(len(gaps))
		m.TurnGapP50Ms = percentile(gaps, 0.5)
		m.TurnGapP95Ms = percentile(gaps, 0.95)
		m.TurnGapMaxMs = gaps[len(gaps)-1]
	}
	return m
}

// words splits text into lower-case words: letters and digits, with inner apostrophes
// ("don't") kept.
func words(text string) []string {
	f := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\'' && r != '’'
	})
	out := f[:0]
	for _, w := range f {
		w = strings.Trim(strings.ReplaceAll(w, "’", "'"), "'")
		if w != "" {
			out = append(out, w)
		}
	}
	return out
}

// countFillers adds the fillers in w to counts.
func countFillers(w []string, counts map[string]int32) {
	for i := 0; i < len(w); i++ {
		if i+1 < len(w) {
			phrase := w[i] + " " + w[i+1]
			if slices.Contains(fillerWords, phrase) {
				if i == 0 || !slices.Contains(fillerExceptions[phrase], w[i-1]) {
					counts[phrase]++
					i++
				}
				continue
			}
		}
		if slices.Contains(fillerWords, w[i]) {
			counts[w[i]]++
		}
	}
}

// percentile interpolates like PostgreSQL's percentile_cont over sorted values.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 1 {
		return sorted[0]
	}
	x := p * float64(len(sorted)-1)
	lo := math.Floor(x)
	i := int(lo)
	if i+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	return sorted[i] + (x-lo)*(sorted[i+1]-sorted[i])
}
