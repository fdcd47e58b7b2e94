package tts

import (
	"fmt"
	"math"
)

// taps per polyphase branch of the Resampler's filter.
const branchTaps = 24

// Resampler converts mono 16-bit PCM from one rate to another by a rational
// factor L/M (for example 22050 → 48000 Hz is 320/147) with a windowed-sinc
// polyphase filter (Kaiser window, about 70 dB stop band). It is streaming:
// successive Process calls continue one signal. It is not safe for
// concurrent use.
type Resampler struct {
	up, down int       // L, M
	coef     []float32 // up branches of branchTaps taps each, newest sample first
	hist     []float32 // the last branchTaps-1 input samples, then the new block
	pos      int64     // next output's position in units of 1/up input samples, relative to hist start
	out      []int16
}

// NewResampler returns a Resampler from fromHz to toHz; the reduced ratio's
// numerator and denominator must each be at most 1000.
func NewResampler(fromHz, toHz int) (*Resampler, error) {
	if fromHz <= 0 || toHz <= 0 {
		return nil, fmt.Errorf("%w: %d Hz to %d Hz", ErrRatio, fromHz, toHz)
	}
	g := gcd(fromHz, toHz)
	up, down := toHz/g, fromHz/g
	if up > 1000 || down > 1000 {
		return nil, fmt.Errorf("%w: %d Hz to %d Hz is %d/%d", ErrRatio, fromHz, toHz, up, down)
	}
	r := &Resampler{up: up, down: down}
	// Prototype low-pass at the upsampled rate fromHz·up, cut off just
	// below the lower Nyquist frequency.
	n := up * branchTaps
	cut := 0.45 / float64(max(up, down)) // cycles per upsampled sample
	beta := 6.5                          // Kaiser β for about 70 dB
	h := make([]float64, n)
	mid := float64(n-1) / 2
	for i := range n {
		x := float64(i) - mid
		s := 2 * cut
		if x != 0 {
			s = math.Sin(2*math.Pi*cut*x) / (math.Pi * x)
		}
		w := bessel0(beta*math.Sqrt(1-math.Pow(2*x/float64(n-1), 2))) / bessel0(beta)
		h[i] = s * w * float64(up)
	}
	r.coef = make([]float32, n)
	for p := range up {
		for k := range branchTaps {
			r.coef[p*branchTaps+k] = float32(h[k*up+p])
		}
	}
	r.hist = make([]float32, branchTaps-1, 4096)
	r.pos = int64(branchTaps-1) * int64(up)
	return r, nil
}

// Process converts src and returns the output samples, valid until the next
// call.
func (r *Resampler) Process(src []int16) []int16 {
	for _, s := range src {
		r.hist = append(r.hist, float32(s))
	}
	r.out = r.out[:0]
	end := int64(len(r.hist)) * int64(r.up)
	for r.pos < end {
		i := int(r.pos / int64(r.up)) // newest input sample used
		p := int(r.pos % int64(r.up))
		c := r.coef[p*branchTaps : (p+1)*branchTaps]
		var acc float32
		for k, v := range c {
			acc += v * r.hist[i-k]
		}
		r.out = append(r.out, clamp16(acc))
		r.pos += int64(r.down)
	}
	// Keep the last branchTaps-1 samples.
	keep := branchTaps - 1
	drop := len(r.hist) - keep
	copy(r.hist, r.hist[drop:])
	r.hist = r.hist[:keep]
	r.pos -= int64(drop) * int64(r.up)
	return r.out
}

func clamp16(v float32) int16 {
	switch {
	case v > 32767:
		return 32767
	case v < -32768:
		return -32768
	default:
		return int16(math.Round(float64(v)))
	}
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func bessel0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; k < 50; k++ {
		term *= (x / (2 * float64(k))) * (x / (2 * float64(k)))
		sum += term
		if term < 1e-12*sum {
			break
		}
	}
	return sum
}
