package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/avatar-fi/avatar/loadtest/caller"
	"github.com/avatar-fi/avatar/loadtest/internal/speech"
	"github.com/avatar-fi/avatar/protocol/callevent"
)

// Timings of the callers' speech.
const (
	// lead is the silence before each clip.
	lead = 400 * time.Millisecond
	// endTolerance is how far before the estimated end of a clip's speech
	// a reply may start and still count as answering it.
	endTolerance = 150 * time.Millisecond
	// listen is how long a caller hears a reply before speaking over it.
	listen = time.Second
	// firstPackets is the wait after the reply starts for its first audio
	// packets to arrive.
	firstPackets = 300 * time.Millisecond
)

// speak says clips on c in a loop until stopped: the clip, then once its
// reply starts (or replyTimeout after the clip ends), a second of
// listening, and the next clip over the rest of the reply. Caller i starts
// at clip i. It returns each clip's outcome and the call's events.
func speak(ctx context.Context, c *caller.Caller, i int, clips []speech.Clip, replyTimeout time.Duration, stopped <-chan struct{}) ([]clipOutcome, []caller.Event) {
	var outs []clipOutcome
	silence := make([]int16, int(lead*speech.Rate/time.Second))
	for k := i; ; k++ {
		select {
		case <-stopped:
			return outs, c.Events()
		case <-ctx.Done():
			return outs, c.Events()
		default:
		}
		clip := clips[k%len(clips)]
		mark := len(c.Events())
		_, _, spurts0 := c.Audio()
		heard0 := len(c.Heard())
		c.Say(silence)
		c.Say(clip.PCM)
		sent, err := c.Drained(ctx)
		if err != nil {
			return outs, c.Events()
		}
		end := sent.Add(-clip.Duration() + clip.Voiced)
		oc := clipOutcome{call: i, clip: clip.Name, end: end}
		deadline := end.Add(replyTimeout)
		for oc.reply.IsZero() && time.Now().Before(deadline) && ctx.Err() == nil {
			// A reply that starts before the end of the speech, to a turn
			// of this clip (the reply to the previous one, or the opening,
			// may still be starting), cut the speaker off. The end is an
			// estimate from the clip's level (the last frame within 26 dB
			// of its loudest, which takes in a trailing fricative or
			// breath): within endTolerance of it counts as after.
			evs := c.Events()
			heard := false
			for _, ev := range evs[min(mark, len(evs)):] {
				if ev.Type != callevent.TypeState {
					continue
				}
				switch {
				case ev.State == callevent.StateUserSpeaking:
					heard, oc.heard = true, true
				case ev.State != callevent.StateSpeaking:
				case ev.At.Before(end.Add(-endTolerance)):
					oc.cut = oc.cut || heard
				case oc.reply.IsZero():
					oc.reply = ev.At
				}
			}
			if oc.reply.IsZero() {
				sleep(ctx, 20*time.Millisecond)
			}
		}
		if !oc.reply.IsZero() {
			sleep(ctx, firstPackets)
			_, _, spurts := c.Audio()
			for _, s := range spurts[min(len(spurts0), len(spurts)):] {
				if s.After(end) {
					oc.gap = s.Sub(end)
					break
				}
			}
			heard := c.Heard()
			for _, h := range heard[min(heard0, len(heard)):] {
				if h.After(end) {
					oc.heardGap = h.Sub(end)
					break
				}
			}
		}
		if oc.reply.IsZero() || oc.cut {
			oc.trace = trace(c.Events(), mark, end)
		}
		outs = append(outs, oc)
		if !oc.reply.IsZero() {
			sleep(ctx, listen-firstPackets) // a second of the reply, then speak over it
		}
	}
}

// trace lists the events from mark on, timed from end, for a clip that
// was not answered cleanly.
func trace(evs []caller.Event, mark int, end time.Time) string {
	var b strings.Builder
	for _, ev := range evs[min(mark, len(evs)):] {
		what := ev.Type
		switch ev.Type {
		case callevent.TypeState:
			what = ev.State
		case callevent.TypePartialTranscript:
			continue
		case callevent.TypeFinalTranscript:
			what = fmt.Sprintf("final %q", ev.Text)
		}
		fmt.Fprintf(&b, " %+dms:%s", ev.At.Sub(end).Milliseconds(), what)
	}
	return b.String()
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
