package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// BenchmarkSamplerGMM40ExactSweep measures sample quality against step count
// for each integrator driven by the exact noised gmm40 score. For each
// setting it runs 5 seeds of 1000 samples and reports, against 1000 exact
// samples per seed: the mean and spread of x-W2, the fewest modes covered,
// the mean mode-weight TV, the within-mode spread ratio (mean squared
// distance to the nearest mean over that of exact samples; 1 is exact) and
// the score evaluations per run. The "exact" row is the two-sample floor.
// Run with -benchtime 1x.
func BenchmarkSamplerGMM40ExactSweep(b *testing.B) {
	const seeds, n = 5, 1000
	m := gmm40(b)
	means := m.Modes()
	spread := func(x []float64) float64 {
		var tot float64
		for i := 0; i < len(x); i += 2 {
			best := math.Inf(1)
			for _, mu := range means {
				dx, dy := x[i]-mu[0], x[i+1]-mu[1]
				best = math.Min(best, dx*dx+dy*dy)
			}
			tot += best / 2
		}
		return tot / float64(len(x)/2)
	}
	ref := make([]float64, 2*20000)
	m.SampleInto(ref, rand.New(rand.NewPCG(99, 99)))
	spreadRef := spread(ref)

	type result struct {
		w2s         []float64
		minCov      int
		tv, sp, evs float64
	}
	report := func(b *testing.B, r result) {
		var s, s2 float64
		for _, w := range r.w2s {
			s += w
			s2 += w * w
		}
		mean := s / float64(len(r.w2s))
		b.ReportMetric(mean, "x-W2")
		b.ReportMetric(math.Sqrt(math.Max(s2/float64(len(r.w2s))-mean*mean, 0)), "x-W2-sd")
		b.ReportMetric(float64(r.minCov), "min-modes")
		b.ReportMetric(r.tv, "mode-TV")
		b.ReportMetric(r.sp, "spread-ratio")
		b.ReportMetric(r.evs, "evals")
	}
	b.Run("exact", func(b *testing.B) {
		for b.Loop() {
			r := result{minCov: 40}
			for seed := uint64(1); seed <= seeds; seed++ {
				a, r2 := make([]float64, 2*n), make([]float64, 2*n)
				m.SampleInto(a, rand.New(rand.NewPCG(seed, 3)))
				m.SampleInto(r2, rand.New(rand.NewPCG(seed, 2)))
				w, _ := W2(a, r2, 2)
				r.w2s = append(r.w2s, w)
				cov, _ := Coverage(a, m)
				r.minCov = min(r.minCov, cov.Covered)
				r.tv += cov.ModeTV / seeds
				r.sp += spread(a) / spreadRef / seeds
			}
			report(b, r)
		}
	})
	type setting struct {
		cfg   SamplerConfig
		steps []int
	}
	for _, st := range []setting{
		{SamplerConfig{Eta: 1, Integrator: EulerMaruyama}, []int{10, 20, 30, 50, 100, 200, 1000}},
		{SamplerConfig{Eta: 1, Integrator: Heun, Churn: 0.2}, []int{5, 10, 15, 20, 30, 50}},
		{SamplerConfig{Eta: 1, Integrator: Heun}, []int{10, 20, 50, 200}},
	} {
		for _, steps := range st.steps {
			cfg := st.cfg
			cfg.Steps = steps
			b.Run(fmt.Sprintf("%s/churn=%v/steps=%d", cfg.Integrator, cfg.Churn, steps), func(b *testing.B) {
				for b.Loop() {
					r := result{minCov: 40}
					for seed := uint64(1); seed <= seeds; seed++ {
						s, err := NewSampler(exactNoisedScore(m, gmm40Schedule, n), gmm40Schedule, 2, n, cfg, rand.New(rand.NewPCG(seed, 1)))
						if err != nil {
							b.Fatal(err)
						}
						s.Run()
						gen := s.Positions()
						ref := make([]float64, 2*n)
						m.SampleInto(ref, rand.New(rand.NewPCG(seed, 2)))
						w, err := W2(gen, ref, 2)
						if err != nil {
							w = math.Inf(1)
						}
						r.w2s = append(r.w2s, w)
						cov, err := Coverage(gen, m)
						if err != nil {
							b.Fatal(err)
						}
						r.minCov = min(r.minCov, cov.Covered)
						r.tv += cov.ModeTV / seeds
						r.sp += spread(gen) / spreadRef / seeds
						r.evs = float64(s.Evals())
					}
					report(b, r)
				}
			})
		}
	}
}

// benchNetSDE runs one full reverse-SDE sampling of 1000 particles with
// iDEM's gmm40 network (untrained: the cost does not depend on θ) through
// NetScore on one core.
func benchNetSDE(b *testing.B, cfg SamplerConfig) {
	mcfg := DefaultMLPConfig(2)
	mcfg.InputScale = 1.0 / 50
	net, err := NewMLP(mcfg, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		b.Fatal(err)
	}
	const n = 1000
	score := NewNetScore(net, n)
	s, err := NewSampler(score, gmm40Schedule, 2, n, cfg, rand.New(rand.NewPCG(2, 2)))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		s.Reset()
		s.Run()
	}
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(sec, "s/run")
	b.ReportMetric(float64(cfg.Steps)/sec, "SDE-steps/s")
	b.ReportMetric(n/sec, "samples/s")
}

// BenchmarkSamplerNetEM1000Particles1000Steps is iDEM's sampler with the
// network: 1000 particles × 1000 Euler–Maruyama steps (run with -benchtime 1x).
func BenchmarkSamplerNetEM1000Particles1000Steps(b *testing.B) {
	benchNetSDE(b, DefaultSamplerConfig())
}

// BenchmarkSamplerNetHeun1000Particles20Steps is the fast sampler with the
// network: 1000 particles × 20 Heun steps (39 network calls).
func BenchmarkSamplerNetHeun1000Particles20Steps(b *testing.B) {
	benchNetSDE(b, HeunSamplerConfig())
}
