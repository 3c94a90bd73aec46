//go:build !amd64

package sim

// sigmoidRowsAVX2 is never called off amd64 (useAVX2 is false).
func sigmoidRowsAVX2(s, z, bias *float64, rows, h int) {
	panic("sim: AVX2 sigmoid called off amd64")
}

// geluAVX2 is never called off amd64 (useAVX2 is false).
func geluAVX2(z, dg, v, res *float64, n int) {
	panic("sim: AVX2 GELU called off amd64")
}
