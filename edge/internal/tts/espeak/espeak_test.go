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
