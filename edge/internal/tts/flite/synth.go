package flite

/*
#cgo CFLAGS: -I/usr/include/flite
#cgo LDFLAGS: -lflite_cmu_us_slt -lflite_cmu_us_rms -lflite_cmu_us_awb -lflite_cmu_us_kal16 -lflite_usenglish -lflite_cmulex -lflite -lm
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"context"
	"fmt"
	"runtime/cgo"
	"strings"
	"sync"
	"unsafe"

	"github.com/avatar-fi/avatar/edge/internal/tts"
)

// Voice names: the voices linked in.
const (
	// VoiceSLT is a US English female voice (clustergen, CMU ARCTIC slt).
	VoiceSLT = "slt"
	// VoiceRMS is a US English male voice (clustergen, CMU ARCTIC rms).
	VoiceRMS = "rms"
	// VoiceAWB is a Scottish English male voice (clustergen, CMU ARCTIC awb).
	VoiceAWB = "awb"
	// VoiceKAL is a US English male diphone voice (Flite's cmu_us_kal16):
	// about ten times faster than the others, and more robotic.
	VoiceKAL = "kal"
)

// Defaults for Config fields left zero.
const (
	// DefaultVoice is the voice of an Engine's own Synthesize.
	DefaultVoice = VoiceSLT
	// DefaultChunkMS is how much audio each out call carries, in
	// milliseconds.
	DefaultChunkMS = 20
)

// Voices returns the names of the voices linked in, in a fixed order.
func Voices() []string {
	names := make([]string, len(voiceIDs))
	for i, v := range voiceIDs {
		names[i] = v.name
	}
	return names
}

// voiceIDs maps voice names to the C side's voice ids.
var voiceIDs = [...]struct {
	name string
	id   C.int
}{
	{VoiceSLT, C.AVI_SLT},
	{VoiceRMS, C.AVI_RMS},
	{VoiceAWB, C.AVI_AWB},
	{VoiceKAL, C.AVI_KAL},
}

// voice is one registered Flite voice. Flite's voices are process-wide
// singletons, so the table of them is too: filled once by setup and only
// read afterwards.
type voice struct {
	name string
	c    *C.cst_voice
	rate int // native sample rate in hertz
}

var (
	setupOnce sync.Once
	setupErr  error
	voices    [len(voiceIDs)]voice
)

// setup starts Flite and registers the voices, once per process.
func setup() error {
	setupOnce.Do(func() {
		if C.avi_flite_setup() != 0 {
			setupErr = fmt.Errorf("%w: a voice did not register", ErrInit)
			return
		}
		for i, v := range voiceIDs {
			c := C.avi_flite_voice(v.id)
			rate := int(C.avi_flite_rate(c))
			if rate <= 0 {
				setupErr = fmt.Errorf("%w: voice %s has no sample rate", ErrInit, v.name)
				return
			}
			voices[i] = voice{name: v.name, c: c, rate: rate}
		}
	})
	return setupErr
}

// lookup returns the registered voice called name (case-insensitive).
func lookup(name string) (*voice, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	for i := range voices {
		if voices[i].name == n {
			return &voices[i], nil
		}
	}
	return nil, fmt.Errorf("%w: %q, want one of %s", ErrVoice, name, strings.Join(Voices(), ", "))
}

// Config sets up an Engine. Zero fields take their defaults.
type Config struct {
	// Voice is the voice of the Engine's own Synthesize, one of Voices()
	// (default DefaultVoice).
	Voice string
	// ChunkMS is about how much audio each out call carries, 5..200 ms
	// (default DefaultChunkMS). It bounds how soon a cancellation is seen
	// once audio flows.
	ChunkMS int
	// Stretch scales the duration of speech: 1 is the voice's own pace,
	// 1.2 is 20 % slower, 0.8 faster; 0.5..2 (default 1).
	Stretch float64
}

func (c Config) withDefaults() Config {
	if c.Voice == "" {
		c.Voice = DefaultVoice
	}
	if c.ChunkMS == 0 {
		c.ChunkMS = DefaultChunkMS
	}
	if c.Stretch == 0 {
		c.Stretch = 1
	}
	return c
}

func (c Config) validate() error {
	if c.ChunkMS < 5 || c.ChunkMS > 200 {
		return fmt.Errorf("%w: ChunkMS %d, want 5..200", ErrConfig, c.ChunkMS)
	}
	if !(c.Stretch >= 0.5 && c.Stretch <= 2) {
		return fmt.Errorf("%w: Stretch %g, want 0.5..2", ErrConfig, c.Stretch)
	}
	return nil
}

// Engine is the Flite engine: it hands out a Synthesizer per voice and
// speaks with its Config's voice itself. It is safe for concurrent use, and
// syntheses run in parallel. It holds no resources of its own (the voices
// live as long as the process), so it needs no closing.
type Engine struct {
	cfg Config
	def *Synthesizer
}

// New starts Flite (once per process) and returns an Engine for cfg.
func New(cfg Config) (*Engine, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if err := setup(); err != nil {
		return nil, err
	}
	e := &Engine{cfg: cfg}
	def, err := e.ForVoice(cfg.Voice)
	if err != nil {
		return nil, err
	}
	e.def = def
	return e, nil
}

// ForVoice returns a Synthesizer that speaks with the named voice (one of
// Voices(), case-insensitive) and the Engine's chunk size and pace. It is
// cheap (no C call, one small allocation): call it per session, for the
// persona's voice. An unknown name returns an error wrapping ErrVoice.
func (e *Engine) ForVoice(name string) (*Synthesizer, error) {
	v, err := lookup(name)
	if err != nil {
		return nil, err
	}
	return &Synthesizer{
		v:       v,
		minBuf:  C.int(v.rate*e.cfg.ChunkMS/1000 - 1), // Flite calls back once it has more than this
		stretch: C.float(e.cfg.Stretch),
	}, nil
}

// Voice returns the name of the voice the Engine's Synthesize speaks with.
func (e *Engine) Voice() string { return e.def.Voice() }

// Synthesize speaks text with the Engine's voice; see Synthesizer.Synthesize.
func (e *Engine) Synthesize(ctx context.Context, text string, out func(pcm []int16) error) error {
	return e.def.Synthesize(ctx, text, out)
}

// Synthesizer speaks with one Flite voice. It is safe for concurrent use,
// and syntheses run in parallel, each on its own utterance.
type Synthesizer struct {
	v       *voice
	minBuf  C.int
	stretch C.float
}

// Voice returns the Synthesizer's voice name.
func (s *Synthesizer) Voice() string { return s.v.name }

// NativeRate returns the voice's own sample rate in hertz (16000), before
// resampling to tts.SampleRate.
func (s *Synthesizer) NativeRate() int { return s.v.rate }

// Synthesize speaks text and calls out with 48 kHz mono PCM chunks (about
// Config.ChunkMS each) while Flite produces them; a chunk is valid only
// during the call. Text is read as US English: typographic quotes, dashes
// and accented Latin letters are folded to ASCII first, and other
// characters Flite cannot read are dropped; text with nothing to say
// produces no audio. Synthesize returns when the text is spoken, when out
// returns an error (returned as is), or soon after ctx ends
// (context.Cause(ctx) is returned): at the next chunk, or once the
// sentence's front end (about 15 ms for 12 words) is done.
func (s *Synthesizer) Synthesize(ctx context.Context, text string, out func(pcm []int16) error) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	text = clean(text)
	if text == "" {
		return nil
	}
	rs, err := tts.NewResampler(s.v.rate, tts.SampleRate)
	if err != nil {
		return fmt.Errorf("%w: %w", tts.ErrEngine, err)
	}
	j := &job{ctx: ctx, rs: rs, out: out}
	h := cgo.NewHandle(j)
	defer h.Delete()
	ctext := C.CString(text)
	defer C.free(unsafe.Pointer(ctext))
	rc := C.avi_flite_synth(s.v.c, ctext, C.uintptr_t(h), s.minBuf, s.stretch)
	if j.panicked {
		panic(j.panicVal) //nolint:forbidigo // re-raises out's panic, recovered so it would not unwind through C
	}
	if j.err != nil {
		return j.err
	}
	if rc < 0 {
		return fmt.Errorf("%w: flite failed on %d bytes of text", tts.ErrEngine, len(text))
	}
	return nil
}

// job is one synthesis in progress, found by the C callback through a
// cgo.Handle.
type job struct {
	ctx      context.Context //nolint:containedctx // the cgo callback has no other way to see it
	rs       *tts.Resampler
	out      func([]int16) error
	err      error
	panicked bool
	panicVal any
}

// chunk takes the native samples Flite has just produced and tells Flite to
// go on or stop.
func (j *job) chunk(pcm []int16) (rc C.int) {
	defer func() {
		// A panic must not unwind through Flite's C frames: stop the
		// synthesis and re-raise it once Flite has returned.
		if r := recover(); r != nil {
			j.panicked, j.panicVal = true, r
			rc = C.CST_AUDIO_STREAM_STOP
		}
	}()
	if j.ctx.Err() != nil {
		j.err = context.Cause(j.ctx)
		return C.CST_AUDIO_STREAM_STOP
	}
	if o := j.rs.Process(pcm); len(o) > 0 {
		if err := j.out(o); err != nil {
			j.err = err
			return C.CST_AUDIO_STREAM_STOP
		}
	}
	return C.CST_AUDIO_STREAM_CONT
}

//export aviFliteChunk
func aviFliteChunk(h C.uintptr_t, samples *C.short, n C.int) C.int {
	j := cgo.Handle(h).Value().(*job)
	return j.chunk(unsafe.Slice((*int16)(unsafe.Pointer(samples)), int(n)))
}
