//go:build !unix

package targets

// cpuSeconds is unavailable here (js/wasm): the benchmarks then report
// wall-clock rates only.
func cpuSeconds() float64 { return 0 }
