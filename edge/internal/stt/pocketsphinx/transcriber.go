package pocketsphinx

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/avatar-fi/avatar/edge/internal/stt"
)

// Default model paths: Debian's pocketsphinx-en-us package.
const (
	DefaultModelDir = "/usr/share/pocketsphinx/model/en-us"
	DefaultHMM      = DefaultModelDir + "/en-us"
	DefaultLM       = DefaultModelDir + "/en-us.lm.bin"
	DefaultDict     = DefaultModelDir + "/cmudict-en-us.dict"
	// DefaultDomainWeight is the interpolation weight of a domain LM.
	DefaultDomainWeight = 0.5
	// DefaultMaxHMMPerFrame caps the HMMs searched per frame (-maxhmmpf).
	// PocketSphinx's own default, 30000, lets single 20 ms frames cost over
	// 100 ms of CPU; 3000 measured 37 % less CPU, finalisation p95 of
	// 30–70 ms instead of 130–250 ms, and no loss of accuracy on the speech
	// dev set (WER 0.267 against 0.275).
	DefaultMaxHMMPerFrame = 3000
	// DefaultWordBeam (-wbeam) and DefaultTopN (-topn) were chosen on the
	// tune half of the speech sets (speechset.Tune of shared/data/speech
	// and speech-more, 29 clips, 187 s) as the cheapest settings within
	// 0.01 of the previous defaults' WER (0.545 against 0.537, 0.073 CPU
	// seconds per second of audio against 0.089, medians of three), and
	// confirmed on the report half (27 clips): WER 0.556 against 0.556,
	// CPU 0.067 against 0.078. PocketSphinx's own are 7e-29 and 4.
	// -maxhmmpf 2000 saved 15 % more but cost 0.02 WER on both halves;
	// -ds 2 cost 0.06; -pl_window 10 gained 0.01 for 5 % more CPU.
	DefaultWordBeam = 1e-20
	DefaultTopN     = 2
	// DefaultLastPhoneBeam (-lpbeam) and DefaultLastPhoneOnlyBeam
	// (-lponlybeam) prune word ends harder than PocketSphinx's own (1e-40,
	// 7e-29): chosen on the tune half as above (WER 0.557–0.567 against
	// 0.552–0.564 over runs — the partials' timing varies — CPU 0.051
	// against 0.057–0.059 s per audio s, quiet machine) and confirmed on
	// the report half (WER 0.559 against 0.562; CPU 0.052–0.054 against
	// 0.057–0.058). Either alone cost 0.01 WER on the report half.
	DefaultLastPhoneBeam     = 1e-30
	DefaultLastPhoneOnlyBeam = 1e-20
)

// Config sets up a Transcriber. Zero fields take their defaults.
type Config struct {
	// HMM is the acoustic model directory (default DefaultHMM).
	HMM string
	// LM is the generic language model (default DefaultLM).
	LM string
	// Dict is the pronunciation dictionary (default DefaultDict).
	Dict string
	// DomainLM, when set, is a language model file (ARPA or binary)
	// interpolated with LM at DomainWeight. Words it has that Dict lacks
	// are ignored.
	DomainLM string
	// DomainWeight is DomainLM's interpolation weight, in (0, 1) (default
	// DefaultDomainWeight).
	DomainWeight float64
	// FullPasses turns the slow second search passes (-fwdflat, -bestpath)
	// back on. Off by default: they make finalising 4–6 times slower.
	FullPasses bool
	// MaxHMMPerFrame caps the HMMs searched per frame (default
	// DefaultMaxHMMPerFrame).
	MaxHMMPerFrame int
	// WordBeam is the word-exit beam (-wbeam, default DefaultWordBeam):
	// narrower prunes more word ends.
	WordBeam float64
	// LastPhoneBeam and LastPhoneOnlyBeam are the beams of the last-phone
	// search (-lpbeam, -lponlybeam; defaults DefaultLastPhoneBeam,
	// DefaultLastPhoneOnlyBeam).
	LastPhoneBeam, LastPhoneOnlyBeam float64
	// TopN is how many Gaussians of each codebook are scored per frame
	// (-topn, default DefaultTopN).
	TopN int
	// Prewarm is how many decoders New creates up front (default 1), so
	// that the first turns do not pay the decoder's start-up time.
	Prewarm int
	// MaxIdle is how many idle decoders the pool keeps (default 16); more
	// are freed when given back.
	MaxIdle int
	// ExtraArgs are passed to the decoder after the ones above, as
	// "-name", "value" pairs.
	ExtraArgs []string
}

func (c Config) withDefaults() Config {
	if c.HMM == "" {
		c.HMM = DefaultHMM
	}
	if c.LM == "" {
		c.LM = DefaultLM
	}
	if c.Dict == "" {
		c.Dict = DefaultDict
	}
	if c.DomainWeight == 0 {
		c.DomainWeight = DefaultDomainWeight
	}
	if c.Prewarm == 0 {
		c.Prewarm = 1
	}
	if c.MaxHMMPerFrame == 0 {
		c.MaxHMMPerFrame = DefaultMaxHMMPerFrame
	}
	if c.WordBeam == 0 {
		c.WordBeam = DefaultWordBeam
	}
	if c.TopN == 0 {
		c.TopN = DefaultTopN
	}
	if c.LastPhoneBeam == 0 {
		c.LastPhoneBeam = DefaultLastPhoneBeam
	}
	if c.LastPhoneOnlyBeam == 0 {
		c.LastPhoneOnlyBeam = DefaultLastPhoneOnlyBeam
	}
	if c.MaxIdle == 0 {
		c.MaxIdle = 16
	}
	return c
}

