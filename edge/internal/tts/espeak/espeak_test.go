package espeak_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/avatar-fi/avatar/edge/internal/tts"
	"github.com/avatar-fi/avatar/edge/internal/tts/espeak"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestSynthesize(t *testing.T) {
	s, err := espeak.New(espeak.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if espeak.NativeRate() != 22050 {
		t.Logf("native rate %d", espeak.NativeRate())
	}
	start := time.Now()
	var first time.Duration
	var n int
	var peak int16
	err = s.Synthesize(t.Context(), "The extended warranty covers the engine and the transmission for five years.", func(pcm []int16) error {
		if n == 0 {
			first = time.Since(start)
		}
		n += len(pcm)
		for _, v := range pcm {
			peak = max(peak, v)
		}
		return nil
	})
	total := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	dur := time.Duration(n) * time.Second / tts.SampleRate
	t.Logf("first audio %v, all %v, audio %v, peak %d", first, total, dur, peak)
	if dur < 2*time.Second || dur > 10*time.Second {
		t.Errorf("audio %v, want 2..10 s", dur)
	}
	if peak < 3000 {
		t.Errorf("peak %d: audio looks silent", peak)
	}
}

func TestSynthesizeCancel(t *testing.T) {
	s, err := espeak.New(espeak.Config{})
	if err != nil {
		t.Fatal(err)
	}
	errStop := errors.New("stop")
	ctx, cancel := context.WithCancelCause(t.Context())
	chunks := 0
	err = s.Synthesize(ctx, "One two three four five six seven eight nine ten eleven twelve.", func([]int16) error {
		chunks++
		if chunks == 3 {
			cancel(errStop)
		}
		return nil
	})
	if !errors.Is(err, errStop) {
		t.Fatalf("err %v, want the cancel cause", err)
	}
	if chunks > 4 {
		t.Errorf("%d chunks after cancel at 3", chunks)
	}
	// The engine is usable afterwards.
	if err := s.Synthesize(t.Context(), "Yes.", func([]int16) error { return nil }); err != nil {
		t.Fatal(err)
	}
}

func TestNewBadConfig(t *testing.T) {
	if _, err := espeak.New(espeak.Config{Rate: 5}); !errors.Is(err, espeak.ErrInit) {
		t.Errorf("rate 5: %v", err)
	}
	if _, err := espeak.New(espeak.Config{Voice: "no-such-voice"}); !errors.Is(err, espeak.ErrInit) {
		t.Errorf("bad voice: %v", err)
	}
}

// TestForVoice checks that the Flite persona voice names map to eSpeak NG
// voices that exist and sound different, that eSpeak names pass through and
// that unknown voices fail.
func TestForVoice(t *testing.T) {
	s, err := espeak.New(espeak.Config{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, voice, want string
	}{
		{"slt", "slt", "en-us+f3"},
		{"rms", "rms", "en-us+m3"},
		{"awb", "awb", "en-gb-scotland+m1"},
		{"kal", "KAL", "en-us+m1"},
		{"espeak name", "en-gb-x-rp", "en-gb-x-rp"},
	}
	lengths := map[int]string{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := s.ForVoice(tc.voice)
			if err != nil {
				t.Fatal(err)
			}
			if v.Voice() != tc.want || espeak.PersonaVoice(tc.voice) != tc.want {
				t.Errorf("voice %q, want %q", v.Voice(), tc.want)
			}
			var pcm []int16
			err = v.Synthesize(t.Context(), "The extended warranty covers the engine.", func(p []int16) error {
				pcm = append(pcm, p...)
				return nil
			})
			if err != nil || len(pcm) < tts.SampleRate {
				t.Fatalf("%d samples, err %v", len(pcm), err)
			}
			lengths[len(pcm)] = tc.voice
		})
	}
	if len(lengths) < 3 {
		t.Errorf("the voices gave only %d distinct lengths of audio: %v", len(lengths), lengths)
	}
	for _, bad := range []string{"", "no-such-voice"} {
		if _, err := s.ForVoice(bad); !errors.Is(err, espeak.ErrInit) {
			t.Errorf("ForVoice(%q): %v, want ErrInit", bad, err)
		}
	}
}
