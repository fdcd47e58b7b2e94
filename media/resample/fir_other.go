//go:build !amd64 || purego

package resample

// fir adds to each acc[j], j < n, the inner product of c with x[j:j+len(c)].
func fir(acc, x, c []float32, n int) { firGeneric(acc[:n], x, c) }
