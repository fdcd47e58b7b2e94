package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestHeld(t *testing.T) {
	now := time.Now()
	answered := clipOutcome{clip: "cards_001.wav", reply: now, heard: true, gap: 400 * time.Millisecond}
	cut := clipOutcome{clip: "mfa_s01.wav", reply: now, heard: true, cut: true}
	unanswered := clipOutcome{clip: "cards_002.wav", heard: true}
	unheard := clipOutcome{clip: "fleurs_001.wav"}
	tests := []struct {
		name     string
		failed   int
		clips    []clipOutcome
		response []float64
		want     bool
	}{
		{name: "answered, fast", clips: []clipOutcome{answered, answered}, response: []float64{5, 40}, want: true},
		{name: "a cut-in still holds", clips: []clipOutcome{answered, cut}, response: []float64{5, 40}, want: true},
		{name: "a clip not heard still holds", clips: []clipOutcome{answered, unheard}, response: []float64{5}, want: true},
		{name: "a call failed", failed: 1, clips: []clipOutcome{answered}, response: []float64{5}},
		{name: "a clip heard, unanswered", clips: []clipOutcome{answered, unanswered}, response: []float64{5}},
		{name: "slow responses", clips: []clipOutcome{answered}, response: []float64{5, 160, 170, 180}},
		{name: "no clips", response: []float64{5}},
		{name: "no turns measured", clips: []clipOutcome{answered}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &result{calls: 2, failed: tt.failed, clips: tt.clips, response: tt.response}
			if got := r.held(150 * time.Millisecond); got != tt.want {
				t.Errorf("held = %v, want %v", got, tt.want)
			}
			var b bytes.Buffer
			r.wall, r.cpu = 10*time.Second, 2*time.Second
			r.print(&b, options{maxResponse: 150 * time.Millisecond})
			verdict := "calls=2 held"
			if !tt.want {
				verdict = "calls=2 NOT held"
			}
			if !strings.Contains(b.String(), verdict+" ") {
				t.Errorf("report does not say %q:\n%s", verdict, b.String())
			}
		})
	}
}

func TestCount(t *testing.T) {
	now := time.Now()
	r := &result{clips: []clipOutcome{
		{clip: "a.wav", reply: now, heard: true, gap: 300 * time.Millisecond, heardGap: 520 * time.Millisecond},
		{clip: "b.wav", reply: now, heard: true, cut: true, gap: 100 * time.Millisecond, heardGap: 310 * time.Millisecond},
		{clip: "c.wav", heard: true},
		{clip: "d.wav"},
	}}
	c := r.count(func(clipOutcome) bool { return true })
	if c.clips != 4 || c.answered != 1 || c.cut != 1 || c.unanswered != 1 || c.unheard != 1 {
		t.Errorf("counts %+v", c)
	}
	if len(c.gaps) != 2 || c.gaps[0] != 100 || c.gaps[1] != 300 {
		t.Errorf("gaps %v, want [100 300] sorted", c.gaps)
	}
	if len(c.heard) != 2 || c.heard[0] != 310 || c.heard[1] != 520 {
		t.Errorf("heard gaps %v, want [310 520] sorted", c.heard)
	}
}
