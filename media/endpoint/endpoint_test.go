package endpoint_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/avatar-fi/avatar/media/endpoint"
)

const ms = time.Millisecond

func newEndpointer(t testing.TB, cfg endpoint.Config) *endpoint.Endpointer {
	t.Helper()
	e, err := endpoint.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
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

func TestEndpointer(t *testing.T) {
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
			e := newEndpointer(t, tt.cfg)
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
		{name: "early above Silence", cfg: endpoint.Config{EarlySilence: 400 * ms}, wantErr: endpoint.ErrInvalidConfig},
		{name: "late below Silence", cfg: endpoint.Config{LateSilence: 100 * ms}, wantErr: endpoint.ErrInvalidConfig},
		{name: "tentative not below early", cfg: endpoint.Config{Tentative: 200 * ms}, wantErr: endpoint.ErrInvalidConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := endpoint.New(tt.cfg)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("New error = %v, want %v", err, tt.wantErr)
			}
			if err == nil {
				c := e.Config()
				if c.EarlySilence > c.Silence || c.LateSilence < c.Silence || c.Cue == nil {
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
	got := feed(e, "#####........", map[int]string{4: "anything"})
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
	ep, _ := endpoint.New(endpoint.Config{}) // 20 ms frames, 250 ms of silence
	frames := []bool{true, true, true, true, true}
	for range 13 {
		frames = append(frames, false)
	}
	for _, voiced := range frames {
		ev := ep.Push(voiced)
		switch ev.Type {
		case endpoint.SpeechStart:
			fmt.Println("start at", ev.Start)
		case endpoint.SpeechEnd:
			fmt.Println("end at", ev.At, "last voice at", ev.LastVoiced)
		}
	}
	// Output:
	// start at 0s
	// end at 360ms last voice at 100ms
}
