package caller

import (
	"math"
	"testing"
	"time"
)

func TestLastVoiced(t *testing.T) {
	tone := func(amp float64, d time.Duration) []int16 {
		out := make([]int16, int(d.Seconds()*16000))
		for i := range out {
			out[i] = int16(amp * math.Sin(2*math.Pi*200*float64(i)/16000))
		}
		return out
	}
	cat := func(parts ...[]int16) []int16 {
		var out []int16
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	tests := []struct {
		name string
		pcm  []int16
		want time.Duration
	}{
		{"silence is its length", make([]int16, 8000), 500 * time.Millisecond},
		{"speech then silence", cat(tone(8000, 400*time.Millisecond), make([]int16, 4800)), 400 * time.Millisecond},
		{"a quiet tail within 26 dB counts", cat(tone(8000, 400*time.Millisecond), tone(600, 100*time.Millisecond), make([]int16, 3200)), 500 * time.Millisecond},
		{"a tail 30 dB down does not", cat(tone(8000, 400*time.Millisecond), tone(250, 100*time.Millisecond), make([]int16, 3200)), 400 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := LastVoiced(tt.pcm); got != tt.want {
				t.Errorf("LastVoiced = %v, want %v", got, tt.want)
			}
		})
	}
}
