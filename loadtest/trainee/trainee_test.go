package trainee

import (
	"testing"

	scenariov1 "github.com/avatar-fi/avatar/protocol/gen/go/avatar/scenario/v1"
)

func TestMatch(t *testing.T) {
	all := []*scenariov1.Scenario{
		{Id: "a1", Title: "Vehicle service contract: price objection"},
		{Id: "b2", Title: "GAP sceptic"},
		{Id: "c3", Title: "Demo Motors: service contract on a used truck"},
	}
	tests := []struct{ want, id string }{
		{"b2", "b2"},
		{"gap", "b2"},
		{"service contract", "a1"},
		{"Service Contract truck", "c3"},
		{"c3", "c3"},
		{"warranty", ""},
		{"", ""},
	}
	for _, tt := range tests {
		s, err := match(all, tt.want)
		switch {
		case tt.id == "" && err == nil:
			t.Errorf("match(%q) = %s, want no match", tt.want, s.GetId())
		case tt.id != "" && (err != nil || s.GetId() != tt.id):
			t.Errorf("match(%q) = %v, %v; want %s", tt.want, s.GetId(), err, tt.id)
		}
	}
}
