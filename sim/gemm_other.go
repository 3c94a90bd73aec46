//go:build !amd64

package sim

// gemmUseBLAS selects the pure-Go packed kernel for the network's matrix
// products where gonum has no assembly (js/wasm among others); see gemm.go.
const gemmUseBLAS = false
