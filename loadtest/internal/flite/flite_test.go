package flite

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/avatar-fi/avatar/loadtest/caller"
)

func TestSpeak(t *testing.T) {
	const text = "I hear you on the price. What matters most to you about this truck?"
	tests := []struct {
		name    string
		voice   string
		wantErr error
	}{
		{name: "default voice", voice: ""},
		{name: "slt", voice: VoiceSLT},
		{name: "awb", voice: VoiceAWB},
		{name: "kal", voice: VoiceKAL},
		{name: "unknown voice", voice: "en-us", wantErr: ErrVoice},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pcm, err := Speak(text, tt.voice)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// Thirteen words at a speaking rate: 2 to 8 seconds at 16 kHz.
			d := time.Duration(len(pcm)) * time.Second / Rate
			if d < 2*time.Second || d > 8*time.Second {
				t.Errorf("%d samples = %v at 16 kHz, want 2 s to 8 s", len(pcm), d)
			}
			// Speech, not silence: voiced until near the end, and loud enough.
			if v := caller.LastVoiced(pcm); v < d/2 {
				t.Errorf("voiced until %v of %v", v, d)
			}
			if rms := level(pcm); rms < 300 {
				t.Errorf("RMS level %.0f, want speech (≥ 300)", rms)
			}
		})
	}
}

func TestSpeakEmpty(t *testing.T) {
	if _, err := Speak("  ", ""); !errors.Is(err, ErrSynthesis) {
		t.Errorf("err %v, want ErrSynthesis", err)
	}
}

// TestNativeRate pins what Speak resamples from: the voices' own rate, and
// that the 16 kHz result has the native duration.
func TestNativeRate(t *testing.T) {
	mu.Lock()
	initOnce.Do(flInit)
	native, rate, err := synth("one two three", voiceIDs[VoiceRMS])
	mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	out, err := Speak("one two three", VoiceRMS)
	if err != nil {
		t.Fatal(err)
	}
	want := len(native) * Rate / rate
	if diff := len(out) - want; diff < -Rate/100 || diff > Rate/100 {
		t.Errorf("native %d samples at %d Hz gave %d at 16 kHz, want %d", len(native), rate, len(out), want)
	}
}

func TestTo16k(t *testing.T) {
	tests := []struct {
		name string
		rate int
		n    int // input samples: one second
	}{
		{name: "16 kHz as is", rate: 16000, n: 16000},
		{name: "8 kHz up", rate: 8000, n: 8000},
		{name: "48 kHz down", rate: 48000, n: 48000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := make([]int16, tt.n)
			for i := range in {
				in[i] = int16(8000 * math.Sin(2*math.Pi*440*float64(i)/float64(tt.rate)))
			}
			out, err := to16k(in, tt.rate)
			if err != nil {
				t.Fatal(err)
			}
			if d := len(out) - Rate; d < -Rate/50 || d > Rate/50 {
				t.Errorf("%d samples out, want about %d (one second)", len(out), Rate)
			}
			// The 440 Hz tone keeps its level through the filter.
			if l := level(out[len(out)/4 : 3*len(out)/4]); l < 5000 || l > 6000 {
				t.Errorf("RMS %.0f, want about 5657", l)
			}
		})
	}
	if _, err := to16k(make([]int16, 100), 11025); err == nil {
		t.Error("11025 Hz: no error, want an unsupported ratio")
	}
}

func level(pcm []int16) float64 {
	var s float64
	for _, v := range pcm {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(max(len(pcm), 1)))
}
