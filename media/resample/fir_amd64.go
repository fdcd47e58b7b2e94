//go:build !purego

package resample

import "golang.org/x/sys/cpu"

// hasFMA is set once at start-up and never changed: whether the CPU runs the
// AVX2+FMA kernel.
var hasFMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func firFMA(dst, x, c *float32, n, k int)

// fir adds to each acc[j], j < n, the inner product of c with x[j:j+len(c)].
// acc must have room for n rounded up to a multiple of 8 and x for that many
// plus len(c)-1: the kernel computes whole vectors of 8 and the extra lanes,
// computed from whatever x holds there, are scratch. Every output is summed in
// the same order whatever n is, so a stream gives bit-identical output however
// it is split into calls.
func fir(acc, x, c []float32, n int) {
	if n == 0 || len(c) == 0 {
		return
	}
	if hasFMA {
		vec := (n + 7) &^ 7
		_ = acc[vec-1]
		_ = x[vec+len(c)-2]
		firFMA(&acc[0], &x[0], &c[0], vec, len(c))
		return
	}
	firGeneric(acc[:n], x, c)
}
