package targets

import (
	"testing"
	"time"
)

// benchTargets are the benchmark energies whose evaluation speed matters to
// the trainer (K Monte Carlo energies per point per step).
var benchTargets = []string{"gmm40", "gmm120", "dw4", "lj13", "lj55"}

// BenchmarkLogProbScore measures energy + score evaluations: "single" is one
// point through the Target interface (LogProb then Score, two passes),
// "batch512" one LogProbScoreBatch call on 512 points (one pass each).
// evals/s counts points per wall-clock second; evals/cpu-s per second of
// process CPU time (unix only), the steadier figure on a shared machine.
func BenchmarkLogProbScore(b *testing.B) {
	for _, name := range benchTargets {
		tg := mustLookup(b, name)
		d := tg.Dim()
		const batch = 512
		x := testPoints(b, tg, newRNG(11), batch)
		logp, score := make([]float64, batch), make([]float64, batch*d)
		b.Run(name+"/single", func(b *testing.B) {
			b.ReportAllocs()
			s := make([]float64, d)
			var sink float64
			r := startRate()
			for i := 0; b.Loop(); i++ {
				xi := x[(i%batch)*d : (i%batch+1)*d]
				sink += tg.LogProb(xi)
				tg.Score(s, xi)
			}
			r.report(b, b.N)
			_ = sink
		})
		b.Run(name+"/batch512", func(b *testing.B) {
			b.ReportAllocs()
			r := startRate()
			for b.Loop() {
				LogProbScoreBatch(tg, logp, score, x)
			}
			r.report(b, b.N*batch)
		})
	}
}

// BenchmarkNoisedGMM40Batch512 measures the exact noised mixture (the oracle
// score) at σ = 1.
func BenchmarkNoisedGMM40Batch512(b *testing.B) {
	m := mustLookup(b, "gmm40").(*Mixture)
	const batch = 512
	x := testPoints(b, m, newRNG(12), batch)
	logp, score := make([]float64, batch), make([]float64, 2*batch)
	b.ReportAllocs()
	r := startRate()
	for b.Loop() {
		m.NoisedBatch(logp, score, x, 1)
	}
	r.report(b, b.N*batch)
}

// rate measures evaluations per wall-clock and per CPU second.
type rate struct {
	wall time.Time
	cpu  float64
}

func startRate() rate { return rate{time.Now(), cpuSeconds()} }

// report adds evals/s and, where CPU time is known, evals/cpu-s.
func (r rate) report(b *testing.B, evals int) {
	b.ReportMetric(float64(evals)/time.Since(r.wall).Seconds(), "evals/s")
	if cpu := cpuSeconds() - r.cpu; cpu > 0 {
		b.ReportMetric(float64(evals)/cpu, "evals/cpu-s")
	}
}
