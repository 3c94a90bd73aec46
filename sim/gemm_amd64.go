package sim

// gemmUseBLAS selects gonum's serial Dgemm (SSE2 assembly) for the network's
// matrix products on amd64; see gemm.go.
const gemmUseBLAS = true
