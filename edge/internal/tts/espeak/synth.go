package espeak

/*
#cgo pkg-config: espeak-ng
#include <stdlib.h>
#include <espeak-ng/speak_lib.h>

extern int avatarSynthCallback(short *wav, int n, espeak_EVENT *events);

static int avatar_espeak_init(int buflenMS) {
	int rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, buflenMS, NULL, espeakINITIALIZE_DONT_EXIT);
	if (rate > 0) espeak_SetSynthCallback(avatarSynthCallback);
	return rate;
}

static int avatar_espeak_synth(const char *text, size_t size) {
	return espeak_Synth(text, size, 0, POS_CHARACTER, 0, espeakCHARS_UTF8, NULL, NULL);
}
*/
import "C"

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"unsafe"

	"github.com/avatar-fi/avatar/edge/internal/tts"
)

// Defaults for Config fields left zero.
const (
	DefaultVoice = "en-us"
	// DefaultRate is the speaking rate in words per minute.
	DefaultRate = 175
	// DefaultChunk is eSpeak's output buffer length: how much audio each
	// callback carries, and so the delay to the first audio.
	DefaultChunkMS = 20
)

// Config sets up the engine. Zero fields take their defaults.
type Config struct {
	// Voice is an eSpeak NG voice name (default DefaultVoice).
	Voice string
	// Rate is the speaking rate in words per minute, 80..450 (default
	// DefaultRate).
	Rate int
}

// engine state: eSpeak NG is one per process.
var (
	engineMu   sync.Mutex // held for the whole of one synthesis
	initOnce   sync.Once
	nativeRate int
	initErr    error

	// current is the synthesis in progress, read by the callback; only
	// touched with engineMu held.
	current *job
)

type job struct {
	ctx context.Context //nolint:containedctx // the cgo callback has no other way to see it
	rs  *tts.Resampler
	out func([]int16) error
	err error
}

//export avatarSynthCallback
func avatarSynthCallback(wav *C.short, n C.int, _ *C.espeak_EVENT) C.int {
	j := current
	if j == nil {
		return 1
	}
	if j.ctx.Err() != nil {
		j.err = context.Cause(j.ctx)
		return 1
	}
	if wav == nil || n <= 0 {
		return 0
	}
	pcm := unsafe.Slice((*int16)(unsafe.Pointer(wav)), int(n))
	if out := j.rs.Process(pcm); len(out) > 0 {
		if err := j.out(out); err != nil {
			j.err = err
			return 1
		}
	}
	return 0
}

// Synthesizer speaks text with eSpeak NG. It is safe for concurrent use;
// syntheses run one at a time.
type Synthesizer struct {
	voice string
	rate  int
}

// New starts eSpeak NG (once per process) and returns a Synthesizer for cfg.
func New(cfg Config) (*Synthesizer, error) {
	if cfg.Voice == "" {
		cfg.Voice = DefaultVoice
	}
	if cfg.Rate == 0 {
		cfg.Rate = DefaultRate
	}
	if cfg.Rate < 80 || cfg.Rate > 450 {
		return nil, fmt.Errorf("%w: rate %d wpm, want 80..450", ErrInit, cfg.Rate)
	}
	initOnce.Do(func() {
		r := int(C.avatar_espeak_init(DefaultChunkMS))
		if r <= 0 {
			initErr = fmt.Errorf("%w: espeak_Initialize returned %d (is espeak-ng-data installed?)", ErrInit, r)
			return
		}
		nativeRate = r
	})
	if initErr != nil {
		return nil, initErr
	}
	s := &Synthesizer{voice: cfg.Voice, rate: cfg.Rate}
	engineMu.Lock()
	defer engineMu.Unlock()
	if err := s.apply(); err != nil {
		return nil, err
	}
	return s, nil
}

// apply sets the voice and rate; engineMu must be held.
func (s *Synthesizer) apply() error {
	v := C.CString(s.voice)
	defer C.free(unsafe.Pointer(v))
	if rc := C.espeak_SetVoiceByName(v); rc != C.EE_OK {
		return fmt.Errorf("%w: voice %q (code %d)", ErrInit, s.voice, int(rc))
	}
	C.espeak_SetParameter(C.espeakRATE, C.int(s.rate), 0)
	return nil
}

// personaVoices maps the Flite voice names that personas are given (see
// package tts) to the nearest eSpeak NG voices, so that a persona's voice
// works on either engine.
var personaVoices = map[string]string{
	"slt": "en-us+f3",          // US female
	"rms": "en-us+m3",          // US male
	"awb": "en-gb-scotland+m1", // Scottish male
	"kal": "en-us+m1",          // US male, another timbre than rms
}

// PersonaVoice returns the eSpeak NG voice ForVoice uses for name: the
// mapped voice for a Flite persona voice name (slt, rms, awb, kal), else
// name itself.
func PersonaVoice(name string) string {
	if v, ok := personaVoices[strings.ToLower(strings.TrimSpace(name))]; ok {
		return v
	}
	return name
}

// ForVoice returns a Synthesizer like s that speaks with the named voice: a
// Flite persona voice name, mapped by PersonaVoice, or any eSpeak NG voice
// name (with an optional "+variant"). It checks that eSpeak NG knows the
// voice (an error wrapping ErrInit if not), which takes the engine's lock
// for a moment; call it once per session.
func (s *Synthesizer) ForVoice(name string) (*Synthesizer, error) {
	if strings.TrimSpace(name) == "" {
		return nil, fmt.Errorf("%w: empty voice name", ErrInit)
	}
	v := &Synthesizer{voice: PersonaVoice(name), rate: s.rate}
	engineMu.Lock()
	defer engineMu.Unlock()
	if err := v.apply(); err != nil {
		return nil, err
	}
	return v, nil
}

// Voice returns the eSpeak NG voice the Synthesizer speaks with.
func (s *Synthesizer) Voice() string { return s.voice }

// NativeRate returns eSpeak NG's output rate in hertz (22050 normally).
func NativeRate() int { return nativeRate }

// Synthesize speaks text and calls out with 48 kHz mono PCM chunks as they
// are produced (about 20 ms each); a chunk is valid only during the call. It
// returns when the text is spoken, when out returns an error (returned,
// wrapped), or soon after ctx ends (context.Cause(ctx) is returned).
func (s *Synthesizer) Synthesize(ctx context.Context, text string, out func(pcm []int16) error) error {
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	rs, err := tts.NewResampler(nativeRate, tts.SampleRate)
	if err != nil {
		return err
	}
	ctext := C.CString(text)
	defer C.free(unsafe.Pointer(ctext))
	engineMu.Lock()
	defer engineMu.Unlock()
	if err := s.apply(); err != nil {
		return err
	}
	j := &job{ctx: ctx, rs: rs, out: out}
	current = j
	rc := C.avatar_espeak_synth(ctext, C.size_t(len(text)+1))
	current = nil
	if j.err != nil {
		return j.err
	}
	if rc != C.EE_OK {
		return fmt.Errorf("%w: espeak_Synth returned %d", tts.ErrEngine, int(rc))
	}
	return nil
}
