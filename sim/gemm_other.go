//go:build !amd64

package sim

// useAVX2 is false off amd64: every product runs on the pure-Go kernel
// (gemm.go) and every activation on the portable code (activations.go).
const useAVX2 = false

// gemmAVX2 is never called off amd64 (useAVX2 is false).
func (g *gemmScratch) gemmAVX2(acc, ta, tb bool, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int) {
	panic("sim: AVX2 matrix kernel called off amd64")
}
