package sim_test

import (
	"fmt"
	"math/rand/v2"

	"iwsm/sim"
	"iwsm/targets"
)

// Samples drawn twice as wide as a standard Gaussian target (variance 4
// instead of 1), as an imperfect sampler might produce, recover the target's
// variance after the MALA corrector.
func ExampleMALA() {
	g, _ := targets.NewMixture("gauss", [][]float64{{0, 0}}, []float64{1}, []float64{1})
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float64, 2*4000)
	for i := range x {
		x[i] = 2 * rng.NormFloat64()
	}
	variance := func() float64 {
		var s float64
		for _, v := range x {
			s += v * v
		}
		return s / float64(len(x))
	}
	fmt.Printf("variance before: %.1f\n", variance())
	cfg := sim.MALAConfig{Steps: 300, StepSize: 0.01}
	st, err := sim.MALA(g, x, cfg, rng)
	if err != nil {
		panic(err)
	}
	fmt.Printf("variance after %d steps: %.1f (acceptance %.1f)\n", cfg.Steps, variance(), st.Acceptance)
	// Output:
	// variance before: 4.0
	// variance after 300 steps: 1.0 (acceptance 0.6)
}
