// Package evaluation scores a speech-to-text engine on labelled recordings
// through the same path a call's audio takes: 16 kHz speech upsampled to
// 48 kHz, Opus encoded and decoded back to 16 kHz as on the wire, then voice
// activity detection, endpointing and streaming recognition in a
// pipeline.Call, which splits utterances at pauses and finalises them at the
// end of each turn. The recordings are fed faster than real time.
package evaluation

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/avatar-fi/avatar/edge/internal/pipeline"
	"github.com/avatar-fi/avatar/edge/internal/stt"
	"github.com/avatar-fi/avatar/media/opus"
	"github.com/avatar-fi/avatar/media/resample"
	"github.com/avatar-fi/avatar/media/speechset"
	"github.com/avatar-fi/avatar/protocol/callevent"
)

// ClipResult is one recording's outcome.
type ClipResult struct {
	Name       string
	Reference  string
	Hypothesis string
	Errors     int
	Words      int
}

// Result is the outcome over a set of recordings.
type Result struct {
	Clips  []ClipResult
	Errors int
	Words  int
	// Finalise holds the duration of every Final and Segment call: the
	// recogniser's cost of closing an utterance.
	Finalise []time.Duration
	// Audio is the total duration of the recordings; CPU is the wall time
	// spent decoding them.
	Audio, Wall time.Duration
}

// WER returns the word error rate.
func (r Result) WER() float64 {
	if r.Words == 0 {
		return 0
	}
	return float64(r.Errors) / float64(r.Words)
}

// FinaliseQuantile returns the q-quantile (0..1) of the finalisation times.
func (r Result) FinaliseQuantile(q float64) time.Duration {
	if len(r.Finalise) == 0 {
		return 0
	}
	s := slices.Clone(r.Finalise)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// Run scores tr on clips.
func Run(ctx context.Context, tr pipeline.Transcriber, clips []speechset.Clip) (Result, error) {
	var res Result
	timed := &timingTranscriber{Transcriber: tr}
	start := time.Now()
	for _, c := range clips {
		hyp, err := runClip(ctx, timed, c.PCM)
		if err != nil {
			return res, fmt.Errorf("%s: %w", c.Name, err)
		}
		e, n := stt.WordErrors(c.Text, hyp)
		res.Clips = append(res.Clips, ClipResult{Name: c.Name, Reference: c.Text, Hypothesis: hyp, Errors: e, Words: n})
		res.Errors += e
		res.Words += n
		res.Audio += time.Duration(len(c.PCM)) * time.Second / 16000
	}
	res.Wall = time.Since(start)
	res.Finalise = timed.durations()
	return res, nil
}

// runClip sends one recording through the call path and returns the final
// transcripts of its turns, joined.
func runClip(ctx context.Context, tr pipeline.Transcriber, pcm []int16) (string, error) {
	up, err := resample.New(16000, 48000)
	if err != nil {
		return "", err
	}
	enc, err := opus.NewEncoder()
	if err != nil {
		return "", err
	}
	dec, err := opus.NewDecoder(opus.WithSampleRate(16000))
	if err != nil {
		return "", err
	}
	// The final transcripts by turn, in order; a turn that carries on an
	// earlier one (Continues) holds that one's words too, so it replaces it.
	type final struct {
		turn int32
		text string
	}
	var mu sync.Mutex
	var finals []final
	call, err := pipeline.New(pipeline.Config{
		SessionID:   "eval",
		Transcriber: tr,
		Synthesizer: nullSynth{},
		Responder:   pipeline.ResponderFunc(func(context.Context, pipeline.Request, func(string) error) error { return nil }),
		Out:         nullOut{},
		Events: pipeline.EventSinkFunc(func(ev *pipeline.Event) {
			if ev.Type == callevent.TypeFinalTranscript && ev.Text != "" {
				mu.Lock()
				if c := ev.GetContinues(); c != 0 {
					finals = slices.DeleteFunc(finals, func(f final) bool { return f.turn == c })
				}
				finals = append(finals, final{ev.GetTurn(), ev.Text})
				mu.Unlock()
			}
		}),
		Offline: true,
	})
	if err != nil {
		return "", err
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := call.Start(cctx); err != nil {
		return "", err
	}
	defer call.Stop()

	// Half a second of silence before (the detector learns the noise
	// floor) and a second after (the last turn ends).
	audio := make([]int16, 0, len(pcm)+24000)
	audio = append(audio, make([]int16, 8000)...)
	audio = append(audio, pcm...)
	audio = append(audio, make([]int16, 16000)...)
	in := make([]int16, 320)
	wide := make([]int16, 960)
	pkt := make([]byte, opus.MaxPacketBytes)
	out := make([]int16, 320)
	for off := 0; off+320 <= len(audio); off += 320 {
		copy(in, audio[off:off+320])
		if _, err := up.Process(wide, in); err != nil {
			return "", err
		}
		n, err := enc.Encode(wide, pkt)
		if err != nil {
			return "", err
		}
		k, err := dec.Decode(pkt[:n], out)
		if err != nil {
			return "", err
		}
		if err := call.Push(cctx, out[:k]); err != nil {
			return "", err
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for call.State() != callevent.StateListening {
		if time.Now().After(deadline) {
			return "", fmt.Errorf("the last turn did not end (state %s)", call.State())
		}
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	texts := make([]string, len(finals))
	for i, f := range finals {
		texts[i] = f.text
	}
	return strings.Join(texts, " "), nil
}

type nullSynth struct{}

func (nullSynth) Synthesize(context.Context, string, func([]int16) error) error { return nil }

type nullOut struct{}

func (nullOut) WriteFrame([]int16) error { return nil }

// timingTranscriber times the Final and Segment calls of its streams.
type timingTranscriber struct {
	pipeline.Transcriber
	mu sync.Mutex
	d  []time.Duration
}

func (t *timingTranscriber) add(d time.Duration) {
	t.mu.Lock()
	t.d = append(t.d, d)
	t.mu.Unlock()
}

func (t *timingTranscriber) durations() []time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.d)
}

func (t *timingTranscriber) NewStream(ctx context.Context) (stt.Stream, error) {
	s, err := t.Transcriber.NewStream(ctx)
	if err != nil {
		return nil, err
	}
	if seg, ok := s.(segmentingStream); ok {
		return &timedSegStream{timedStream{seg, t}}, nil
	}
	return &timedStream{s, t}, nil
}

type segmentingStream interface {
	stt.Stream
	stt.Segmenter
}

type timedStream struct {
	stt.Stream
	t *timingTranscriber
}

func (s *timedStream) Final(ctx context.Context) (string, error) {
	start := time.Now()
	defer func() { s.t.add(time.Since(start)) }()
	return s.Stream.Final(ctx)
}

type timedSegStream struct{ timedStream }

func (s *timedSegStream) Segment() error {
	start := time.Now()
	defer func() { s.t.add(time.Since(start)) }()
	return s.Stream.(stt.Segmenter).Segment()
}
