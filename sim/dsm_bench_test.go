package sim

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
)

var (
	dsmMaxSteps  = flag.Int("dsm.maxsteps", 30000, "BenchmarkDSMGMM40ToQuality: give up after this many steps")
	dsmEvalEvery = flag.Int("dsm.evalevery", 500, "BenchmarkDSMGMM40ToQuality: steps between quality checks")
	dsmWorkers   = flag.Int("dsm.workers", runtime.GOMAXPROCS(0), "BenchmarkDSMGMM40ToQuality: goroutines per batch")
	dsmLR        = flag.Float64("dsm.lr", 5e-4, "BenchmarkDSMGMM40ToQuality: Adam learning rate")
	dsmEMA       = flag.Float64("dsm.ema", 0, "BenchmarkDSMGMM40ToQuality: sample with an EMA of the weights of this decay (0: off)")
)

// BenchmarkDSMStepBatch512 is one DSM training step (exact gmm40 samples,
// iDEM's network, batch 512) with one and with two workers.
func BenchmarkDSMStepBatch512(b *testing.B) {
	for _, w := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", w), func(b *testing.B) {
			dcfg := DefaultDSMConfig()
			dcfg.Workers = w
			tr := newDSM(b, gmm40MLPConfig(false), dcfg, 1)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tr.Step(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
			b.ReportMetric(float64(b.N*dcfg.Batch)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}

// BenchmarkDSMGMM40ToQuality trains iDEM's network (coordinates divided by
// 50) by DSM on exact gmm40 samples (batch 512, Adam, gradient clip 0.5)
// until the sampler with the trained network covers 40/40 modes with
// x-W2 ≤ 5.0 against 1000 exact samples. Every -dsm.evalevery steps it
// draws 1000 samples with the fast sampler (HeunSamplerConfig: 20 steps, 39
// network calls); once that passes, it confirms with iDEM's sampler (1000
// Euler–Maruyama steps) and reports steps, training seconds (evaluations
// excluded) and both x-W2. With -dsm.ema d the sampler uses Adam's moving
// average of the weights (decay d) instead of the weights themselves. Run
// with -benchtime 1x -v (it logs every check); it takes minutes.
func BenchmarkDSMGMM40ToQuality(b *testing.B) {
	for b.Loop() {
		dcfg := DefaultDSMConfig()
		dcfg.Workers = *dsmWorkers
		dcfg.Adam.LR = *dsmLR
		dcfg.Adam.EMADecay = *dsmEMA
		tr := newDSM(b, gmm40MLPConfig(false), dcfg, 1)
		m := gmm40(b)
		ref := make([]float64, 2000)
		m.SampleInto(ref, rand.New(rand.NewPCG(1000, 1)))
		evalNet := tr.Net()
		if *dsmEMA > 0 {
			var err error
			if evalNet, err = NewMLP(gmm40MLPConfig(false), nil); err != nil {
				b.Fatal(err)
			}
		}
		score := NewNetScore(evalNet, 1000)
		sample := func(cfg SamplerConfig, seed uint64) (w2 float64, covered int, evalSec float64) {
			start := time.Now()
			if *dsmEMA > 0 {
				copy(evalNet.Params(), tr.Optimizer().EMA())
			}
			s, err := NewSampler(score, gmm40Schedule, 2, 1000, cfg, rand.New(rand.NewPCG(seed, 5)))
			if err != nil {
				b.Fatal(err)
			}
			s.Run()
			w2, err = W2(s.Positions(), ref, 2)
			if err != nil {
				b.Logf("W2: %v", err)
				w2 = 1e9
			}
			cov, err := Coverage(s.Positions(), m)
			if err != nil {
				b.Fatal(err)
			}
			return w2, cov.Covered, time.Since(start).Seconds()
		}
		var train float64
		var loss float64
		done := false
		for tr.Steps() < *dsmMaxSteps && !done {
			for range *dsmEvalEvery {
				st, err := tr.Step()
				if err != nil {
					b.Fatal(err)
				}
				train += st.Seconds
				loss += st.Loss / float64(*dsmEvalEvery)
			}
			w2, cov, sec := sample(HeunSamplerConfig(), uint64(tr.Steps()))
			b.Logf("step %6d  train %7.1f s  mean loss %.4f  heun-20: x-W2 %.3f, %d/40 modes (%.1f s)", tr.Steps(), train, loss, w2, cov, sec)
			loss = 0
			if cov == 40 && w2 <= 5.0 {
				done = true
				b.ReportMetric(float64(tr.Steps()), "steps")
				b.ReportMetric(train, "train-s")
				b.ReportMetric(w2, "x-W2-heun20")
				w2em, covem, secem := sample(DefaultSamplerConfig(), 7)
				b.Logf("confirmation with 1000 Euler–Maruyama steps: x-W2 %.3f, %d/40 modes (%.1f s)", w2em, covem, secem)
				b.ReportMetric(w2em, "x-W2-em1000")
				b.ReportMetric(float64(covem), "modes-em1000")
			}
		}
		if !done {
			b.Logf("no pass within %d steps (%.0f s of training)", tr.Steps(), train)
			b.ReportMetric(-1, "steps")
		}
	}
}
