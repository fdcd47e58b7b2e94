package flite_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/avatar-fi/avatar/edge/internal/pipeline"
	"github.com/avatar-fi/avatar/edge/internal/stt"
	"github.com/avatar-fi/avatar/edge/internal/stt/pocketsphinx"
	"github.com/avatar-fi/avatar/edge/internal/tts"
	"github.com/avatar-fi/avatar/edge/internal/tts/flite"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const sentence = "The extended warranty covers the engine and the transmission for five years."

// newEngine returns an Engine with the default config.
func newEngine(tb testing.TB) *flite.Engine {
	tb.Helper()
	e, err := flite.New(flite.Config{})
	if err != nil {
		tb.Fatalf("flite.New: %v", err)
	}
	return e
}

// speech is what one synthesis produced.
type speech struct {
	pcm      []int16
	chunks   int
	maxChunk int
}

// speak synthesises text and collects the audio.
func speak(ctx context.Context, s pipeline.Synthesizer, text string) (speech, error) {
	var sp speech
	err := s.Synthesize(ctx, text, func(pcm []int16) error {
		sp.chunks++
		sp.maxChunk = max(sp.maxChunk, len(pcm))
		sp.pcm = append(sp.pcm, pcm...)
		return nil
	})
	return sp, err
}

// Both are what the pipeline consumes.
var (
	_ pipeline.Synthesizer = (*flite.Engine)(nil)
	_ pipeline.Synthesizer = (*flite.Synthesizer)(nil)
)

func (sp speech) duration() time.Duration {
	return time.Duration(len(sp.pcm)) * time.Second / tts.SampleRate
}

func (sp speech) peak() int {
	p := 0
	for _, v := range sp.pcm {
		p = max(p, abs(int(v)))
	}
	return p
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// TestVoices speaks a 13-word sentence with every voice and checks that the
// audio is loud, about as long as the sentence takes to say, and streamed
// in chunks of about 20 ms.
func TestVoices(t *testing.T) {
	e := newEngine(t)
	if got := strings.Join(flite.Voices(), ","); got != "slt,rms,awb,kal" {
		t.Errorf("Voices() = %s", got)
	}
	for _, name := range flite.Voices() {
		t.Run(name, func(t *testing.T) {
			s, err := e.ForVoice(name)
			if err != nil {
				t.Fatal(err)
			}
			if s.Voice() != name || s.NativeRate() != 16000 {
				t.Errorf("voice %q at %d Hz, want %q at 16000 Hz", s.Voice(), s.NativeRate(), name)
			}
			sp, err := speak(t.Context(), s, sentence)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%v of audio in %d chunks (largest %d samples), peak %d", sp.duration(), sp.chunks, sp.maxChunk, sp.peak())
			if d := sp.duration(); d < 3*time.Second || d > 7*time.Second {
				t.Errorf("audio %v, want 3..7 s for 13 words", d)
			}
			if sp.peak() < 3000 {
				t.Errorf("peak %d: audio looks silent", sp.peak())
			}
			// Streamed: many chunks, none much over 20 ms (960 samples).
			if sp.chunks < 100 || sp.maxChunk > 1920 {
				t.Errorf("%d chunks, largest %d samples: want >= 100 chunks of 20-40 ms", sp.chunks, sp.maxChunk)
			}
		})
	}
}

// TestEngineDefaultVoice checks that an Engine speaks with its Config's
// voice (a clustergen voice's audio length is repeatable; another voice's
// differs) and chunk size.
func TestEngineDefaultVoice(t *testing.T) {
	e, err := flite.New(flite.Config{Voice: "RMS", ChunkMS: 50})
	if err != nil {
		t.Fatal(err)
	}
	if e.Voice() != flite.VoiceRMS {
		t.Errorf("Voice() = %q, want rms", e.Voice())
	}
	rms, _ := e.ForVoice(flite.VoiceRMS)
	slt, _ := e.ForVoice(flite.VoiceSLT)
	var got [3]speech
	for i, s := range []pipeline.Synthesizer{e, rms, slt} {
		if got[i], err = speak(t.Context(), s, "Hello there."); err != nil {
			t.Fatal(err)
		}
	}
	if len(got[0].pcm) != len(got[1].pcm) || len(got[0].pcm) == len(got[2].pcm) {
		t.Errorf("engine gave %d samples, rms %d, slt %d: want rms's", len(got[0].pcm), len(got[1].pcm), len(got[2].pcm))
	}
	if m := got[0].maxChunk; m < 2400 || m > 2880 {
		t.Errorf("largest chunk %d samples, want 50-60 ms", m)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  flite.Config
		want error
	}{
		{"unknown voice", flite.Config{Voice: "en-us"}, flite.ErrVoice},
		{"chunk too short", flite.Config{ChunkMS: 2}, flite.ErrConfig},
		{"chunk too long", flite.Config{ChunkMS: 500}, flite.ErrConfig},
		{"stretch too small", flite.Config{Stretch: 0.1}, flite.ErrConfig},
		{"stretch NaN", flite.Config{Stretch: math.NaN()}, flite.ErrConfig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := flite.New(tc.cfg); !errors.Is(err, tc.want) {
				t.Errorf("New: %v, want %v", err, tc.want)
			}
		})
	}
	e := newEngine(t)
	_, err := e.ForVoice("nova")
	if !errors.Is(err, flite.ErrVoice) {
		t.Fatalf("ForVoice(nova): %v, want ErrVoice", err)
	}
	for _, v := range flite.Voices() {
		if !strings.Contains(err.Error(), v) {
			t.Errorf("error %q does not name voice %s", err, v)
		}
	}
}

