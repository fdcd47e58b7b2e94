package endpoint_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/avatar-fi/avatar/media/endpoint"
)

const ms = time.Millisecond

func newEndpointer(tb testing.TB, cfg endpoint.Config) *endpoint.Endpointer {
	tb.Helper()
	e, err := endpoint.New(cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return e
}

// feed pushes a pattern of frames ('#' speech, '.' silence) and returns the
// events that are not None. A 'T' in transcripts at the same index calls
// SetTranscript with the corresponding text before that frame.
func feed(e *endpoint.Endpointer, pattern string, transcripts map[int]string) []endpoint.Event {
	var out []endpoint.Event
	for i, c := range pattern {
		if tr, ok := transcripts[i]; ok {
			e.SetTranscript(tr)
		}
		if ev := e.Push(c == '#'); ev.Type != endpoint.None {
			out = append(out, ev)
		}
	}
	return out
}

// TestFixedRule checks the fixed rule (Config.Silence set): the defaults
// below are DefaultSilence, DefaultEarlySilence and DefaultLateSilence.
func TestFixedRule(t *testing.T) {
	tests := []struct {
		name        string
		cfg         endpoint.Config
		pattern     string
		transcripts map[int]string
		want        []endpoint.Event
	}{
		{
			name:    "blip shorter than MinSpeech is ignored",
			pattern: "..##......",
		},
		{
			name:    "turn with default 250 ms hangover (13 frames)",
			pattern: "..#####" + "..............",
			want: []endpoint.Event{
				{Type: endpoint.SpeechStart, At: 100 * ms, Start: 40 * ms, LastVoiced: 100 * ms},
				// Last voiced frame is 6 (ends 140 ms); 13 silent frames
				// later, frame 19 ends at 400 ms.
				{Type: endpoint.SpeechEnd, At: 400 * ms, Start: 40 * ms, LastVoiced: 140 * ms},
			},
		},
		{
			name:    "pause shorter than hangover keeps the turn",
			pattern: "#####" + "..........." + "####" + ".............",
			want: []endpoint.Event{
				{Type: endpoint.SpeechStart, At: 60 * ms, Start: 0, LastVoiced: 60 * ms},
				{Type: endpoint.SpeechEnd, At: 660 * ms, Start: 0, LastVoiced: 400 * ms},
			},
		},
		{
			name:        "complete transcript ends early (160 ms = 8 frames)",
			pattern:     "#####" + "........",
			transcripts: map[int]string{4: "I'll take the extended warranty."},
			want: []endpoint.Event{
				{Type: endpoint.SpeechStart, At: 60 * ms, Start: 0, LastVoiced: 60 * ms},
				{Type: endpoint.SpeechEnd, At: 260 * ms, Start: 0, LastVoiced: 100 * ms, Cue: endpoint.CueComplete},
			},
		},
		{
			name:        "trailing 'and' waits late (600 ms = 30 frames)",
			pattern:     "#####" + "..............................",
			transcripts: map[int]string{4: "I want the warranty and"},
			want: []endpoint.Event{
				{Type: endpoint.SpeechStart, At: 60 * ms, Start: 0, LastVoiced: 60 * ms},
				{Type: endpoint.SpeechEnd, At: 700 * ms, Start: 0, LastVoiced: 100 * ms, Cue: endpoint.CueIncomplete},
			},
		},
		{
			name:        "empty transcript waits late",
			pattern:     "#####" + "..............................",
			transcripts: map[int]string{3: ""},
			want: []endpoint.Event{
				{Type: endpoint.SpeechStart, At: 60 * ms, Start: 0, LastVoiced: 60 * ms},
				{Type: endpoint.SpeechEnd, At: 700 * ms, Start: 0, LastVoiced: 100 * ms, Cue: endpoint.CueIncomplete},
			},
		},
		{
			name:        "transcript arriving late ends the turn at once",
			pattern:     "#####" + "..........",
			transcripts: map[int]string{14: "yes"},
			want: []endpoint.Event{
				{Type: endpoint.SpeechStart, At: 60 * ms, Start: 0, LastVoiced: 60 * ms},
				// 10 silent frames pass with no cue (< 13); at frame 14 the
				// cue arrives and 10 ≥ 8 ends the turn.
				{Type: endpoint.SpeechEnd, At: 300 * ms, Start: 0, LastVoiced: 100 * ms, Cue: endpoint.CueComplete},
			},
		},
		{
			name:        "trailing-off turn resumes inside the late window",
			pattern:     "####" + "....................." + "####" + "..............................",
			transcripts: map[int]string{3: "so um"},
			want: []endpoint.Event{
				{Type: endpoint.SpeechStart, At: 60 * ms, Start: 0, LastVoiced: 60 * ms},
				// The transcript is not updated after the resumption, so
				// the late hangover still applies: 30 frames after frame 28.
				{Type: endpoint.SpeechEnd, At: 1180 * ms, Start: 0, LastVoiced: 580 * ms, Cue: endpoint.CueIncomplete},
			},
		},
		{
			name:    "tentative pause then resume",
			cfg:     endpoint.Config{Tentative: 100 * ms},
			pattern: "####" + "......" + "##" + ".............",
			want: []endpoint.Event{
				{Type: endpoint.SpeechStart, At: 60 * ms, Start: 0, LastVoiced: 60 * ms},
				{Type: endpoint.Pause, At: 180 * ms, Start: 0, LastVoiced: 80 * ms},
				{Type: endpoint.Resume, At: 220 * ms, Start: 0, LastVoiced: 220 * ms},
				{Type: endpoint.Pause, At: 340 * ms, Start: 0, LastVoiced: 240 * ms},
				{Type: endpoint.SpeechEnd, At: 500 * ms, Start: 0, LastVoiced: 240 * ms},
			},
		},
		{
			name:    "two turns",
			cfg:     endpoint.Config{Silence: 100 * ms, MinSpeech: 20 * ms},
			pattern: "#....." + "##.....",
			want: []endpoint.Event{
				{Type: endpoint.SpeechStart, At: 20 * ms, Start: 0, LastVoiced: 20 * ms},
				{Type: endpoint.SpeechEnd, At: 120 * ms, Start: 0, LastVoiced: 20 * ms},
				{Type: endpoint.SpeechStart, At: 140 * ms, Start: 120 * ms, LastVoiced: 140 * ms},
				{Type: endpoint.SpeechEnd, At: 260 * ms, Start: 120 * ms, LastVoiced: 160 * ms},
			},
		},
		{
			name:    "10 ms frames",
			cfg:     endpoint.Config{FrameDuration: 10 * ms},
			pattern: "######" + ".........................",
			want: []endpoint.Event{
				{Type: endpoint.SpeechStart, At: 60 * ms, Start: 0, LastVoiced: 60 * ms},
				{Type: endpoint.SpeechEnd, At: 310 * ms, Start: 0, LastVoiced: 60 * ms},
			},
		},
		{
			name:        "transcript outside a turn is ignored",
			pattern:     "...#####" + ".............",
			transcripts: map[int]string{1: "yes"},
			want: []endpoint.Event{
				{Type: endpoint.SpeechStart, At: 120 * ms, Start: 60 * ms, LastVoiced: 120 * ms},
				{Type: endpoint.SpeechEnd, At: 420 * ms, Start: 60 * ms, LastVoiced: 160 * ms},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			if cfg.Silence == 0 {
				cfg.Silence = endpoint.DefaultSilence
			}
			e := newEndpointer(t, cfg)
			got := feed(e, tt.pattern, tt.transcripts)
			if len(got) != len(tt.want) {
				t.Fatalf("events = %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("event %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
			if e.InTurn() {
				t.Error("still in a turn at the end of the pattern")
			}
			if e.Now() != time.Duration(len(tt.pattern))*e.Config().FrameDuration {
				t.Errorf("Now = %v after %d frames", e.Now(), len(tt.pattern))
			}
		})
	}
}

// silenceBeforeEnd pushes voiced frames (with a pitch, but for the last
// pitchStops of them) and then silence, with transcript set at the end of
// the speech ("" sets none), and returns how long after the last voiced
// frame the turn ended.
// pause is the speech before a pause: voiced frames, how many of the last
// of them have no pitch, and the transcript so far.
type pause struct {
	voiced, pitchStops int
	transcript         string
}

func silenceBeforeEnd(t *testing.T, e *endpoint.Endpointer, voiced, pitchStops int, transcript string) time.Duration {
	t.Helper()
	for k := range voiced + 200 {
		f := endpoint.Frame{Voiced: k < voiced}
		if k < voiced-pitchStops {
			f.PitchHz = 120
		}
		if k == voiced && transcript != "" {
			e.SetTranscript(transcript)
		}
		if ev := e.PushFrame(f); ev.Type == endpoint.SpeechEnd {
			return ev.At - ev.LastVoiced
		}
	}
	t.Fatal("the turn never ended")
	return 0
}

// TestModel checks that each kind of evidence moves the end of the turn the
// way it should, and that Without switches it off.
func TestModel(t *testing.T) {
	base := endpoint.Config{Hold: 100 * ms}
	tests := []struct {
		name              string
		cfg               endpoint.Config
		sooner, later     pause
		wantSooner, equal bool
	}{
		{
			name:       "complete words end sooner than trailing ones",
			cfg:        base,
			sooner:     pause{30, 0, "okay thanks"},
			later:      pause{30, 0, "the warranty and"},
			wantSooner: true,
		},
		{
			name:       "no words yet wait longer than some",
			cfg:        base,
			sooner:     pause{30, 0, "the warranty"},
			later:      pause{30, 0, " "},
			wantSooner: true,
		},
		{
			name:       "a number being read waits",
			cfg:        base,
			sooner:     pause{30, 0, "my zip code"},
			later:      pause{30, 0, "nine oh two one"},
			wantSooner: true,
		},
		{
			name:       "a voice falling into creak ends sooner than one voiced to the pause",
			cfg:        base,
			sooner:     pause{30, 12, ""},
			later:      pause{30, 0, ""},
			wantSooner: true,
		},
		{
			name:       "with run ratios, a long last stretch of speech ends sooner than a word or two",
			cfg:        endpoint.Config{Hold: 100 * ms, Ratios: endpoint.Ratios{LongRun: 1.2, ShortRun: 0.5}},
			sooner:     pause{40, 12, ""},
			later:      pause{10, 12, ""},
			wantSooner: true,
		},
		{
			name:   "without words, words change nothing",
			cfg:    endpoint.Config{Hold: 100 * ms, Without: endpoint.Words},
			sooner: pause{30, 0, "okay thanks"},
			later:  pause{30, 0, "the warranty and"},
			equal:  true,
		},
		{
			name:   "without prosody, pitch changes nothing",
			cfg:    endpoint.Config{Hold: 100 * ms, Without: endpoint.Prosody},
			sooner: pause{30, 12, ""},
			later:  pause{30, 0, ""},
			equal:  true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := silenceBeforeEnd(t, newEndpointer(t, tt.cfg), tt.sooner.voiced, tt.sooner.pitchStops, tt.sooner.transcript)
			b := silenceBeforeEnd(t, newEndpointer(t, tt.cfg), tt.later.voiced, tt.later.pitchStops, tt.later.transcript)
			t.Logf("%v against %v", a, b)
			if tt.equal && a != b || tt.wantSooner && a >= b {
				t.Errorf("ended %v and %v after the last voiced frame; want the first %s", a, b, map[bool]string{true: "equal", false: "sooner"}[tt.equal])
			}
			if lo, hi := a+100*ms, b+100*ms; lo < endpoint.DefaultMinSilence || hi > endpoint.DefaultMaxSilence+100*ms {
				t.Errorf("ends %v, %v outside MinSilence..MaxSilence", a, b)
			}
		})
	}
}

// TestLevel checks that a pause after speech that fell under the speaker's
// mean pitch ends the turn sooner than one after speech at it, and that
// Without Level makes them equal.
func TestLevel(t *testing.T) {
	end := func(cfg endpoint.Config, lastHz float32) time.Duration {
		e := newEndpointer(t, cfg)
		for k := range 45 + 200 {
			f := endpoint.Frame{Voiced: k < 45}
			switch {
			case k < 40:
				f.PitchHz = 150
			case k < 45:
				f.PitchHz = lastHz
			}
			if ev := e.PushFrame(f); ev.Type == endpoint.SpeechEnd {
				return ev.At - ev.LastVoiced
			}
		}
		t.Fatal("the turn never ended")
		return 0
	}
	base := endpoint.Config{Hold: 100 * ms}
	low, level := end(base, 110), end(base, 150)
	t.Logf("low %v, level %v", low, level)
	if low >= level {
		t.Errorf("a pause after a fall to 110 Hz ended %v after the speech, at 150 Hz %v: want sooner", low, level)
	}
	off := base
	off.Without = endpoint.Level
	if a, b := end(off, 110), end(off, 150); a != b {
		t.Errorf("without Level: %v and %v, want equal", a, b)
	}
}

// TestHabits checks that the endpointer learns a speaker's long pauses —
// from turns it ended too soon, when the speaker went on within 1.5 s —
// and then waits them out, and that pauses longer than 1.5 s after a turn
// end (a new turn) teach it nothing.
func TestHabits(t *testing.T) {
	// A speaker who pauses 800 ms inside every turn: 25 frames of speech,
	// 40 of silence (the detector's hold of 5 included), 25 of speech, then
	// a long silence.
	turn := strings.Repeat("#", 25) + strings.Repeat(".", 35) + strings.Repeat("#", 25) + strings.Repeat(".", 150)
	e := newEndpointer(t, endpoint.Config{Hold: 100 * ms, LearnHabits: true})
	var cuts []int
	for i := range 8 {
		starts := 0
		for _, ev := range feed(e, turn, nil) {
			if ev.Type == endpoint.SpeechStart {
				starts++
			}
		}
		cuts = append(cuts, starts-1)
		t.Logf("turn %d: %d cut, habits %v", i, starts-1, e.Habits())
	}
	if cuts[0] != 1 {
		t.Errorf("the first 800 ms pause was not cut (%d): the test no longer tests learning", cuts[0])
	}
	if cuts[6]+cuts[7] != 0 {
		t.Errorf("after %d turns the speaker's 800 ms pauses are still cut", len(cuts))
	}
	// A new turn 3 s after the last one is no pause.
	n := len(e.Habits())
	feed(e, strings.Repeat(".", 150)+turn, nil)
	if len(e.Habits()) != n+1 { // the turn's own pause only
		t.Errorf("habits %v after a turn 3 s later, want %d", e.Habits(), n+1)
	}
	e.Reset()
	if len(e.Habits()) != 0 {
		t.Errorf("Reset kept habits %v", e.Habits())
	}
}

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		name    string
		cfg     endpoint.Config
		wantErr error
	}{
		{name: "zero config takes defaults"},
		{name: "custom", cfg: endpoint.Config{Silence: 300 * ms, EarlySilence: 200 * ms, LateSilence: 800 * ms, Tentative: 100 * ms}},
		{name: "short Silence lowers the early default", cfg: endpoint.Config{Silence: 100 * ms}},
		{name: "frame too short", cfg: endpoint.Config{FrameDuration: time.Microsecond}, wantErr: endpoint.ErrInvalidConfig},
		{name: "negative MinSpeech", cfg: endpoint.Config{MinSpeech: -ms}, wantErr: endpoint.ErrInvalidConfig},
		{name: "early above Silence", cfg: endpoint.Config{Silence: 250 * ms, EarlySilence: 400 * ms}, wantErr: endpoint.ErrInvalidConfig},
		{name: "late below Silence", cfg: endpoint.Config{Silence: 250 * ms, LateSilence: 100 * ms}, wantErr: endpoint.ErrInvalidConfig},
		{name: "tentative not below early", cfg: endpoint.Config{Silence: 250 * ms, Tentative: 200 * ms}, wantErr: endpoint.ErrInvalidConfig},
		{name: "model: tentative not below MinSilence", cfg: endpoint.Config{Tentative: 200 * ms}, wantErr: endpoint.ErrInvalidConfig},
		{name: "model: MinSilence above MaxSilence", cfg: endpoint.Config{MinSilence: 3 * time.Second}, wantErr: endpoint.ErrInvalidConfig},
		{name: "model: negative threshold", cfg: endpoint.Config{Threshold: -1}, wantErr: endpoint.ErrInvalidConfig},
		{name: "model: negative ratio", cfg: endpoint.Config{Ratios: endpoint.Ratios{Creak: -1}}, wantErr: endpoint.ErrInvalidConfig},
		{name: "model: bad pause", cfg: endpoint.Config{Pauses: []time.Duration{0}}, wantErr: endpoint.ErrInvalidConfig},
		{name: "model: hold too long", cfg: endpoint.Config{Hold: 2 * time.Second}, wantErr: endpoint.ErrInvalidConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := endpoint.New(tt.cfg)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("New error = %v, want %v", err, tt.wantErr)
			}
			if err == nil {
				c := e.Config()
				if c.EarlySilence > c.Silence || c.LateSilence < c.Silence || c.Cue == nil || (c.Silence == 0 && c.MinSilence > c.MaxSilence) {
					t.Errorf("defaults inconsistent: %+v", c)
				}
				t.Log(e)
			}
		})
	}
}

