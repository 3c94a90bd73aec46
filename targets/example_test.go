package targets_test

import (
	"fmt"
	"math/rand/v2"

	"iwsm/targets"
)

func ExampleLookup() {
	t, err := targets.Lookup("dw4")
	if err != nil {
		panic(err)
	}
	// Four particles on a line, spacing 1: distances 1, 1, 1, 2, 2, 3.
	x := []float64{0, 0, 1, 0, 2, 0, 3, 0}
	fmt.Println(t.Name(), t.Dim(), targets.EffectiveDimOf(t))
	fmt.Printf("E = %.1f\n", -t.LogProb(x))

	_, err = targets.Lookup("gmm41")
	fmt.Println(err)
	// Output:
	// dw4 8 6
	// E = 104.4
	// targets: unknown target "gmm41" (valid: dw4, gmm120, gmm40, gmm80, lj13, lj55, manywell, rings, uneven)
}

func ExampleNewMixture() {
	// Two 1-D modes: 3/4 of the mass at −2, 1/4 at +2, unit widths.
	m, err := targets.NewMixture("pair", [][]float64{{-2}, {2}}, []float64{1, 1}, []float64{3, 1})
	if err != nil {
		panic(err)
	}
	x := []float64{0}
	fmt.Printf("log π(0) = %.4f, score %.4f\n", m.LogProb(x), m.Score(nil, x)[0])
	// Convolved with N(0, 1): every mode widens to variance 2.
	s := make([]float64, 1)
	fmt.Printf("log p_1(0) = %.4f, score %.4f\n", m.NoisedLogProbScore(s, x, 1), s[0])

	samples := make([]float64, 4)
	m.SampleInto(samples, rand.New(rand.NewPCG(1, 2)))
	fmt.Println(len(samples), "samples")
	// Output:
	// log π(0) = -2.9189, score -1.0000
	// log p_1(0) = -2.2655, score -0.5000
	// 4 samples
}
