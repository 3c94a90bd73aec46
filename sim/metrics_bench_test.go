package sim

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"iwsm/targets"
)

// benchGMM40Sets returns two independent sets of n exact gmm40 samples.
func benchGMM40Sets(b *testing.B, n int) (x, y []float64, m *targets.Mixture) {
	b.Helper()
	m, err := targets.NewGMM("gmm40")
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 0))
	x, y = make([]float64, 2*n), make([]float64, 2*n)
	m.SampleInto(x, rng)
	m.SampleInto(y, rng)
	return x, y, m
}

// benchGaussianSets returns two independent sets of n standard normal points
// in R^d, the second shifted by 0.5 in every coordinate.
func benchGaussianSets(n, d int) (x, y []float64) {
	rng := rand.New(rand.NewPCG(2, 0))
	x, y = make([]float64, n*d), make([]float64, n*d)
	for k := range x {
		x[k], y[k] = rng.NormFloat64(), rng.NormFloat64()+0.5
	}
	return x, y
}

// BenchmarkW2 times the exact x-W2 (cost matrix + assignment) with a reused
// W2Solver: gmm40 samples for d = 2, Gaussians for d = 8 and d = 39 (LJ-13's
// flattened dimension).
func BenchmarkW2(b *testing.B) {
	for _, c := range []struct{ n, d int }{{1000, 2}, {1000, 8}, {1000, 39}} {
		b.Run(fmt.Sprintf("n%d_d%d", c.n, c.d), func(b *testing.B) {
			var x, y []float64
			if c.d == 2 {
				x, y, _ = benchGMM40Sets(b, c.n)
			} else {
				x, y = benchGaussianSets(c.n, c.d)
			}
			var s W2Solver
			if _, err := s.Distance(x, y, c.d); err != nil { // warm the workspace
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := s.Distance(x, y, c.d); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkW2CostMatrix times the n×n squared-distance matrix alone, the part
// of BenchmarkW2 that is not the assignment.
func BenchmarkW2CostMatrix(b *testing.B) {
	for _, c := range []struct{ n, d int }{{1000, 2}, {1000, 39}} {
		b.Run(fmt.Sprintf("n%d_d%d", c.n, c.d), func(b *testing.B) {
			x, y := benchGaussianSets(c.n, c.d)
			cost := make([]float64, c.n*c.n)
			b.ReportAllocs()
			for b.Loop() {
				sqDistMatrix(cost, x, y, c.d)
			}
		})
	}
}

// BenchmarkMMD times the biased MMD² with the default five scales on two sets
// of 1000 gmm40 samples; kernel pairs/s counts the n²/2 + m²/2 + nm pair
// evaluations.
func BenchmarkMMD(b *testing.B) {
	const n = 1000
	x, y, _ := benchGMM40Sets(b, n)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := MMD(x, y, 2, nil); err != nil {
			b.Fatal(err)
		}
	}
	pairs := float64(n*(n-1)/2 + n*(n-1)/2 + n*n)
	b.ReportMetric(pairs*float64(b.N)/b.Elapsed().Seconds(), "kernel-pairs/s")
}

// BenchmarkCoverage times ModeCoverage of 1000 gmm40 samples against the 40
// modes with a reused result.
func BenchmarkCoverage(b *testing.B) {
	x, _, m := benchGMM40Sets(b, 1000)
	var means []float64
	for _, mu := range m.Modes() {
		means = append(means, mu...)
	}
	std := make([]float64, m.NumModes())
	for k := range std {
		std[k] = m.ModeStd(k)
	}
	var res CoverageResult
	cfg := DefaultCoverageConfig()
	b.ReportAllocs()
	for b.Loop() {
		if err := ModeCoverage(&res, x, 2, means, std, nil, cfg); err != nil {
			b.Fatal(err)
		}
	}
}