func TestDefaultCue(t *testing.T) {
	tests := []struct {
		transcript string
		want       endpoint.Cue
	}{
		{"", endpoint.CueIncomplete},
		{"   ", endpoint.CueIncomplete},
		{"I'd like the extended warranty.", endpoint.CueComplete},
		{"what does it cost?", endpoint.CueComplete},
		{"what does it cost", endpoint.CueNone},
		{"I want the warranty and", endpoint.CueIncomplete},
		{"I want the warranty AND ", endpoint.CueIncomplete},
		{"so", endpoint.CueIncomplete},
		{"it covers the", endpoint.CueIncomplete},
		{"it covers a", endpoint.CueIncomplete},
		{"I was going to", endpoint.CueIncomplete},
		{"well um", endpoint.CueIncomplete},
		{"I think uh", endpoint.CueIncomplete},
		{"but", endpoint.CueIncomplete},
		{"the payment is,", endpoint.CueIncomplete},
		{"the payment is…", endpoint.CueIncomplete},
		{"I’m", endpoint.CueIncomplete},
		{"yes", endpoint.CueComplete},
		{"OK thanks", endpoint.CueComplete},
		{"\"okay\"", endpoint.CueComplete},
		{"ten of clubs", endpoint.CueNone},
		{"one zero zero", endpoint.CueIncomplete},
		{"my number is five five five", endpoint.CueIncomplete},
		{"it costs nine hundred", endpoint.CueIncomplete},
		{"I paid ninety", endpoint.CueNone},
		{"supercalifragilisticexpialidocious", endpoint.CueNone},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.transcript), func(t *testing.T) {
			if got := endpoint.DefaultCue(tt.transcript); got != tt.want {
				t.Errorf("DefaultCue(%q) = %v, want %v", tt.transcript, got, tt.want)
			}
		})
	}
}

