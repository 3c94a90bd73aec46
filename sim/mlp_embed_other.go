//go:build !amd64

package sim

// sincosAVX2 is never called off amd64 (useAVX2 is false).
func sincosAVX2(s, c, f *float64, u float64, n int) {
	panic("sim: AVX2 sincos called off amd64")
}
