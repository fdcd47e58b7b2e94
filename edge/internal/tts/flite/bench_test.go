package flite_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/avatar-fi/avatar/edge/internal/tts"
	"github.com/avatar-fi/avatar/edge/internal/tts/flite"
)

// benchSentence is a typical 12-word reply sentence.
const benchSentence = "Your monthly payment would be about four hundred dollars with this plan."

var errFirst = errors.New("first audio")

// BenchmarkFirstAudio measures the time from Synthesize to the first audio
// chunk for a 12-word sentence (the synthesis is stopped there), and
// reports its median as ms/first-audio.
func BenchmarkFirstAudio(b *testing.B) {
	e := newEngine(b)
	for _, v := range flite.Voices() {
		b.Run(v, func(b *testing.B) {
			s, err := e.ForVoice(v)
			if err != nil {
				b.Fatal(err)
			}
			var firsts []time.Duration
			b.ReportAllocs()
			for b.Loop() {
				start := time.Now()
				err := s.Synthesize(b.Context(), benchSentence, func([]int16) error {
					firsts = append(firsts, time.Since(start))
					return errFirst
				})
				if !errors.Is(err, errFirst) {
					b.Fatalf("no audio: %v", err)
				}
			}
			slices.Sort(firsts)
			b.ReportMetric(float64(firsts[len(firsts)/2])/1e6, "ms/first-audio")
		})
	}
}

// BenchmarkSynthesize speaks a 12-word sentence whole with each voice and
// reports how many times faster than real time that is.
func BenchmarkSynthesize(b *testing.B) {
	e := newEngine(b)
	for _, v := range flite.Voices() {
		b.Run(v, func(b *testing.B) {
			s, err := e.ForVoice(v)
			if err != nil {
				b.Fatal(err)
			}
			samples := 0
			b.ReportAllocs()
			for b.Loop() {
				if err := s.Synthesize(b.Context(), benchSentence, func(pcm []int16) error {
					samples += len(pcm)
					return nil
				}); err != nil {
					b.Fatal(err)
				}
			}
			audio := float64(samples) / tts.SampleRate
			b.ReportMetric(audio/b.Elapsed().Seconds(), "x-realtime")
		})
	}
}

// BenchmarkParallel speaks the sentence with slt and with kal from
// b.RunParallel's goroutines; run with -cpu 1,2 to see throughput scale
// with cores.
func BenchmarkParallel(b *testing.B) {
	e := newEngine(b)
	for _, v := range []string{flite.VoiceSLT, flite.VoiceKAL} {
		b.Run(v, func(b *testing.B) {
			s, err := e.ForVoice(v)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := s.Synthesize(b.Context(), benchSentence, func([]int16) error { return nil }); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
