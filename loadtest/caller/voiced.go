package caller

import (
	"math"
	"time"

	avmedia "github.com/avatar-fi/avatar/media"
)

// LastVoiced returns where the speaker stops in a clip of 16 kHz pcm: the
// end of its last 20 ms frame within 26 dB of its loudest frame (a trailing
// fricative or breath counts as speech). Silent audio returns its length.
// A turn's gap and whether a reply came too early are measured from it, so
// every tool and test that says clips through a Call uses this one rule.
func LastVoiced(pcm []int16) time.Duration {
	const n = avmedia.SpeechFrameSamples
	var rms []float64
	peak := 0.0
	for i := 0; i+n <= len(pcm); i += n {
		s := 0.0
		for _, v := range pcm[i : i+n] {
			s += float64(v) * float64(v)
		}
		r := math.Sqrt(s / n)
		rms = append(rms, r)
		peak = max(peak, r)
	}
	if peak > 0 {
		for k := len(rms) - 1; k >= 0; k-- {
			if rms[k] >= peak/20 {
				return time.Duration(k+1) * avmedia.FrameDuration
			}
		}
	}
	return time.Duration(len(pcm)) * time.Second / avmedia.SpeechRate
}
