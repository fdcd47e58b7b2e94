package pocketsphinx

/*
#cgo pkg-config: pocketsphinx sphinxbase
#include <stdlib.h>
#include <pocketsphinx.h>
#include <sphinxbase/ngram_model.h>
#include <sphinxbase/err.h>

static ps_decoder_t *avatar_ps_init(int argc, char **argv) {
	cmd_ln_t *cfg = cmd_ln_parse_r(NULL, ps_args(), argc, argv, FALSE);
	if (cfg == NULL) return NULL;
	ps_decoder_t *ps = ps_init(cfg);
	cmd_ln_free_r(cfg);
	return ps;
}

// avatar_ps_interp interpolates the LM in path with the decoder's default LM
// and makes the mixture the active search. Returns 0 on success.
static int avatar_ps_interp(ps_decoder_t *ps, const char *path, float domainWeight) {
	ngram_model_t *generic = ps_get_lm(ps, ps_get_search(ps));
	if (generic == NULL) return -1;
	ngram_model_t *domain = ngram_model_read(ps_get_config(ps), path, NGRAM_AUTO, ps_get_logmath(ps));
	if (domain == NULL) return -2;
	ngram_model_t *models[2];
	models[0] = ngram_model_retain(generic);
	models[1] = domain;
	char *names[2] = {"generic", "domain"};
	float32 weights[2];
	weights[0] = 1.0f - domainWeight;
	weights[1] = domainWeight;
	ngram_model_t *set = ngram_model_set_init(ps_get_config(ps), models, names, weights, 2);
	if (set == NULL) return -3;
	if (ps_set_lm(ps, "avatar_domain", set) < 0) return -4;
	ngram_model_free(set);
	if (ps_set_search(ps, "avatar_domain") < 0) return -5;
	return 0;
}

static void avatar_ps_quiet(void) { err_set_logfp(NULL); }
*/
import "C"

import (
	"fmt"
	"strconv"
	"strings"
	"unsafe"
)

func init() { C.avatar_ps_quiet() }

// decoder is one PocketSphinx decoder. It is not safe for concurrent use.
type decoder struct {
	ps      *C.ps_decoder_t
	inUtt   bool
	samples int // samples fed in the current utterance
}

// newDecoder creates a decoder for cfg (defaults applied).
func newDecoder(cfg Config) (*decoder, error) {
	args := []string{
		"avatar",
		"-hmm", cfg.HMM,
		"-lm", cfg.LM,
		"-dict", cfg.Dict,
		"-fwdflat", yesNo(cfg.FullPasses),
		"-bestpath", yesNo(cfg.FullPasses),
		"-samprate", "16000",
		"-maxhmmpf", strconv.Itoa(cfg.MaxHMMPerFrame),
		"-wbeam", strconv.FormatFloat(cfg.WordBeam, 'g', -1, 64),
		"-topn", strconv.Itoa(cfg.TopN),
		"-lpbeam", strconv.FormatFloat(cfg.LastPhoneBeam, 'g', -1, 64),
		"-lponlybeam", strconv.FormatFloat(cfg.LastPhoneOnlyBeam, 'g', -1, 64),
		"-logfn", "/dev/null",
	}
	args = append(args, cfg.ExtraArgs...)
	argv := make([]*C.char, len(args))
	for i, a := range args {
		argv[i] = C.CString(a)
	}
	defer func() {
		for _, p := range argv {
			C.free(unsafe.Pointer(p))
		}
	}()
	ps := C.avatar_ps_init(C.int(len(argv)), &argv[0])
	if ps == nil {
		return nil, fmt.Errorf("%w: hmm %s, lm %s, dict %s", ErrInit, cfg.HMM, cfg.LM, cfg.Dict)
	}
	d := &decoder{ps: ps}
	if cfg.DomainLM != "" {
		path := C.CString(cfg.DomainLM)
		defer C.free(unsafe.Pointer(path))
		if rc := C.avatar_ps_interp(ps, path, C.float(cfg.DomainWeight)); rc != 0 {
			d.free()
			return nil, fmt.Errorf("%w: domain LM %s (code %d)", ErrInit, cfg.DomainLM, int(rc))
		}
	}
	return d, nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// process feeds pcm, starting an utterance if none is open.
func (d *decoder) process(pcm []int16) error {
	if len(pcm) == 0 {
		return nil
	}
	if !d.inUtt {
		if C.ps_start_utt(d.ps) < 0 {
			return fmt.Errorf("start utterance: %w", ErrInit)
		}
		d.inUtt = true
		d.samples = 0
	}
	if C.ps_process_raw(d.ps, (*C.int16)(unsafe.Pointer(&pcm[0])), C.size_t(len(pcm)), 0, 0) < 0 {
		return fmt.Errorf("process %d samples: %w", len(pcm), ErrInit)
	}
	d.samples += len(pcm)
	return nil
}

// hyp returns the current hypothesis (partial inside an utterance).
func (d *decoder) hyp() string {
	if !d.inUtt && d.samples == 0 {
		return ""
	}
	var score C.int32
	h := C.ps_get_hyp(d.ps, &score)
	if h == nil {
		return ""
	}
	return strings.TrimSpace(C.GoString(h))
}

// endUtt closes the open utterance, if any, and returns its final
// hypothesis.
func (d *decoder) endUtt() (string, error) {
	if !d.inUtt {
		return "", nil
	}
	d.inUtt = false
	if C.ps_end_utt(d.ps) < 0 {
		return "", fmt.Errorf("end utterance: %w", ErrInit)
	}
	h := d.hyp()
	d.samples = 0
	return h, nil
}

// reset abandons any open utterance so that the decoder can be reused.
func (d *decoder) reset() {
	if d.inUtt {
		C.ps_end_utt(d.ps)
		d.inUtt = false
	}
	d.samples = 0
}

func (d *decoder) free() {
	if d.ps != nil {
		C.ps_free(d.ps)
		d.ps = nil
	}
}
