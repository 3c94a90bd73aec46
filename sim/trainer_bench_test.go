package sim

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"iwsm/targets"
)

// BenchmarkTrainerStepGMM40 times one IW-SM gradient step of the default
// gmm40 configuration (batch 512, K = 20, buffer 4000) on 1 and 2 workers,
// refreshes excluded, and reports steps/s and energy evaluations/s.
func BenchmarkTrainerStepGMM40(b *testing.B) {
	benchGMM40Trainer(b, func(c *Config) { c.RefreshEvery = 1 << 30 }, // time the gradient step alone
		func(b *testing.B, tr *Trainer, _ Config) {
			tr.Step() // warm up
			evals0 := tr.EnergyEvals()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := tr.Step(); err != nil {
					b.Fatal(err)
				}
			}
			s := b.Elapsed().Seconds()
			b.ReportMetric(float64(b.N)/s, "steps/s")
			b.ReportMetric(float64(tr.EnergyEvals()-evals0)/s, "energy-evals/s")
		})
}

// BenchmarkRefreshGMM40 times one buffer refresh of the default gmm40
// configuration (500 samples × 100 Euler–Maruyama steps of the network) on 1
// and 2 workers and reports SDE particle-steps/s.
func BenchmarkRefreshGMM40(b *testing.B) {
	benchGMM40Trainer(b, nil, func(b *testing.B, tr *Trainer, cfg Config) {
		rng := rand.New(rand.NewPCG(1, 2))
		b.ResetTimer()
		for range b.N {
			if _, err := tr.Sample(cfg.RefreshSize, rng); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*cfg.RefreshSize*cfg.Sampler.Steps)/b.Elapsed().Seconds(), "particle-steps/s")
	})
}

// benchGMM40Trainer runs bench as sub-benchmarks "workers=1" and "workers=2"
// (as far as GOMAXPROCS allows) on a trainer of gmm40's DefaultConfig,
// changed by adjust when it is not nil.
func benchGMM40Trainer(b *testing.B, adjust func(*Config), bench func(*testing.B, *Trainer, Config)) {
	g, _ := targets.Lookup("gmm40")
	for _, w := range []int{1, 2} {
		if w > runtime.GOMAXPROCS(0) {
			continue
		}
		b.Run(fmt.Sprintf("workers=%d", w), func(b *testing.B) {
			cfg := DefaultConfig(g)
			cfg.Workers = w
			if adjust != nil {
				adjust(&cfg)
			}
			tr, err := NewTrainer(g, cfg, 1)
			if err != nil {
				b.Fatal(err)
			}
			defer tr.Close()
			bench(b, tr, cfg)
		})
	}
}

// BenchmarkMCEstimatorGMM40 times the Monte Carlo estimate at one point
// (K = 20, mixed) and reports energy evaluations/s.
func BenchmarkMCEstimatorGMM40(b *testing.B) {
	g, _ := targets.Lookup("gmm40")
	e := NewMCEstimator(g, 20, 1.4)
	e.SetMix(1.31)
	rng := rand.New(rand.NewPCG(1, 2))
	x, s := []float64{3, -7}, make([]float64, 2)
	b.ReportAllocs()
	for range b.N {
		e.Estimate(s, x, 2, rng)
	}
	b.ReportMetric(float64(b.N*20)/b.Elapsed().Seconds(), "energy-evals/s")
}

// BenchmarkProposalDensity4000 times log p_Bt at one point over a buffer of
// 4000 rows (the default) at a large and a small σ.
func BenchmarkProposalDensity4000(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	buf, _ := NewBuffer(2, 4000, 400, 2, nil)
	x := make([]float64, 2*4000)
	for i := range x {
		x[i] = 30 * rng.NormFloat64()
	}
	buf.Push(x)
	scratch := ProposalScratch(4000)
	for _, sigma := range []float64{20, 0.1} {
		b.Run(fmt.Sprintf("sigma=%g", sigma), func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				buf.NoisedLogDensityInto(scratch, []float64{1, 2}, sigma)
			}
			b.ReportMetric(float64(b.N*4000)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