func (c Config) validate() error {
	for _, f := range []struct{ name, path string }{{"HMM", c.HMM}, {"LM", c.LM}, {"Dict", c.Dict}, {"DomainLM", c.DomainLM}} {
		if f.path == "" {
			continue
		}
		if _, err := os.Stat(f.path); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrInit, f.name, err)
		}
	}
	if !(c.DomainWeight > 0 && c.DomainWeight < 1) {
		return fmt.Errorf("%w: DomainWeight %g, want (0, 1)", ErrInit, c.DomainWeight)
	}
	if !(c.WordBeam > 0 && c.WordBeam < 1) || c.TopN < 1 || c.TopN > 64 {
		return fmt.Errorf("%w: WordBeam %g (want (0, 1)), TopN %d (want 1..64)", ErrInit, c.WordBeam, c.TopN)
	}
	if !(c.LastPhoneBeam > 0 && c.LastPhoneBeam < 1) || !(c.LastPhoneOnlyBeam > 0 && c.LastPhoneOnlyBeam < 1) {
		return fmt.Errorf("%w: LastPhoneBeam %g, LastPhoneOnlyBeam %g, want (0, 1)", ErrInit, c.LastPhoneBeam, c.LastPhoneOnlyBeam)
	}
	if c.Prewarm < 0 || c.MaxIdle < 0 {
		return fmt.Errorf("%w: Prewarm %d, MaxIdle %d must not be negative", ErrInit, c.Prewarm, c.MaxIdle)
	}
	return nil
}

// Transcriber creates Streams over a pool of PocketSphinx decoders. It is
// safe for concurrent use. Close it to free the decoders; Streams still open
// keep theirs until they close.
type Transcriber struct {
	cfg Config

	mu     sync.Mutex
	idle   []*decoder
	closed bool
}

// New loads the models and prewarms cfg.Prewarm decoders.
func New(cfg Config) (*Transcriber, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	t := &Transcriber{cfg: cfg}
	for range cfg.Prewarm {
		d, err := newDecoder(cfg)
		if err != nil {
			t.Close()
			return nil, err
		}
		t.idle = append(t.idle, d)
	}
	return t, nil
}

// NewStream returns a Stream on a decoder from the pool, creating one when
// none is idle (a few hundred milliseconds).
func (t *Transcriber) NewStream(_ context.Context) (stt.Stream, error) {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil, ErrClosed
	}
	var d *decoder
	if n := len(t.idle); n > 0 {
		d = t.idle[n-1]
		t.idle = t.idle[:n-1]
	}
	t.mu.Unlock()
	if d == nil {
		var err error
		if d, err = newDecoder(t.cfg); err != nil {
			return nil, err
		}
	}
	return &Stream{t: t, d: d}, nil
}

// put gives a decoder back to the pool.
func (t *Transcriber) put(d *decoder) {
	d.reset()
	t.mu.Lock()
	if !t.closed && len(t.idle) < t.cfg.MaxIdle {
		t.idle = append(t.idle, d)
		d = nil
	}
	t.mu.Unlock()
	if d != nil {
		d.free()
	}
}

// Close frees the idle decoders. It is safe to call more than once.
func (t *Transcriber) Close() error {
	t.mu.Lock()
	idle := t.idle
	t.idle, t.closed = nil, true
	t.mu.Unlock()
	for _, d := range idle {
		d.free()
	}
	return nil
}

// Stream is one user turn on one decoder; see stt.Stream. Write, Partial,
// Segment and Final must be called from one goroutine; Close from any.
type Stream struct {
	t    *Transcriber
	mu   sync.Mutex // guards d against Close
	d    *decoder
	done []string // hypotheses of finished segments
	fin  bool
}

var (
	_ stt.Stream    = (*Stream)(nil)
	_ stt.Segmenter = (*Stream)(nil)
)

// Write decodes pcm (16 kHz mono) at once.
func (s *Stream) Write(pcm []int16) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.d == nil || s.fin {
		return stt.ErrClosed
	}
	if err := s.d.process(pcm); err != nil {
		return fmt.Errorf("%w: %w", stt.ErrEngine, err)
	}
	return nil
}

// Partial returns the finished segments and the open utterance's current
// best path.
func (s *Stream) Partial() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.d == nil {
		return ""
	}
	return join(s.done, s.d.hyp())
}

// Segment ends the open utterance, if any; the next Write starts another.
func (s *Stream) Segment() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.d == nil || s.fin {
		return stt.ErrClosed
	}
	h, err := s.d.endUtt()
	if err != nil {
		return fmt.Errorf("%w: %w", stt.ErrEngine, err)
	}
	if h != "" {
		s.done = append(s.done, h)
	}
	return nil
}

// Final ends the open utterance and returns every segment's words.
func (s *Stream) Final(_ context.Context) (string, error) {
	if err := s.Segment(); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fin = true
	return join(s.done, ""), nil
}

// Close gives the decoder back to the pool.
func (s *Stream) Close() error {
	s.mu.Lock()
	d := s.d
	s.d = nil
	s.mu.Unlock()
	if d != nil {
		s.t.put(d)
	}
	return nil
}

func join(done []string, open string) string {
	if open == "" {
		return strings.Join(done, " ")
	}
	if len(done) == 0 {
		return open
	}
	return strings.Join(done, " ") + " " + open
}