// TestCancel stops syntheses through the context and through out, and
// checks that they stop at once and that the voice works afterwards.
func TestCancel(t *testing.T) {
	e := newEngine(t)
	errStop := errors.New("stop")
	long := "One two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen."
	for _, name := range flite.Voices() {
		t.Run(name, func(t *testing.T) {
			s, err := e.ForVoice(name)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancelCause(t.Context())
			chunks := 0
			err = s.Synthesize(ctx, long, func([]int16) error {
				chunks++
				if chunks == 3 {
					cancel(errStop)
				}
				return nil
			})
			if !errors.Is(err, errStop) {
				t.Errorf("cancelled: err %v, want the cause", err)
			}
			if chunks != 3 {
				t.Errorf("%d chunks, want none after the cancel at 3", chunks)
			}

			errOut := errors.New("sink closed")
			chunks = 0
			err = s.Synthesize(t.Context(), long, func([]int16) error { chunks++; return errOut })
			if !errors.Is(err, errOut) || chunks != 1 {
				t.Errorf("out failing: err %v after %d chunks, want errOut after 1", err, chunks)
			}

			done, cancelDone := context.WithCancelCause(t.Context())
			cancelDone(errStop)
			called := false
			if err := s.Synthesize(done, long, func([]int16) error { called = true; return nil }); !errors.Is(err, errStop) || called {
				t.Errorf("ended context: err %v, out called %v", err, called)
			}

			sp, err := speak(t.Context(), s, "Yes.")
			if err != nil || len(sp.pcm) == 0 {
				t.Errorf("after cancels: %d samples, err %v", len(sp.pcm), err)
			}
		})
	}
}

// TestOutPanics checks that a panic in out reaches the caller of
// Synthesize (and does not unwind through Flite) and that the engine works
// afterwards.
func TestOutPanics(t *testing.T) {
	e := newEngine(t)
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("recovered %v, want boom", r)
			}
		}()
		_ = e.Synthesize(t.Context(), sentence, func([]int16) error { panic("boom") })
		t.Error("Synthesize returned")
	}()
	if sp, err := speak(t.Context(), e, "Yes."); err != nil || len(sp.pcm) == 0 {
		t.Errorf("after a panic: %d samples, err %v", len(sp.pcm), err)
	}
}

// TestOddText feeds text an LLM or a user may produce and checks that
// nothing crashes, that speakable text is spoken and that the rest is
// silent.
func TestOddText(t *testing.T) {
	e := newEngine(t)
	long := strings.Repeat("The lender approved the loan at four point nine percent. ", 36)[:2000]
	tests := []struct {
		name     string
		text     string
		minAudio time.Duration // 0: no audio expected
	}{
		{"empty", "", 0},
		{"spaces", " \t\n\r ", 0},
		{"punctuation only", "?!... -- ()[]{}", 0},
		{"non-Latin script", "日本語のテキスト Привет", 0},
		{"emoji only", "🚗🚙", 0},
		{"accented Latin", "Café résumé, naïve señor.", 800 * time.Millisecond},
		{"typographic quotes and dashes", "It’s “covered” — don’t worry…", 800 * time.Millisecond},
		{"invalid UTF-8", "bad \xff\xfe bytes \xc3", 400 * time.Millisecond},
		{"control characters and NUL", "one\x00two\x01three\x7f", 600 * time.Millisecond},
		{"money and numbers", "$24,995.99 at 3.9% APR for 72 months, due 10/12/2024.", 3 * time.Second},
		{"emoji in text", "Drive 🚗 home today.", 500 * time.Millisecond},
		{"2000 characters", long, 60 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sp, err := speak(t.Context(), e, tc.text)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%v of audio", sp.duration())
			switch {
			case tc.minAudio == 0 && len(sp.pcm) > 0:
				t.Errorf("%v of audio, want none", sp.duration())
			case tc.minAudio > 0 && (sp.duration() < tc.minAudio || sp.peak() < 3000):
				t.Errorf("%v of audio (peak %d), want at least %v", sp.duration(), sp.peak(), tc.minAudio)
			}
		})
	}
}

