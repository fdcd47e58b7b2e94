package analytics_test

import (
	"math"
	"testing"

	"github.com/avatar-fi/avatar/core/internal/analytics"
	"github.com/avatar-fi/avatar/protocol/callevent"
	analyticsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/analytics/v1"
	conversationv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1"
)

func TestMeasureFillers(t *testing.T) {
	tests := []struct {
		name string
		line string
		want map[string]int32
	}{
		{name: "none", line: "Let me show you the whole menu.", want: map[string]int32{}},
		{name: "hesitations", line: "Um, uh... umm, the er price", want: map[string]int32{"um": 1, "uh": 1, "umm": 1, "er": 1}},
		{name: "phrases", line: "It's, you know, kind of expensive, I mean, sort of", want: map[string]int32{"you know": 1, "kind of": 1, "i mean": 1, "sort of": 1}},
		{name: "meant phrases", line: "Do you know what kind of car this sort of plan covers? What I mean is the term.", want: map[string]int32{}},
		{name: "phrase at the start", line: "You know it's basically literally free", want: map[string]int32{"you know": 1, "basically": 1, "literally": 1}},
		{name: "case and apostrophes", line: "UM I don’t know, HMM", want: map[string]int32{"um": 1, "hmm": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := analytics.Measure([]*analyticsv1.Turn{{Index: 1, UserText: tt.line}})
			got := map[string]int32{}
			var total int32
			for _, f := range m.Fillers {
				got[f.Filler] = f.Count
				total += f.Count
			}
			if len(got) != len(tt.want) || total != m.FillerWords {
				t.Fatalf("fillers %v (total %d), want %v", got, m.FillerWords, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Fatalf("fillers %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestMeasure(t *testing.T) {
	gap := func(ms float64) []*analyticsv1.StageLatency {
		return []*analyticsv1.StageLatency{{Stage: callevent.StageEndpoint, Milliseconds: 100}, {Stage: callevent.StageTurnGap, Milliseconds: ms}}
	}
	voice := conversationv1.Channel_CHANNEL_VOICE
	tests := []struct {
		name  string
		turns []*analyticsv1.Turn
		check func(t *testing.T, m *analyticsv1.ConversationMeasures)
	}{
		{name: "no turns", turns: nil, check: func(t *testing.T, m *analyticsv1.ConversationMeasures) {
			t.Helper()
			if m.TalkRatio != 0 || m.WordsPerMinute != 0 || m.TurnGapCount != 0 || m.TraineeWords != 0 {
				t.Fatalf("%v", m)
			}
		}},
		{name: "opening only", turns: []*analyticsv1.Turn{{Speaker: "customer", ReplyText: "Hi there, friend."}}, check: func(t *testing.T, m *analyticsv1.ConversationMeasures) {
			t.Helper()
			if m.TalkRatio != 0 || m.OtherWords != 3 || m.LongestMonologueWords != 0 {
				t.Fatalf("%v", m)
			}
		}},
		{name: "text turns have no speaking rate", turns: []*analyticsv1.Turn{{Index: 1, UserText: "one two three", ReplyText: "four"}}, check: func(t *testing.T, m *analyticsv1.ConversationMeasures) {
			t.Helper()
			if m.TalkRatio != 0.75 || m.WordsPerMinute != 0 || m.LongestMonologueSeconds != 0 {
				t.Fatalf("%v", m)
			}
		}},
		{name: "voice", turns: []*analyticsv1.Turn{
			{Index: 1, UserText: "a b c d e f", UserSpeechMs: 3000, Channel: voice, Latencies: gap(100)},
			{Index: 2, UserText: "a b", UserSpeechMs: 1000, Channel: voice, BargeIn: true, Latencies: gap(300)},
			{Index: 3, UserText: "a b c d e f g h i j", Channel: voice, Latencies: gap(200)}, // no speech time
			{Index: 4, UserText: "typed", Channel: conversationv1.Channel_CHANNEL_TEXT, Latencies: gap(9000)},
		}, check: func(t *testing.T, m *analyticsv1.ConversationMeasures) {
			t.Helper()
			if m.WordsPerMinute != 120 { // 8 words in 4 s
				t.Fatalf("wpm %v", m.WordsPerMinute)
			}
			if m.LongestMonologueWords != 10 || m.LongestMonologueTurn != 3 || m.LongestMonologueSeconds != 0 {
				t.Fatalf("monologue %v", m)
			}
			if m.Interruptions != 1 || m.TurnGapCount != 3 || m.TurnGapMeanMs != 200 || m.TurnGapP50Ms != 200 ||
				math.Abs(m.TurnGapP95Ms-290) > 1e-9 || m.TurnGapMaxMs != 300 {
				t.Fatalf("gaps %v", m)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.check(t, analytics.Measure(tt.turns)) })
	}
}