func TestCustomCue(t *testing.T) {
	calls := 0
	e := newEndpointer(t, endpoint.Config{Cue: func(s string) endpoint.Cue {
		calls++
		return endpoint.CueComplete
	}})
	got := feed(e, "#####"+strings.Repeat(".", 30), map[int]string{4: "anything"})
	if calls != 1 || len(got) != 2 || got[1].Cue != endpoint.CueComplete {
		t.Errorf("custom cue: %d calls, events %+v", calls, got)
	}
}

func TestReset(t *testing.T) {
	e := newEndpointer(t, endpoint.Config{})
	feed(e, "#####", nil)
	e.Reset()
	if e.InTurn() || e.Now() != 0 {
		t.Errorf("after Reset: InTurn %v, Now %v", e.InTurn(), e.Now())
	}
}

func TestStrings(t *testing.T) {
	for _, ty := range []endpoint.EventType{endpoint.None, endpoint.SpeechStart, endpoint.Pause, endpoint.Resume, endpoint.SpeechEnd, 99} {
		if ty.String() == "" {
			t.Errorf("EventType(%d) has no name", ty)
		}
	}
	for _, c := range []endpoint.Cue{endpoint.CueNone, endpoint.CueComplete, endpoint.CueIncomplete, 9} {
		if c.String() == "" {
			t.Errorf("Cue(%d) has no name", c)
		}
	}
}

