package silero_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/avatar-fi/avatar/media/endpoint"
	"github.com/avatar-fi/avatar/media/internal/speechcorpus"
	"github.com/avatar-fi/avatar/media/opus"
	"github.com/avatar-fi/avatar/media/resample"
	"github.com/avatar-fi/avatar/media/vad"
	"github.com/avatar-fi/avatar/media/vad/silero"
)

const ms = time.Millisecond

func loadClips(t *testing.T) []speechcorpus.Clip {
	t.Helper()
	clips, err := speechcorpus.Load()
	if err != nil {
		t.Fatalf("load speech: %v", err)
	}
	if len(clips) != 13 {
		t.Fatalf("found %d clips, want 13", len(clips))
	}
	return clips
}

func newGate(tb testing.TB) *vad.Gate {
	tb.Helper()
	g, err := vad.NewGate(vad.DefaultOnThreshold, vad.DefaultOffThreshold)
	if err != nil {
		tb.Fatal(err)
	}
	return g
}

// decisions runs det and a default Gate over samples in 20 ms frames.
func decisions(t *testing.T, det vad.Detector, samples []int16) []bool {
	t.Helper()
	g := newGate(t)
	out := make([]bool, 0, len(samples)/frame16)
	for f := 0; (f+1)*frame16 <= len(samples); f++ {
		p, err := det.Process(samples[f*frame16 : (f+1)*frame16])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, g.Update(p))
	}
	return out
}

// accuracy returns the frame accuracy of det (fresh per clip from newDet) on
// the labelled clips, overall and per clip, after prepare when given. A
// frame's truth is the label at its centre, as in the vad package's test.
func accuracy(t *testing.T, clips []speechcorpus.Clip, newDet func() vad.Detector, prepare func([]int16) []int16) (float64, []string) {
	t.Helper()
	var ok, total int
	var per []string
	for _, c := range clips {
		if c.Speech == nil {
			continue
		}
		samples := c.Samples
		if prepare != nil {
			samples = prepare(samples)
		}
		cok := 0
		d := decisions(t, newDet(), samples)
		for f, speech := range d {
			mid := time.Duration(f*frame16+frame16/2) * time.Second / speechcorpus.SampleRate
			if speech == c.IsSpeech(mid) {
				cok++
			}
		}
		ok += cok
		total += len(d)
		per = append(per, fmt.Sprintf("%.3f", float64(cok)/float64(len(d))))
	}
	if total == 0 {
		t.Fatal("no labelled clips found")
	}
	return float64(ok) / float64(total), per
}

// detectors are the configurations the speech tests compare.
func detectors(t *testing.T, m *silero.Model) []struct {
	name   string
	newDet func() vad.Detector
} {
	t.Helper()
	return []struct {
		name   string
		newDet func() vad.Detector
	}{
		{name: "energy", newDet: func() vad.Detector {
			e, err := vad.NewEnergy()
			if err != nil {
				t.Fatal(err)
			}
			return e
		}},
		{name: "silero", newDet: func() vad.Detector { return newStream(t, m, silero.WithoutGate()) }},
		{name: "silero gated", newDet: func() vad.Detector { return newStream(t, m) }},
	}
}

// TestAccuracyOnLabelledSpeech measures frame accuracy of Silero + Gate on
// the 5 labelled clips, with and without the energy gate, next to Energy.
// ENGINES.md: 0.97 for Silero VAD v5 with this hysteresis.
func TestAccuracyOnLabelledSpeech(t *testing.T) {
	m := newModel(t)
	clips := loadClips(t)
	tests := []struct {
		name  string
		det   string
		codec bool
		min   float64
	}{
		// Measured 0.963, 0.964, 0.959, 0.957 (per clip 0.92..0.98); the
		// bounds leave about 0.01.
		{name: "silero clean", det: "silero", min: 0.95},
		{name: "silero gated clean", det: "silero gated", min: 0.95},
		{name: "silero through the call path", det: "silero", codec: true, min: 0.945},
		{name: "silero gated through the call path", det: "silero gated", codec: true, min: 0.945},
		// Measured 0.932, as in the vad package.
		{name: "energy clean", det: "energy", min: 0.90},
	}
	dets := detectors(t, m)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i := slices.IndexFunc(dets, func(d struct {
				name   string
				newDet func() vad.Detector
			}) bool {
				return d.name == tt.det
			})
			var prep func([]int16) []int16
			if tt.codec {
				prep = codecPath(t)
			}
			acc, per := accuracy(t, clips, dets[i].newDet, prep)
			t.Logf("frame accuracy %.3f; per clip (0870, 0880, 0890, 0920, 0930): %v", acc, per)
			if acc < tt.min {
				t.Errorf("frame accuracy %.3f, want ≥ %.2f", acc, tt.min)
			}
		})
	}
}

// codecPath returns a function that sends 16 kHz audio the way a trainee's
// voice reaches the VAD: up to 48 kHz, Opus encode and decode, down to 16 kHz.
func codecPath(t *testing.T) func([]int16) []int16 {
	t.Helper()
	return func(in []int16) []int16 {
		up, err1 := resample.New(16000, 48000)
		down, err2 := resample.New(48000, 16000)
		enc, err3 := opus.NewEncoder(opus.WithMaxBandwidth(opus.Fullband))
		dec, err4 := opus.NewDecoder()
		if err := errors.Join(err1, err2, err3, err4); err != nil {
			t.Fatal(err)
		}
		var out []int16
		f48 := make([]int16, 960)
		pkt := make([]byte, opus.MaxPacketBytes)
		f16 := make([]int16, frame16)
		for f := 0; (f+1)*frame16 <= len(in); f++ {
			if _, err := up.Process(f48, in[f*frame16:(f+1)*frame16]); err != nil {
				t.Fatal(err)
			}
			n, err := enc.Encode(f48, pkt)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := dec.Decode(pkt[:n], f48); err != nil {
				t.Fatal(err)
			}
			if _, err := down.Process(f16, f48); err != nil {
				t.Fatal(err)
			}
			out = append(out, f16...)
		}
		return out
	}
}

