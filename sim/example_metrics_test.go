package sim_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"iwsm/sim"
	"iwsm/targets"
)

// Two 2-D point sets whose optimal matching pairs each point of a with the
// point of b one unit to its right, although b lists them in another order.
func ExampleW2() {
	a := []float64{0, 0, 5, 0, 0, 5}
	b := []float64{1, 5, 6, 0, 1, 0}
	w, err := sim.W2(a, b, 2)
	fmt.Printf("%.4f %v\n", w, err)
	// Output: 1.0000 <nil>
}

// A reused W2Solver allocates nothing after the first call, and exposes the
// optimal matching (e.g. for drawing transport lines).
func ExampleW2Solver() {
	var s sim.W2Solver
	a := []float64{0, 10, 20}
	b := []float64{21, 1, 12}
	w, _ := s.Distance(a, b, 1)
	fmt.Printf("%.4f %v\n", w, s.Matching())
	// Output: 1.4142 [1 2 0]
}

func ExampleAssignment_Solve() {
	cost := []float64{
		4, 1, 3,
		2, 0, 5,
		3, 2, 2,
	}
	var a sim.Assignment
	rowToCol, total, err := a.Solve(cost, 3)
	fmt.Println(rowToCol, total, err)
	// Output: [1 0 2] 5 <nil>
}

// E-W2 is squared: energies (1, 2, 3) against (0, 5, 10) give
// ((1−0)² + (2−5)² + (3−10)²)/3.
func ExampleEnergyW2() {
	e, err := sim.EnergyW2([]float64{3, 1, 2}, []float64{10, 0, 5})
	fmt.Printf("%.4f %v\n", e, err)
	// Output: 19.6667 <nil>
}

func ExampleMMD() {
	// One point each, 1 apart, one kernel scale s = 1: 2 − 2e^{−1/2}.
	m, _ := sim.MMD([]float64{0}, []float64{1}, 1, []float64{1})
	fmt.Printf("%.6f %.6f\n", m, 2-2*math.Exp(-0.5))
	// Output: 0.786939 0.786939
}

// 1000 exact gmm40 samples cover all 40 modes.
func ExampleCoverage() {
	m, _ := targets.NewGMM("gmm40")
	x := make([]float64, 2*1000)
	m.SampleInto(x, rand.New(rand.NewPCG(1, 1)))
	res, _ := sim.Coverage(x, m)
	fmt.Printf("%d/%d modes covered\n", res.Covered, res.Modes)
	// Output: 40/40 modes covered
}

func ExampleNESS() {
	inf := math.Inf(1)
	fmt.Printf("%.4f\n", sim.NESS([]float64{-2, -2, -2, -2}))      // uniform weights
	fmt.Printf("%.4f\n", sim.NESS([]float64{0, -inf, -inf, -inf})) // one sample holds all the weight
	fmt.Printf("%.4f\n", sim.NESS([]float64{0, math.Ln2}))         // w ∝ (1, 2): 9/10
	// Output:
	// 1.0000
	// 0.2500
	// 0.9000
}

func ExampleHistogram() {
	dst := make([]float64, 4)
	n := sim.Histogram(dst, []float64{0, 0.5, 1, 3.999, 4, 4.5}, 0, 4)
	fmt.Println(dst, n) // 4.5 is outside [0, 4] and dropped
	// Output: [0.4 0.2 0 0.4] 5
}

// Three particles on a line: reference distances 1, 2, 3 in two bins
// [1, 2) and [2, 3]; of the generated distances 1.5, 3.5, 5 only 1.5 is in
// range, so TV = ½(|1/3 − 1| + |2/3 − 0|).
func ExampleDistanceTV() {
	tv, err := sim.DistanceTV([]float64{0, 1.5, 5}, []float64{0, 1, 3}, 3, 1, 2)
	fmt.Printf("%.4f %v\n", tv, err)
	// Output: 0.6667 <nil>
}