func TestAllocs(t *testing.T) {
	e := newEndpointer(t, endpoint.Config{Tentative: 60 * ms})
	i := 0
	if a := testing.AllocsPerRun(1000, func() {
		e.Push(i%40 < 20)
		if i%10 == 0 {
			e.SetTranscript("and then I said Um")
		}
		i++
	}); a != 0 {
		t.Errorf("Push/SetTranscript allocate %.1f times per frame, want 0", a)
	}
	if a := testing.AllocsPerRun(100, func() { endpoint.DefaultCue("I'd like THE") }); a != 0 {
		t.Errorf("DefaultCue allocates %.1f times, want 0", a)
	}
}

func BenchmarkPush(b *testing.B) {
	e := newEndpointer(b, endpoint.Config{})
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		e.Push(i%50 < 30)
		i++
	}
}

func BenchmarkDefaultCue(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		endpoint.DefaultCue("so what would the monthly payment be for the")
	}
}

func ExampleEndpointer() {
	// The edge's settings: the end-of-turn model with its defaults, and a
	// detector that holds speech 100 ms past the speaker's last word.
	for _, words := range []string{"I'd like the extended warranty, thanks", "I'd like the extended warranty and"} {
		ep, _ := endpoint.New(endpoint.Config{Hold: 100 * time.Millisecond, Tentative: endpoint.DefaultTentative})
		for k := range 150 {
			if k == 25 {
				ep.SetTranscript(words)
			}
			ev := ep.Push(k < 25)
			switch ev.Type {
			case endpoint.Pause:
				fmt.Printf("%q: pause at %v;", words, ev.At)
			case endpoint.SpeechEnd:
				fmt.Printf(" end %v after the last voiced frame (odds %.2f)\n", ev.At-ev.LastVoiced, ev.Odds)
			}
		}
	}
	// Output:
	// "I'd like the extended warranty, thanks": pause at 580ms; end 240ms after the last voiced frame (odds 1.50)
	// "I'd like the extended warranty and": pause at 580ms; end 360ms after the last voiced frame (odds 1.56)
}
