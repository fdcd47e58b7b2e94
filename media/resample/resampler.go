package resample

import (
	"fmt"
	"time"
)

// block is the most low-rate samples filtered at once (per phase); longer
// inputs are processed in blocks.
const block = 1024

// Resampler converts a mono 16-bit PCM stream from one rate to another an
// integer factor apart. It keeps filter state between calls to Process. It is
// not safe for concurrent use.
//
// Both directions run as factor polyphase branches of width taps at the low
// rate, so every multiply-add makes an output sample: decimation splits the
// input into factor phase streams and sums their branch outputs;
// interpolation runs every branch on the input and interleaves the outputs.
type Resampler struct {
	fromHz, toHz int
	factor       int
	down         bool
	width        int       // taps per branch
	coef         []float32 // factor branches of width taps, each in reverse order
	// hist holds, per branch input stream (factor for decimation, one for
	// interpolation), width-1 samples of history followed by up to block new
	// samples.
	hist    [][]float32
	acc     []float32 // branch outputs: block (decimation) or factor·block
	pending [MaxFactor]int16
	npend   int // decimation: input samples waiting for a whole group
	delay   int // group delay in output samples
	taps    int // length of the prototype filter
}

// New returns a Resampler from fromHz to toHz, where one rate is 2 to
// MaxFactor times the other (48000 → 16000 and 16000 → 48000 being the ones
// a call uses). The filter history starts silent.
func New(fromHz, toHz int, opts ...Option) (*Resampler, error) {
	cfg := config{attenDB: DefaultAttenuationDB, passband: DefaultPassband}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if fromHz <= 0 || toHz <= 0 {
		return nil, fmt.Errorf("%w: %d Hz to %d Hz", ErrUnsupportedRatio, fromHz, toHz)
	}
	high, low := max(fromHz, toHz), min(fromHz, toHz)
	m := high / low
	if high%low != 0 || m < 2 || m > MaxFactor {
		return nil, fmt.Errorf("%w: %d Hz to %d Hz is not an integer factor of 2..%d", ErrUnsupportedRatio, fromHz, toHz, MaxFactor)
	}
	nyq := float64(low) / 2
	h := design(m, high, cfg.passband*nyq, nyq, cfg.attenDB)
	n := len(h) // 2·m·k + 1
	r := &Resampler{fromHz: fromHz, toHz: toHz, factor: m, down: fromHz > toHz, taps: n}
	// Both layouts need m·width taps: decimation puts m-1 zeros in front,
	// which delays the output by m-1 input samples, so that each output
	// lines up with an input sample and the delay is a whole number of
	// output samples (k); interpolation pads zeros at the end.
	r.width = (n + m - 1) / m
	padded := make([]float64, m*r.width)
	gain := 1.0
	if r.down {
		copy(padded[m-1:], h)
		r.delay = (n - 1) / 2 / m
	} else {
		copy(padded, h)
		gain = float64(m)
		r.delay = (n - 1) / 2
	}
	r.coef = make([]float32, m*r.width)
	for p := range m {
		br := r.coef[p*r.width : (p+1)*r.width]
		for k := range r.width {
			br[r.width-1-k] = float32(gain * padded[k*m+p])
		}
	}
	streams := 1
	r.acc = make([]float32, m*block)
	if r.down {
		streams = m
		r.acc = r.acc[:block]
	}
	r.hist = make([][]float32, streams)
	for i := range r.hist {
		r.hist[i] = make([]float32, r.width-1+block)
	}
	return r, nil
}

// FromRate returns the input sample rate in hertz.
func (r *Resampler) FromRate() int { return r.fromHz }

// ToRate returns the output sample rate in hertz.
func (r *Resampler) ToRate() int { return r.toHz }

// Taps returns the length of the prototype low-pass filter at the high rate.
// Each output sample costs Taps/factor multiply-adds in either direction.
func (r *Resampler) Taps() int { return r.taps }

// Delay returns the group delay of the filter in output samples: an input
// event appears this many output samples later.
func (r *Resampler) Delay() int { return r.delay }

// Latency returns the group delay of the filter as a duration (2.2 ms for
// 48 kHz ↔ 16 kHz at the default design).
func (r *Resampler) Latency() time.Duration {
	return time.Duration(r.delay) * time.Second / time.Duration(r.toHz)
}

// OutLen returns how many samples the next Process call makes from n input
// samples: n·factor when interpolating; when decimating, one per whole group
// of factor samples, counting the up to factor-1 samples left over from
// earlier calls. For a stream fed in 960-sample frames, 48 kHz → 16 kHz always
// gives 320.
func (r *Resampler) OutLen(n int) int {
	if !r.down {
		return n * r.factor
	}
	return (r.npend + n) / r.factor
}

// Process resamples src, continuing the stream, into dst and returns the
// number of samples written, which is OutLen(len(src)). dst must hold at least
// that many, or Process fails with ErrShortBuffer and consumes nothing.
// Process allocates nothing.
func (r *Resampler) Process(dst, src []int16) (int, error) {
	want := r.OutLen(len(src))
	if len(dst) < want {
		return 0, fmt.Errorf("%w: %d samples for %d outputs", ErrShortBuffer, len(dst), want)
	}
	if r.down {
		return r.decimate(dst, src), nil
	}
	out := 0
	for len(src) > 0 {
		n := min(len(src), block)
		r.interpolate(dst[out:out+n*r.factor], src[:n])
		out += n * r.factor
		src = src[n:]
	}
	return out, nil
}

// putGroup stores one group of factor input samples as entry q of the phase
// streams: sample t of the group goes to stream factor-1-t.
func (r *Resampler) putGroup(q int, g []int16) {
	at := r.width - 1 + q
	for t, s := range g[:r.factor] {
		r.hist[r.factor-1-t][at] = float32(s)
	}
}

func (r *Resampler) decimate(dst, src []int16) int {
	m := r.factor
	out := 0
	for {
		q := 0
		if r.npend > 0 {
			need := m - r.npend
			if len(src) < need {
				break
			}
			copy(r.pending[r.npend:m], src[:need])
			r.putGroup(0, r.pending[:m])
			r.npend = 0
			src = src[need:]
			q = 1
		}
		for q < block && len(src) >= m {
			r.putGroup(q, src[:m])
			src = src[m:]
			q++
		}
		if q == 0 {
			break
		}
		clear(r.acc[:min(block, (q+7)&^7)])
		for p, h := range r.hist {
			fir(r.acc, h, r.coef[p*r.width:(p+1)*r.width], q)
			copy(h[:r.width-1], h[q:q+r.width-1])
		}
		for i, v := range r.acc[:q] {
			dst[out+i] = toInt16(v)
		}
		out += q
	}
	r.npend += copy(r.pending[r.npend:m], src)
	return out
}

func (r *Resampler) interpolate(dst, src []int16) {
	m, n := r.factor, len(src)
	h := r.hist[0]
	in := h[r.width-1 : r.width-1+n]
	for i, s := range src {
		in[i] = float32(s)
	}
	for p := range m {
		clear(r.acc[p*block : p*block+min(block, (n+7)&^7)])
		fir(r.acc[p*block:(p+1)*block], h, r.coef[p*r.width:(p+1)*r.width], n)
	}
	for p := range m {
		acc := r.acc[p*block : p*block+n]
		for j, v := range acc {
			dst[j*m+p] = toInt16(v)
		}
	}
	copy(h[:r.width-1], h[n:n+r.width-1])
}

// Reset clears the filter history, as for a new stream.
func (r *Resampler) Reset() {
	for _, h := range r.hist {
		clear(h)
	}
	r.npend = 0
}
