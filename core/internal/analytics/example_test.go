package analytics_test

import (
	"fmt"

	"github.com/avatar-fi/avatar/core/internal/analytics"
	"github.com/avatar-fi/avatar/protocol/callevent"
	analyticsv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/analytics/v1"
	conversationv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1"
)

// ExampleMeasure computes the conversation measures of a short voice role-play.
func ExampleMeasure() {
	voice := conversationv1.Channel_CHANNEL_VOICE
	turns := []*analyticsv1.Turn{
		{Index: 0, Speaker: "customer", ReplyText: "Let's make this quick, I have to pick up my kids."},
		{Index: 1, UserText: "Um, congratulations on the truck! What matters most to you in the payment?",
			ReplyText: "Keeping it under five hundred.", UserSpeechMs: 4200, Channel: voice,
			Latencies: []*analyticsv1.StageLatency{{Stage: callevent.StageTurnGap, Milliseconds: 240}}},
		{Index: 2, UserText: "Then let me show you the whole menu, you know, side by side.",
			ReplyText: "Okay.", UserSpeechMs: 3600, BargeIn: true, Channel: voice,
			Latencies: []*analyticsv1.StageLatency{{Stage: callevent.StageTurnGap, Milliseconds: 310}}},
	}
	m := analytics.Measure(turns)
	fmt.Printf("talk ratio %.2f, %.0f words per minute\n", m.TalkRatio, m.WordsPerMinute)
	fmt.Printf("fillers %d, longest monologue %d words, interruptions %d\n", m.FillerWords, m.LongestMonologueWords, m.Interruptions)
	fmt.Printf("turn gap mean %.0f ms, max %.0f ms\n", m.TurnGapMeanMs, m.TurnGapMaxMs)
	// Output:
	// talk ratio 0.60, 200 words per minute
	// fillers 2, longest monologue 13 words, interruptions 1
	// turn gap mean 275 ms, max 310 ms
}
