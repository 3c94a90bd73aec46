package sim

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"iwsm/targets"
)

// momentsOf returns the mean and the variance of all coordinates of x.
func momentsOf(x []float64) (mean, variance float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	for _, v := range x {
		variance += (v - mean) * (v - mean)
	}
	return mean, variance / float64(len(x))
}

// TestMALALeavesTargetInvariant starts from exact samples of a 2-D Gaussian
// N(0, I) and runs the corrector with a drift clipped hard (to 0.3, where the
// typical ‖∇ log π‖ is 1.25): an unadjusted Langevin chain with that drift
// would spread the samples, so only a correct Metropolis–Hastings ratio keeps
// the variance at 1. A hot start (standard deviation 2) must cool to it.
func TestMALALeavesTargetInvariant(t *testing.T) {
	g, err := targets.NewMixture("gauss", [][]float64{{0, 0}}, []float64{1}, []float64{1})
	if err != nil {
		t.Fatal(err)
	}
	const n = 4000
	rng := rand.New(rand.NewPCG(1, 2))
	tol := 4 * math.Sqrt(2.0/(2*n)) // four standard errors of the pooled variance
	for _, start := range []struct {
		name  string
		scale float64
	}{{"exact", 1}, {"hot", 2}} {
		x := make([]float64, 2*n)
		for i := 0; i < n; i++ {
			g.SampleInto(x[2*i:2*i+2], rng)
		}
		for i := range x {
			x[i] *= start.scale
		}
		st, err := MALA(g, x, MALAConfig{Steps: 200, StepSize: 0.01, Clip: 0.3}, rng)
		if err != nil {
			t.Fatal(err)
		}
		m, v := momentsOf(x)
		t.Logf("%s start: mean %.4f variance %.4f (want 0, 1), acceptance %.3f, ε %.3g", start.name, m, v, st.Acceptance, st.StepSize)
		if math.Abs(v-1) > tol || math.Abs(m) > 4/math.Sqrt(2*n) {
			t.Errorf("%s start: mean %.4f variance %.4f, want 0 and 1 ± %.3f", start.name, m, v, tol)
		}
		if st.Acceptance < 0.3 || st.Acceptance > 0.9 {
			t.Errorf("%s start: acceptance %.3f after tuning, want near %.3f", start.name, st.Acceptance, malaTargetAcceptance)
		}
	}
}

// TestMALAMendsParticleClash puts two particles of an LJ-13 reference
// configuration on top of each other (an energy of order 10³⁶) and, in a
// second copy, 10⁻³ apart (10³²): the clashes an imperfect sampler produces;
// a third row is NaN. After 300 steps both clashes must be bound
// configurations (negative energy) with zero centre of mass, and the NaN row
// must stay as it was without spreading NaN.
func TestMALAMendsParticleClash(t *testing.T) {
	lj, err := targets.Lookup("lj13")
	if err != nil {
		t.Fatal(err)
	}
	ref, err := lj.(targets.Referenced).Reference("test")
	if err != nil {
		t.Fatal(err)
	}
	d := lj.Dim()
	x := make([]float64, 3*d)
	copy(x, ref[:2*d])
	copy(x[3:6], x[0:3]) // particle 1 onto particle 0
	for c := 0; c < 3; c++ {
		x[d+3+c] = x[d+c] + 1e-3 // row 1: particle 1 next to particle 0
	}
	for i := 2 * d; i < 3*d; i++ {
		x[i] = math.NaN()
	}
	before := make([]float64, 3)
	targets.LogProbScoreBatch(lj, before, nil, x)
	st, err := MALA(lj, x, MALAConfig{Steps: 300, StepSize: 1e-3, Clip: 20}, rand.New(rand.NewPCG(3, 4)))
	if err != nil {
		t.Fatal(err)
	}
	after := make([]float64, 3)
	targets.LogProbScoreBatch(lj, after, nil, x)
	t.Logf("energies before %v, after %v; %+v", before, after, st)
	if -before[0] < 1e30 || -before[1] < 1e30 {
		t.Fatalf("energies before %v: the test does not start from clashes", before)
	}
	if st.NonFiniteBefore != 1 || st.NonFiniteAfter != 1 {
		t.Errorf("non-finite rows before/after = %d/%d, want 1/1 (the NaN row)", st.NonFiniteBefore, st.NonFiniteAfter)
	}
	for i := 0; i < 2; i++ {
		if e := -after[i]; !(e < 0) {
			t.Errorf("row %d: energy %v after the corrector, want a bound configuration (< 0)", i, e)
		}
		var sum [3]float64
		for p := 0; p < 13; p++ {
			for c := range sum {
				sum[c] += x[i*d+3*p+c]
			}
		}
		for c, s := range sum {
			if math.Abs(s) > 1e-9 {
				t.Errorf("row %d: centre of mass coordinate %d = %g, want 0", i, c, s/13)
			}
		}
	}
	for _, v := range x[2*d:] {
		if !math.IsNaN(v) {
			t.Fatalf("the NaN row changed: %v", x[2*d:])
		}
	}
}

// TestMALARejectsBadInput checks the settings and the batch shape.
func TestMALARejectsBadInput(t *testing.T) {
	g, _ := targets.NewMixture("gauss", [][]float64{{0, 0}}, []float64{1}, []float64{1})
	rng := rand.New(rand.NewPCG(1, 1))
	for _, c := range []struct {
		cfg  MALAConfig
		x    []float64
		want string
	}{
		{MALAConfig{Steps: -1, StepSize: 1}, make([]float64, 2), "MALA steps"},
		{MALAConfig{Steps: 1, StepSize: math.NaN()}, make([]float64, 2), "step size"},
		{MALAConfig{Steps: 1, StepSize: 0}, make([]float64, 2), "step size"},
		{MALAConfig{Steps: 1, StepSize: 1, Clip: math.Inf(1)}, make([]float64, 2), "clip"},
		{MALAConfig{Steps: 1, StepSize: 1}, make([]float64, 3), "whole samples"},
		{MALAConfig{Steps: 1, StepSize: 1}, nil, "whole samples"},
	} {
		_, err := MALA(g, c.x, c.cfg, rng)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("MALA(%+v, %d values) = %v, want an error about %q", c.cfg, len(c.x), err, c.want)
		}
	}
}
