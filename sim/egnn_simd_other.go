//go:build !amd64

package sim

// egnnGemmNative reports false: without assembly (js/wasm among these
// platforms) the pure Go kernel is the fastest; see egnn_gemm.go.
func egnnGemmNative(acc, ta, tb bool, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, sc *egnnGemmScratch) bool {
	return false
}

// egnnSigmoidRowsNative reports false: the portable egnnSigmoidsPoly does
// the work.
func egnnSigmoidRowsNative(s, z, bias []float64, h int) bool { return false }
