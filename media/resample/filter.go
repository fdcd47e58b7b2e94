package resample

import "math"

// design returns a linear-phase low-pass FIR prototype for resampling by
// factor at the high rate highHz: a Kaiser-windowed sinc whose transition band
// runs from passHz to stopHz, with at least attenDB of stop-band attenuation.
// Its length is 2·factor·k + 1, so that its group delay, (len-1)/2 samples at
// the high rate, is a whole number of samples at the low rate too. The taps
// sum to 1 (unity DC gain).
func design(factor, highHz int, passHz, stopHz, attenDB float64) []float64 {
	dw := 2 * math.Pi * (stopHz - passHz) / float64(highHz)
	// Kaiser's estimate of the length for attenDB over a transition of dw.
	n := int(math.Ceil((attenDB-7.95)/(2.285*dw))) + 1
	step := 2 * factor
	n = (n+step-2)/step*step + 1
	beta := kaiserBeta(attenDB)
	fc := (passHz + stopHz) / 2 / float64(highHz) // cycles per sample
	h := make([]float64, n)
	mid := float64(n-1) / 2
	var sum float64
	for i := range h {
		x := float64(i) - mid
		s := 2 * fc
		if x != 0 {
			s = math.Sin(2*math.Pi*fc*x) / (math.Pi * x)
		}
		r := 2*float64(i)/float64(n-1) - 1
		w := bessI0(beta*math.Sqrt(math.Max(0, 1-r*r))) / bessI0(beta)
		h[i] = s * w
		sum += h[i]
	}
	for i := range h {
		h[i] /= sum
	}
	return h
}

// kaiserBeta is Kaiser's formula for the window parameter that gives attenDB
// of stop-band attenuation.
func kaiserBeta(attenDB float64) float64 {
	switch {
	case attenDB > 50:
		return 0.1102 * (attenDB - 8.7)
	case attenDB >= 21:
		return 0.5842*math.Pow(attenDB-21, 0.4) + 0.07886*(attenDB-21)
	default:
		return 0
	}
}

// bessI0 is the zeroth-order modified Bessel function of the first kind, by
// its power series (converges fast for the arguments a Kaiser window uses).
func bessI0(x float64) float64 {
	sum, term := 1.0, 1.0
	q := x * x / 4
	for k := 1; k < 200; k++ {
		term *= q / float64(k*k)
		sum += term
		if term < sum*1e-17 {
			break
		}
	}
	return sum
}

// dotGeneric returns the inner product of a and b[:len(a)] in portable Go,
// with eight independent accumulators so the additions pipeline.
func dotGeneric(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3, s4, s5, s6, s7 float32
	i := 0
	for ; i+8 <= len(a); i += 8 {
		aa := a[i : i+8 : i+8]
		bb := b[i : i+8 : i+8]
		s0 += aa[0] * bb[0]
		s1 += aa[1] * bb[1]
		s2 += aa[2] * bb[2]
		s3 += aa[3] * bb[3]
		s4 += aa[4] * bb[4]
		s5 += aa[5] * bb[5]
		s6 += aa[6] * bb[6]
		s7 += aa[7] * bb[7]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
}

// firGeneric is the portable fir: dst[j] += inner product of c and x[j:].
func firGeneric(dst, x, c []float32) {
	for j := range dst {
		dst[j] += dotGeneric(c, x[j:])
	}
}

// toInt16 rounds v to the nearest int16, saturating.
func toInt16(v float32) int16 {
	switch {
	case v >= 32767:
		return 32767
	case v <= -32768:
		return -32768
	case v >= 0:
		return int16(v + 0.5)
	default:
		return int16(v - 0.5)
	}
}
