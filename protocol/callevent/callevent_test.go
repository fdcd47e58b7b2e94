package callevent_test

import (
	"encoding/json"
	"testing"

	"github.com/avatar-fi/avatar/protocol/callevent"
	conversationv1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/conversation/v1"
	scenariov1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1"
)

// TestWireNames pins the JSON the web app and the load tester read
// (DESIGN.md, "Pinned wire contract").
func TestWireNames(t *testing.T) {
	tests := []struct {
		name string
		ev   *conversationv1.CallEvent
		want map[string]any
	}{
		{"state", &conversationv1.CallEvent{Type: callevent.TypeState, State: callevent.StateListening},
			map[string]any{"type": "state", "state": "LISTENING"}},
		{"final transcript", &conversationv1.CallEvent{Type: callevent.TypeFinalTranscript, Turn: 3, Text: "hello"},
			map[string]any{"type": "final_transcript", "turn": 3.0, "text": "hello"}},
		{"turn latency", &conversationv1.CallEvent{Type: callevent.TypeTurnLatency, Turn: 1, Stages: map[string]float64{callevent.StageTurnGap: 412.5}, BargeIn: true},
			map[string]any{"type": "turn_latency", "turn": 1.0, "stages": map[string]any{"turn_gap": 412.5}, "bargeIn": true}},
		{"turn result", &conversationv1.CallEvent{Type: callevent.TypeTurnResult, Turn: 2, Techniques: []scenariov1.Technique{scenariov1.Technique_TECHNIQUE_RAPPORT}, Outcome: scenariov1.Outcome_OUTCOME_BOUGHT},
			map[string]any{"type": "turn_result", "turn": 2.0, "techniques": []any{"TECHNIQUE_RAPPORT"}, "outcome": "OUTCOME_BOUGHT"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := callevent.Marshal(tt.ev)
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			if gb, wb := mustJSON(t, got), mustJSON(t, tt.want); gb != wb {
				t.Errorf("got %s, want %s", gb, wb)
			}
			back, err := callevent.Unmarshal(b)
			if err != nil {
				t.Fatal(err)
			}
			if back.GetType() != tt.ev.GetType() || back.GetTurn() != tt.ev.GetTurn() {
				t.Errorf("round trip: %v", back)
			}
		})
	}
	if _, err := callevent.Unmarshal([]byte(`{"type":"state","future":1}`)); err != nil {
		t.Errorf("unknown fields must be ignored: %v", err)
	}
	if _, err := callevent.Unmarshal([]byte(`{"type":`)); err == nil {
		t.Error("truncated JSON decoded")
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