// turnStats is the outcome of one hangover over all clips.
type turnStats struct {
	cutClips, cuts int
	waits          []time.Duration // final SpeechEnd.At − LastVoiced
	afterLabel     []time.Duration // labelled clips: final SpeechEnd.At − labelled end
}

// measureTurns counts premature ends as endpoint's TestPrematureEndpoints
// does: each clip holds one utterance, so every SpeechEnd followed by another
// SpeechStart in the same clip cut the speaker off.
func measureTurns(t *testing.T, clips []speechcorpus.Clip, voiced [][]bool, cfg endpoint.Config) turnStats {
	t.Helper()
	var st turnStats
	for i, c := range clips {
		e, err := endpoint.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		starts := 0
		var last endpoint.Event
		for _, v := range voiced[i] {
			ev := e.Push(v)
			switch ev.Type {
			case endpoint.SpeechStart:
				starts++
			case endpoint.SpeechEnd:
				last = ev
			}
		}
		if starts == 0 || last.Type != endpoint.SpeechEnd {
			t.Errorf("%s: %d turns, final event %v: the turn never ended", c.Name, starts, last.Type)
			continue
		}
		if starts > 1 {
			st.cutClips++
			st.cuts += starts - 1
		}
		st.waits = append(st.waits, last.At-last.LastVoiced)
		if len(c.Speech) > 0 {
			st.afterLabel = append(st.afterLabel, last.At-c.Speech[len(c.Speech)-1].End)
		}
	}
	return st
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// TestPrematureEndpoints measures, on all 13 clips (each followed by 1.5 s of
// silence), how often a mid-utterance pause ends the turn too early with
// Silero (gated and not) and with Energy, at several hangovers, and how long
// after the last voiced frame the final end fires. It also reports how many
// windows the energy gate skipped. The table goes into README.md.
func TestPrematureEndpoints(t *testing.T) {
	m := newModel(t)
	clips := loadClips(t)
	dets := detectors(t, m)
	voiced := make([][][]bool, len(dets))
	var gatedStats silero.Stats
	for d, det := range dets {
		for _, c := range clips {
			dd := det.newDet()
			voiced[d] = append(voiced[d], decisions(t, dd, append(slices.Clone(c.Samples), make([]int16, 24000)...)))
			if s, ok := dd.(*silero.Stream); ok && det.name == "silero gated" {
				st := s.Stats()
				gatedStats.Windows += st.Windows
				gatedStats.Skipped += st.Skipped
			}
		}
	}
	t.Logf("energy gate skipped %d of %d windows (%.0f %%), 1.5 s of trailing silence per clip included",
		gatedStats.Skipped, gatedStats.Windows, 100*float64(gatedStats.Skipped)/float64(gatedStats.Windows))
	tests := []struct {
		hangover time.Duration
		maxCuts  [3]int // energy, silero, silero gated
	}{
		// Measured: energy 5, 2, 1, 1, 1, 1 clips cut; Silero (gated or
		// not) 2, 1, 1, 1, 1, 1, the one left being the digit string with
		// its 1.3 s pauses. The bounds allow one more.
		{hangover: 150 * ms, maxCuts: [3]int{6, 3, 3}},
		{hangover: 200 * ms, maxCuts: [3]int{3, 2, 2}},
		{hangover: 250 * ms, maxCuts: [3]int{2, 2, 2}},
		{hangover: 300 * ms, maxCuts: [3]int{2, 2, 2}},
		{hangover: 400 * ms, maxCuts: [3]int{2, 2, 2}},
		{hangover: 500 * ms, maxCuts: [3]int{2, 2, 2}},
	}
	var table strings.Builder
	fmt.Fprintf(&table, "\n| hangover | clips cut (of %d): energy / Silero / Silero gated | premature ends | end after last voiced frame (median) | after labelled end of speech (median, 5 clips) |\n|---|---|---|---|---|\n", len(clips))
	for _, tt := range tests {
		var cut, cuts, wait, after [3]string
		for d := range dets {
			st := measureTurns(t, clips, voiced[d], endpoint.Config{Silence: tt.hangover})
			cut[d], cuts[d] = fmt.Sprint(st.cutClips), fmt.Sprint(st.cuts)
			wait[d], after[d] = fmt.Sprint(median(st.waits)), fmt.Sprint(median(st.afterLabel).Round(ms))
			if st.cutClips > tt.maxCuts[d] {
				t.Errorf("%v %s: %d clips cut, want ≤ %d", tt.hangover, dets[d].name, st.cutClips, tt.maxCuts[d])
			}
		}
		fmt.Fprintf(&table, "| %v | %s | %s | %s | %s |\n", tt.hangover,
			strings.Join(cut[:], " / "), strings.Join(cuts[:], " / "), strings.Join(wait[:], " / "), strings.Join(after[:], " / "))
	}
	t.Log(table.String())
}
