package flite

/*
#cgo CFLAGS: -I/usr/include/flite
#cgo LDFLAGS: -lflite_cmu_us_slt -lflite_cmu_us_rms -lflite_cmu_us_awb -lflite_cmu_us_kal16 -lflite_usenglish -lflite_cmulex -lflite -lm
#include <stdlib.h>
#include <flite.h>

cst_voice *register_cmu_us_slt(const char *voxdir);
cst_voice *register_cmu_us_rms(const char *voxdir);
cst_voice *register_cmu_us_awb(const char *voxdir);
cst_voice *register_cmu_us_kal16(const char *voxdir);

// avl_voice registers (once per process: each register_* keeps a
// singleton) and returns voice id 0 slt, 1 rms, 2 awb, 3 kal16.
static cst_voice *avl_voice(int id) {
	switch (id) {
	case 0: return register_cmu_us_slt(NULL);
	case 1: return register_cmu_us_rms(NULL);
	case 2: return register_cmu_us_awb(NULL);
	case 3: return register_cmu_us_kal16(NULL);
	}
	return NULL;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"unsafe"

	"github.com/avatar-fi/avatar/media/resample"
)

// Rate is the sample rate of Speak's audio: what loadtest/caller's Say
// takes.
const Rate = 16000

// Voice names: the Flite voices linked in, as the edge names them.
const (
	// VoiceSLT is a US English female voice (CMU ARCTIC slt).
	VoiceSLT = "slt"
	// VoiceRMS is a US English male voice (CMU ARCTIC rms), the default: the
	// role-play customers speak with other voices, so a scripted trainee
	// does not sound like the customer.
	VoiceRMS = "rms"
	// VoiceAWB is a Scottish English male voice (CMU ARCTIC awb).
	VoiceAWB = "awb"
	// VoiceKAL is a US English male diphone voice (cmu_us_kal16).
	VoiceKAL = "kal"
)

// Errors.
var (
	// ErrVoice is returned for a voice name that is not linked in.
	ErrVoice = errors.New("flite: unknown voice")
	// ErrSynthesis is returned when Flite makes no audio of a text.
	ErrSynthesis = errors.New("flite: synthesis failed")
)

var voiceIDs = map[string]C.int{VoiceSLT: 0, VoiceRMS: 1, VoiceAWB: 2, VoiceKAL: 3}

// Flite's set-up and its voices are process-wide; its synthesis is run
// one text at a time here (scripts are spoken once, before the calls).
var (
	initOnce sync.Once
	mu       sync.Mutex
)

// Speak returns text spoken by voice ("" for VoiceRMS) as 16 kHz mono
// PCM, resampled from the voice's own rate when that differs. It is safe
// for concurrent use (calls run one at a time).
func Speak(text, voice string) ([]int16, error) {
	if voice == "" {
		voice = VoiceRMS
	}
	id, ok := voiceIDs[voice]
	if !ok {
		return nil, fmt.Errorf("%w: %q, want slt, rms, awb or kal", ErrVoice, voice)
	}
	if strings.TrimSpace(text) == "" {
		return nil, fmt.Errorf("%w: empty text", ErrSynthesis)
	}
	mu.Lock()
	initOnce.Do(flInit)
	pcm, rate, err := synth(text, id)
	mu.Unlock()
	if err != nil {
		return nil, err
	}
	return to16k(pcm, rate)
}

// flInit starts Flite; run once, under mu.
func flInit() { C.flite_init() }

// synth runs Flite; mu is held.
func synth(text string, id C.int) ([]int16, int, error) {
	v := C.avl_voice(id)
	if v == nil {
		return nil, 0, fmt.Errorf("%w: voice %d did not register", ErrSynthesis, int(id))
	}
	ct := C.CString(text)
	defer C.free(unsafe.Pointer(ct))
	w := C.flite_text_to_wave(ct, v)
	if w == nil {
		return nil, 0, fmt.Errorf("%w: %q", ErrSynthesis, text)
	}
	defer C.delete_wave(w)
	n, ch := int(w.num_samples), int(w.num_channels)
	if n <= 0 || ch != 1 || w.samples == nil {
		return nil, 0, fmt.Errorf("%w: %q gave %d samples, %d channels", ErrSynthesis, text, n, ch)
	}
	pcm := make([]int16, n)
	copy(pcm, unsafe.Slice((*int16)(unsafe.Pointer(w.samples)), n))
	return pcm, int(w.sample_rate), nil
}

// to16k converts pcm at rate to Rate.
func to16k(pcm []int16, rate int) ([]int16, error) {
	if rate == Rate {
		return pcm, nil
	}
	r, err := resample.New(rate, Rate)
	if err != nil {
		return nil, fmt.Errorf("flite: voice at %d Hz: %w", rate, err)
	}
	out := make([]int16, r.OutLen(len(pcm)))
	n, err := r.Process(out, pcm)
	if err != nil {
		return nil, fmt.Errorf("flite: resample %d Hz: %w", rate, err)
	}
	return out[:n], nil
}
