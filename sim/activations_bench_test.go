package sim

import (
	"math"
	"math/rand/v2"
	"testing"
)

// benchValues returns n pre-activations ~ 1.5·N(0, 1).
func benchValues(n int) []float64 {
	rng := rand.New(rand.NewPCG(1, 2))
	v := make([]float64, n)
	for i := range v {
		v[i] = 1.5 * rng.NormFloat64()
	}
	return v
}

// perValue runs f as a benchmark over n values per call and reports the
// wall time and, where available, the process CPU time per value (less
// sensitive to other processes on a shared machine).
func perValue(b *testing.B, n int, f func()) {
	cpu0, cpuOK := egnnCPUTime()
	for b.Loop() {
		f()
	}
	b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(b.N*n), "ns/value")
	if cpu1, ok := egnnCPUTime(); ok && cpuOK {
		b.ReportMetric((cpu1-cpu0).Seconds()*1e9/float64(b.N*n), "cpu-ns/value")
	}
}

// BenchmarkGelu measures GELU and GELU' on 4096 values (one MLP layer of
// 32 rows) on every path, and the exact formulas through math.Erfc and
// math.Exp that the MLP used before.
func BenchmarkGelu(b *testing.B) {
	const n = 4096
	v := benchValues(n)
	z, dg := make([]float64, n), make([]float64, n)
	for name, f := range geluPaths() {
		b.Run(name, func(b *testing.B) { perValue(b, n, func() { f(z, dg, v, nil) }) })
	}
	b.Run("math.Erfc+math.Exp", func(b *testing.B) {
		perValue(b, n, func() {
			for i, vi := range v {
				p := 0.5 * math.Erfc(-vi/math.Sqrt2)
				z[i] = vi * p
				dg[i] = p + vi*invSqrt2Pi*math.Exp(-0.5*vi*vi)
			}
		})
	})
}

// BenchmarkSigmoid measures σ on 4096 values on the dispatcher, the
// portable code and through math.Exp.
func BenchmarkSigmoid(b *testing.B) {
	const n = 4096
	v := benchValues(n)
	s := make([]float64, n)
	b.Run("dispatch", func(b *testing.B) { perValue(b, n, func() { sigmoidRows(s, v, nil, 128) }) })
	b.Run("go", func(b *testing.B) { perValue(b, n, func() { sigmoidsGo(s, v) }) })
	b.Run("math.Exp", func(b *testing.B) {
		perValue(b, n, func() {
			for i, vi := range v {
				s[i] = sigmoid(vi)
			}
		})
	})
}

// BenchmarkSincosEmbedding measures the embeddings of 64 values of u with
// the iDEM MLP's 64 frequencies, on sincosScaled and on math.Sincos.
func BenchmarkSincosEmbedding(b *testing.B) {
	net, err := NewMLP(DefaultMLPConfig(2), nil)
	if err != nil {
		b.Fatal(err)
	}
	f := net.freq
	us := benchValues(64)
	s, c := make([]float64, len(f)), make([]float64, len(f))
	b.Run("sincosScaled", func(b *testing.B) {
		perValue(b, len(us)*len(f), func() {
			for _, u := range us {
				sincosScaled(s, c, f, 20*u)
			}
		})
	})
	b.Run("math.Sincos", func(b *testing.B) {
		perValue(b, len(us)*len(f), func() {
			for _, u := range us {
				for k, fk := range f {
					s[k], c[k] = math.Sincos(20 * u * fk)
				}
			}
		})
	})
}