// TestStretch checks that Config.Stretch slows speech down.
func TestStretch(t *testing.T) {
	slow, err := flite.New(flite.Config{Voice: flite.VoiceKAL, Stretch: 1.5})
	if err != nil {
		t.Fatal(err)
	}
	normal, err := flite.New(flite.Config{Voice: flite.VoiceKAL})
	if err != nil {
		t.Fatal(err)
	}
	a, err := speak(t.Context(), slow, sentence)
	if err != nil {
		t.Fatal(err)
	}
	b, err := speak(t.Context(), normal, sentence)
	if err != nil {
		t.Fatal(err)
	}
	if r := float64(len(a.pcm)) / float64(len(b.pcm)); r < 1.3 || r > 1.7 {
		t.Errorf("stretch 1.5 made the audio %.2f times as long", r)
	}
}

// envelope returns the level of each 10 ms of pcm in dB.
func envelope(pcm []int16) []float64 {
	const frame = tts.SampleRate / 100
	var env []float64
	for off := 0; off+frame <= len(pcm); off += frame {
		var e float64
		for _, v := range pcm[off : off+frame] {
			e += float64(v) * float64(v)
		}
		env = append(env, 10*math.Log10(e/frame+1))
	}
	return env
}

// sameSpeech reports how a synthesis differs from a reference of the same
// text and voice, or "" if it does not. kal is deterministic and must match
// exactly. The clustergen voices mix in noise from libc's shared rand(), so
// their samples differ from run to run but their length does not, and
// their level envelope follows the reference's: over every 100 ms, the two
// differ by 2–5.5 dB on average between runs of the same synthesis, and by
// 11 dB and more for a changed word or a 20 ms shift.
func sameSpeech(voice string, got, want []int16) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d samples, want %d", len(got), len(want))
	}
	if voice == flite.VoiceKAL {
		for i := range got {
			if got[i] != want[i] {
				return fmt.Sprintf("sample %d differs", i)
			}
		}
		return ""
	}
	g, w := envelope(got), envelope(want)
	const window = 10 // 100 ms
	for off := 0; off+window <= len(g); off += window / 2 {
		var diff float64
		for i := off; i < off+window; i++ {
			diff += math.Abs(g[i] - w[i])
		}
		if diff/window > 8 {
			return fmt.Sprintf("level envelope differs by %.1f dB at %d ms", diff/window, off*10)
		}
	}
	return ""
}

