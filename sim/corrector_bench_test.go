package sim

import (
	"math/rand/v2"
	"testing"

	"iwsm/targets"
)

// BenchmarkMALA runs the corrector on 1,000 reference configurations of DW-4
// and LJ-13 (one target evaluation per sample and step), in sample-steps per
// second.
func BenchmarkMALA(b *testing.B) {
	for _, name := range []string{"dw4", "lj13"} {
		b.Run(name, func(b *testing.B) {
			t, err := targets.Lookup(name)
			if err != nil {
				b.Fatal(err)
			}
			ref, err := t.(targets.Referenced).Reference("test")
			if err != nil {
				b.Fatal(err)
			}
			const n, steps = 1000, 100
			x := append([]float64(nil), ref[:n*t.Dim()]...)
			cfg := MALAConfig{Steps: steps, StepSize: 1e-3, Clip: 20}
			rng := rand.New(rand.NewPCG(1, 2))
			b.ResetTimer()
			for range b.N {
				if _, err := MALA(t, x, cfg, rng); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*steps)*float64(b.N)/b.Elapsed().Seconds(), "sample-steps/s")
		})
	}
}