// TestConcurrent runs many syntheses at once, on the same and on different
// voices, and checks that each gives what the same synthesis gives alone.
func TestConcurrent(t *testing.T) {
	e := newEngine(t)
	texts := []string{
		sentence,
		"Can you lower the interest rate on this loan?",
		"We can finance the vehicle for seventy two months.",
	}
	type key struct{ voice, text string }
	ref := map[key][]int16{}
	for _, v := range flite.Voices() {
		s, _ := e.ForVoice(v)
		for _, text := range texts {
			sp, err := speak(t.Context(), s, text)
			if err != nil {
				t.Fatal(err)
			}
			ref[key{v, text}] = sp.pcm
		}
	}
	const workers, rounds = 8, 3
	var wg sync.WaitGroup
	errs := make(chan string, workers*rounds)
	for w := range workers {
		wg.Go(func() {
			for r := range rounds {
				v := flite.Voices()[(w+r)%len(flite.Voices())]
				text := texts[(w+2*r)%len(texts)]
				s, err := e.ForVoice(v)
				if err != nil {
					errs <- err.Error()
					return
				}
				sp, err := speak(t.Context(), s, text)
				if err != nil {
					errs <- err.Error()
					continue
				}
				if d := sameSpeech(v, sp.pcm, ref[key{v, text}]); d != "" {
					errs <- v + " " + text + ": " + d
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
}

// TestSameSpeechDetects checks that the comparison of TestConcurrent tells
// different speech apart.
func TestSameSpeechDetects(t *testing.T) {
	e := newEngine(t)
	a, err := speak(t.Context(), e, "Can you lower the interest rate on this loan?")
	if err != nil {
		t.Fatal(err)
	}
	b, err := speak(t.Context(), e, "Can you lower the interest rate on this car?")
	if err != nil {
		t.Fatal(err)
	}
	n := min(len(a.pcm), len(b.pcm))
	if d := sameSpeech(flite.VoiceSLT, a.pcm[:n], b.pcm[:n]); d == "" {
		t.Error("different sentences compare as the same")
	}
	shifted := append(make([]int16, 960), a.pcm[:len(a.pcm)-960]...)
	if d := sameSpeech(flite.VoiceSLT, shifted, a.pcm); d == "" {
		t.Error("speech 20 ms late compares as the same")
	}
}

// rss returns the process's resident set size in bytes.
func rss(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Fatal(err)
	}
	var size, res int64
	if _, err := fmt.Sscan(string(b), &size, &res); err != nil {
		t.Fatal(err)
	}
	return res * int64(os.Getpagesize())
}

// TestNoLeak runs many syntheses, whole and cancelled, and checks that the
// process does not grow: each utterance of a clustergen voice allocates
// over 100 kB in C even for a short sentence, so leaking them would add
// tens of megabytes.
func TestNoLeak(t *testing.T) {
	e := newEngine(t)
	errStop := errors.New("stop")
	run := func(n int) {
		for i := range n {
			s, err := e.ForVoice(flite.Voices()[i%len(flite.Voices())])
			if err != nil {
				t.Fatal(err)
			}
			chunks := 0
			err = s.Synthesize(t.Context(), "Yes, I can do that.", func([]int16) error {
				chunks++
				if i%3 == 0 && chunks == 5 {
					return errStop
				}
				return nil
			})
			if err != nil && !errors.Is(err, errStop) {
				t.Fatal(err)
			}
		}
	}
	// One OS thread keeps C's allocations in one malloc arena, which the
	// warm-up brings to its working size; Go's heap is returned to the OS
	// before each measure.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	run(30)
	debug.FreeOSMemory()
	before := rss(t)
	run(150)
	debug.FreeOSMemory()
	after := rss(t)
	t.Logf("RSS %.1f MB before, %.1f MB after 150 syntheses", float64(before)/1e6, float64(after)/1e6)
	if after-before > 8e6 {
		t.Errorf("RSS grew by %.1f MB over 150 syntheses", float64(after-before)/1e6)
	}
}

// recognise transcribes 48 kHz speech with PocketSphinx (at 16 kHz).
func recognise(t *testing.T, tr *pocketsphinx.Transcriber, pcm []int16) string {
	t.Helper()
	down, err := tts.NewResampler(tts.SampleRate, 16000)
	if err != nil {
		t.Fatal(err)
	}
	st, err := tr.NewStream(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for off := 0; off < len(pcm); off += 960 {
		if err := st.Write(down.Process(pcm[off:min(off+960, len(pcm))])); err != nil {
			t.Fatal(err)
		}
	}
	hyp, err := st.Final(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return hyp
}

// TestIntelligibility has PocketSphinx transcribe F&I sentences spoken by
// slt and rms and checks the word error rate: ENGINES.md measured 0.11 and
// 0.07 with pocketsphinx_continuous, and 0.87 for eSpeak NG.
func TestIntelligibility(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "fi_sentences.txt"))
	if err != nil {
		t.Fatal(err)
	}
	sentences := strings.Split(strings.TrimSpace(string(raw)), "\n")
	tr, err := pocketsphinx.New(pocketsphinx.Config{})
	if err != nil {
		t.Fatalf("pocketsphinx: %v (is pocketsphinx-en-us installed?)", err)
	}
	defer tr.Close()
	e := newEngine(t)
	for _, v := range []string{flite.VoiceSLT, flite.VoiceRMS} {
		t.Run(v, func(t *testing.T) {
			s, err := e.ForVoice(v)
			if err != nil {
				t.Fatal(err)
			}
			var errs, words int
			for _, ref := range sentences {
				sp, err := speak(t.Context(), s, ref)
				if err != nil {
					t.Fatal(err)
				}
				hyp := recognise(t, tr, sp.pcm)
				e, n := stt.WordErrors(ref, hyp)
				errs += e
				words += n
				t.Logf("%d/%d %q", e, n, hyp)
			}
			wer := float64(errs) / float64(words)
			t.Logf("WER %.3f (%d/%d)", wer, errs, words)
			if wer > 0.35 {
				t.Errorf("WER %.3f, want <= 0.35", wer)
			}
		})
	}
}
