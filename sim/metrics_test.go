package sim

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"iwsm/targets"
)

// randomGaussianRows returns n standard normal points in R^d scaled by sd.
func randomGaussianRows(rng *rand.Rand, n, d int, sd float64) []float64 {
	x := make([]float64, n*d)
	for k := range x {
		x[k] = sd * rng.NormFloat64()
	}
	return x
}

// shuffledRows returns the rows of x (length d) in a random order.
func shuffledRows(rng *rand.Rand, x []float64, d int) []float64 {
	n := len(x) / d
	out := make([]float64, 0, len(x))
	for _, i := range rng.Perm(n) {
		out = append(out, x[i*d:(i+1)*d]...)
	}
	return out
}

func mustW2(t *testing.T, a, b []float64, d int) float64 {
	t.Helper()
	w, err := W2(a, b, d)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestW2OfASetWithItselfIsZero(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 1))
	for _, d := range []int{1, 2, 5, 39} {
		a := randomGaussianRows(rng, 80, d, 3)
		if w := mustW2(t, a, shuffledRows(rng, a, d), d); w != 0 {
			t.Errorf("d=%d: W2(a, permuted a) = %v, want 0", d, w)
		}
	}
	// Repeated points (ties everywhere) too.
	a := []float64{1, 1, 1, 1, 2, 2, 1, 1}
	if w := mustW2(t, a, shuffledRows(rng, a, 2), 2); w != 0 {
		t.Errorf("repeated points: W2 = %v, want 0", w)
	}
}

// For b = a + s (in any order) every plan costs at least n‖s‖² (the cross
// term vanishes for the identity), so W2 = ‖s‖.
func TestW2OfAShiftedCopyIsTheShiftNorm(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 2))
	for _, d := range []int{1, 2, 3, 8} {
		a := randomGaussianRows(rng, 150, d, 2)
		s := randomGaussianRows(rng, 1, d, 1.5)
		b := slices.Clone(a)
		for i := range b {
			b[i] += s[i%d]
		}
		want := math.Sqrt(rowSqDist(s, make([]float64, d)))
		got := mustW2(t, a, shuffledRows(rng, b, d), d)
		if math.Abs(got-want) > 1e-12*want {
			t.Errorf("d=%d: W2 = %.15g, want shift norm %.15g", d, got, want)
		}
	}
}

func TestW2IsSymmetric(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 3))
	for _, d := range []int{1, 2, 6} {
		a, b := randomGaussianRows(rng, 200, d, 1), randomGaussianRows(rng, 200, d, 2)
		ab, ba := mustW2(t, a, b, d), mustW2(t, b, a, d)
		if math.Abs(ab-ba) > 1e-13*ab {
			t.Errorf("d=%d: W2(a,b) = %.16g but W2(b,a) = %.16g", d, ab, ba)
		}
	}
}

// In one dimension the monotone (sorted) matching is optimal.
func TestW2In1DMatchesSortedMatching(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 4))
	for _, n := range []int{1, 2, 7, 100, 500} {
		a, b := randomGaussianRows(rng, n, 1, 1), randomGaussianRows(rng, n, 1, 3)
		for i := range b {
			b[i] += 0.7
		}
		sa, sb := slices.Clone(a), slices.Clone(b)
		slices.Sort(sa)
		slices.Sort(sb)
		var s float64
		for i := range sa {
			s += (sa[i] - sb[i]) * (sa[i] - sb[i])
		}
		want := math.Sqrt(s / float64(n))
		if got := mustW2(t, a, b, 1); math.Abs(got-want) > 1e-12*want {
			t.Errorf("n=%d: W2 = %.15g, sorted closed form %.15g", n, got, want)
		}
	}
}

func TestW2TriangleInequality(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 5))
	for trial := range 20 {
		d := 1 + trial%4
		a := randomGaussianRows(rng, 60, d, 1)
		b := randomGaussianRows(rng, 60, d, 1+rng.Float64())
		c := randomGaussianRows(rng, 60, d, 0.5)
		for i := range c {
			c[i] += 2 * rng.Float64()
		}
		ab, bc, ac := mustW2(t, a, b, d), mustW2(t, b, c, d), mustW2(t, a, c, d)
		if ac > ab+bc+1e-12 {
			t.Errorf("trial %d: W2(a,c) = %v > W2(a,b) + W2(b,c) = %v", trial, ac, ab+bc)
		}
	}
}

func TestW2MatchesBruteForceOnSmallSets(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 6))
	var s W2Solver
	for n := 1; n <= 7; n++ {
		for range 20 {
			d := 1 + rng.IntN(4)
			a, b := randomGaussianRows(rng, n, d, 1), randomGaussianRows(rng, n, d, 2)
			cost := make([]float64, n*n)
			for i := range n {
				for j := range n {
					cost[i*n+j] = rowSqDist(a[i*d:(i+1)*d], b[j*d:(j+1)*d])
				}
			}
			want := math.Sqrt(bruteForceAssignment(cost, n) / float64(n))
			got, err := s.Distance(a, b, d)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got-want) > 1e-12*want {
				t.Fatalf("n=%d d=%d: W2 %v, brute force %v", n, d, got, want)
			}
			// The matching reproduces the distance.
			var m float64
			for i, j := range s.Matching() {
				m += rowSqDist(a[i*d:(i+1)*d], b[j*d:(j+1)*d])
			}
			if math.Abs(math.Sqrt(m/float64(n))-got) > 1e-12*got {
				t.Fatalf("matching costs %v, distance %v", math.Sqrt(m/float64(n)), got)
			}
		}
	}
}

// TestW2OptimalAtFullSize checks the n = 1000 gmm40 solve through the dual
// certificate: the potentials bound every permutation's cost from below and
// meet the solver's cost.
func TestW2OptimalAtFullSize(t *testing.T) {
	m, err := targets.NewGMM("gmm40")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(12, 0))
	const n = 1000
	a, b := make([]float64, 2*n), make([]float64, 2*n)
	m.SampleInto(a, rng)
	m.SampleInto(b, rng)
	var s W2Solver
	w, err := s.Distance(a, b, 2)
	if err != nil {
		t.Fatal(err)
	}
	u, v := s.asg.duals()
	cost := s.cost[:n*n]
	var dual, primal float64
	for i := range n {
		dual += u[i] + v[i]
		primal += cost[i*n+s.Matching()[i]]
		for j := range n {
			if r := cost[i*n+j] - u[i] - v[j]; r < -1e-9 {
				t.Fatalf("reduced cost c[%d][%d] = %v < 0: potentials infeasible", i, j, r)
			}
		}
	}
	if math.Abs(dual-primal) > 1e-9*primal {
		t.Fatalf("primal %v ≠ dual %v", primal, dual)
	}
	if got := math.Sqrt(primal / n); math.Abs(got-w) > 1e-12*w {
		t.Fatalf("matching cost %v ≠ distance %v", got, w)
	}
}

// TestW2TwoSampleFloorGMM40 cross-checks the solver against the literature's
// floor (METHOD.md): W2 between two independent sets of 1000 exact gmm40
// samples is 4.16 ± 0.60 over seeds; every seed must lie within 3 standard
// deviations. (Seeds 1–5 give 4.10, 4.02, 5.10, 5.73, 5.90; over seeds
// 1–100 of this construction the mean is 4.39 with standard deviation 0.78,
// and scipy's linear_sum_assignment reproduces the seed-4 value to 12
// digits.)
func TestW2TwoSampleFloorGMM40(t *testing.T) {
	if testing.Short() {
		t.Skip("five 1000-point solves")
	}
	m, err := targets.NewGMM("gmm40")
	if err != nil {
		t.Fatal(err)
	}
	const n = 1000
	a, b := make([]float64, 2*n), make([]float64, 2*n)
	var s W2Solver
	for seed := uint64(1); seed <= 5; seed++ {
		m.SampleInto(a, rand.New(rand.NewPCG(seed, 1)))
		m.SampleInto(b, rand.New(rand.NewPCG(seed, 2)))
		w, err := s.Distance(a, b, 2)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("seed %d: gmm40 two-sample x-W2 = %.4f", seed, w)
		if w < 4.16-3*0.60 || w > 4.16+3*0.60 {
			t.Errorf("seed %d: two-sample x-W2 %v outside 4.16 ± 3·0.60", seed, w)
		}
	}
}

func TestW2Errors(t *testing.T) {
	nan := math.NaN()
	cases := []struct {
		name string
		a, b []float64
		d    int
		want string
	}{
		{"dimension", []float64{1}, []float64{1}, 0, "dimension 0"},
		{"empty", nil, nil, 2, "a has 0 values"},
		{"ragged", []float64{1, 2, 3}, []float64{1, 2}, 2, "a has 3 values"},
		{"sizes", []float64{1, 2, 3, 4}, []float64{1, 2}, 2, "2 and 1 points"},
		{"nan", []float64{1, 2, 3, 4}, []float64{1, nan, nan, 4}, 2, "2 of 2 b items are not finite"},
		{"inf", []float64{math.Inf(1), 2, 3, 4}, []float64{1, 1, 1, 4}, 2, "1 of 2 a items are not finite"},
		{"huge", []float64{1e80, 0}, []float64{-1e80, 0}, 2, "exceeds the solver's range"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := W2(c.a, c.b, c.d)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "sim: W2") {
				t.Fatalf("error %v, want one mentioning %q", err, c.want)
			}
		})
	}
	var nf *NonFiniteError
	_, err := W2([]float64{1, 2, 3, nan}, []float64{1, 2, 3, 4}, 1)
	if !errors.As(err, &nf) || nf.Count != 1 || nf.Len != 4 || nf.Arg != "a" {
		t.Fatalf("error %#v, want a NonFiniteError counting 1 of 4 in a", err)
	}
}

func TestW2SolverReuseAllocatesNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 7))
	a, b := randomGaussianRows(rng, 100, 2, 1), randomGaussianRows(rng, 100, 2, 1)
	c, e := randomGaussianRows(rng, 40, 3, 1), randomGaussianRows(rng, 40, 3, 1)
	var s W2Solver
	want1, want2 := mustW2(t, a, b, 2), mustW2(t, c, e, 3)
	allocs := testing.AllocsPerRun(3, func() {
		if w, _ := s.Distance(a, b, 2); w != want1 {
			t.Fatalf("reused solver %v, fresh %v", w, want1)
		}
		if w, _ := s.Distance(c, e, 3); w != want2 {
			t.Fatalf("reused solver %v, fresh %v", w, want2)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per reused pair of Distance calls, want 0", allocs)
	}
}

func TestEnergyW2(t *testing.T) {
	// By hand: sorted (1, 2, 3) against (0, 5, 10): (1 + 9 + 49)/3.
	ea, eb := []float64{3, 1, 2}, []float64{10, 0, 5}
	got, err := EnergyW2(ea, eb)
	if err != nil || math.Abs(got-59.0/3) > 1e-14 {
		t.Fatalf("EnergyW2 = %v, %v; want 59/3", got, err)
	}
	if !slices.Equal(ea, []float64{3, 1, 2}) || !slices.Equal(eb, []float64{10, 0, 5}) {
		t.Fatal("EnergyW2 modified its inputs")
	}
	// Against the assignment solver: E-W2 = W2(ea, eb, 1)², squared.
	rng := rand.New(rand.NewPCG(13, 1))
	for _, n := range []int{1, 5, 300} {
		a, b := randomGaussianRows(rng, n, 1, 4), randomGaussianRows(rng, n, 1, 1)
		w := mustW2(t, a, b, 1)
		got, err := EnergyW2(a, b)
		if err != nil || math.Abs(got-w*w) > 1e-12*w*w {
			t.Fatalf("n=%d: EnergyW2 %v, W2² %v (%v)", n, got, w*w, err)
		}
	}
}

func TestEnergyW2Errors(t *testing.T) {
	inf := math.Inf(1)
	if _, err := EnergyW2(nil, nil); err == nil {
		t.Error("empty samples: no error")
	}
	if _, err := EnergyW2([]float64{1, 2}, []float64{1}); err == nil {
		t.Error("different sizes: no error")
	}
	var nf *NonFiniteError
	_, err := EnergyW2([]float64{1, 2, 3}, []float64{inf, math.NaN(), 0})
	if !errors.As(err, &nf) || nf.Count != 2 || nf.Len != 3 || nf.Arg != "eb" {
		t.Fatalf("error %v, want a NonFiniteError counting 2 of 3 in eb", err)
	}
	if !strings.Contains(err.Error(), "2 of 3") {
		t.Fatalf("error %q does not name the count", err)
	}
}

// mmdOracle is the biased MMD² by the definition, scales outermost and every
// ordered pair evaluated with math.Exp.
func mmdOracle(a, b []float64, d int, scales []float64) float64 {
	n, m := len(a)/d, len(b)/d
	mean := func(x, y []float64, nx, ny int, s float64) float64 {
		var sum float64
		for i := range nx {
			for j := range ny {
				var r2 float64
				for k := range d {
					t := x[i*d+k] - y[j*d+k]
					r2 += t * t
				}
				sum += math.Exp(-r2 / (2 * s * s))
			}
		}
		return sum / float64(nx*ny)
	}
	var total float64
	for _, s := range scales {
		total += mean(a, a, n, n, s) + mean(b, b, m, m, s) - 2*mean(a, b, n, m, s)
	}
	return total
}

func TestMMDMatchesNaiveOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 1))
	for _, c := range []struct {
		n, m, d int
		scales  []float64
	}{
		{30, 45, 3, nil},
		{17, 17, 2, []float64{0.5, 2}},
		{1, 40, 1, []float64{0.05, 1, 3}},
		{50, 20, 5, []float64{1}},
	} {
		a := randomGaussianRows(rng, c.n, c.d, 1)
		b := randomGaussianRows(rng, c.m, c.d, 1.5)
		for i := range b {
			b[i] += 0.3
		}
		scales := c.scales
		if scales == nil {
			scales = DefaultMMDScales()
		}
		want := mmdOracle(a, b, c.d, scales)
		got, err := MMD(a, b, c.d, c.scales)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-want) > 1e-12*math.Max(want, 1e-3) {
			t.Errorf("n=%d m=%d d=%d: MMD² %.15g, oracle %.15g", c.n, c.m, c.d, got, want)
		}
	}
}

func TestMMDProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 2))
	a := randomGaussianRows(rng, 100, 2, 5)
	b := randomGaussianRows(rng, 80, 2, 5)
	if got, _ := MMD(a, shuffledRows(rng, a, 2), 2, nil); got > 1e-13 {
		t.Errorf("MMD²(a, a) = %v, want 0", got)
	}
	ab, _ := MMD(a, b, 2, nil)
	ba, _ := MMD(b, a, 2, nil)
	if ab <= 0 || math.Abs(ab-ba) > 1e-13*ab {
		t.Errorf("MMD²(a,b) = %v, MMD²(b,a) = %v: want equal and positive", ab, ba)
	}
	// Two single points x = 0, y = 1 in 1-D with one scale s = 1:
	// k(x,x) + k(y,y) − 2k(x,y) = 2 − 2e^{−1/2}.
	got, _ := MMD([]float64{0}, []float64{1}, 1, []float64{1})
	if want := 2 - 2*math.Exp(-0.5); math.Abs(got-want) > 1e-15 {
		t.Errorf("two points: MMD² = %v, want %v", got, want)
	}
	for trial := range 50 {
		x, y := randomGaussianRows(rng, 1+trial%7, 3, 0.1), randomGaussianRows(rng, 1+trial%5, 3, 0.1)
		if v, err := MMD(x, y, 3, nil); err != nil || v < 0 {
			t.Fatalf("MMD² = %v, %v; want ≥ 0", v, err)
		}
	}
}

func TestMMDErrors(t *testing.T) {
	a := []float64{0, 1}
	for _, scales := range [][]float64{{}, {0}, {-1}, {math.NaN()}, {math.Inf(1)}} {
		if _, err := MMD(a, a, 1, scales); err == nil {
			t.Errorf("scales %v: no error", scales)
		}
	}
	var nf *NonFiniteError
	if _, err := MMD(a, []float64{math.NaN()}, 1, nil); !errors.As(err, &nf) || nf.Count != 1 {
		t.Errorf("NaN sample: error %v, want a NonFiniteError", err)
	}
	if _, err := MMD(a, []float64{1, 2, 3}, 2, nil); err == nil {
		t.Error("ragged set: no error")
	}
}

// twoModeMixture is a Moder with means (0, 0) and (10, 0) and unit standard
// deviations, for hand-made coverage cases.
type twoModeMixture struct{ weights []float64 }

func (twoModeMixture) Modes() [][]float64       { return [][]float64{{0, 0}, {10, 0}} }
func (twoModeMixture) ModeStd(int) float64      { return 1 }
func (m twoModeMixture) ModeWeights() []float64 { return slices.Clone(m.weights) }

func TestCoverageByHand(t *testing.T) {
	m := twoModeMixture{weights: []float64{0.5, 0.5}}
	x := []float64{
		0.5, 0.5, // mode 0
		-1, 2, // mode 0
		3, 0, // mode 0, exactly 3σ: inside
		9, 1, // mode 1
		5, 5, // 7.07 from mode 0: outside
		math.NaN(), 0, // not finite: outside
	}
	res, err := Coverage(x, m)
	if err != nil {
		t.Fatal(err)
	}
	// n = 6, fair share 3, 20 % of it 0.6: one sample covers a mode.
	// ModeTV over the 4 assigned samples: ½(|3/4 − 1/2| + |1/4 − 1/2|) = 1/4.
	want := CoverageResult{Covered: 2, Modes: 2, Counts: []int{3, 1}, Outside: 2, ModeTV: 0.25}
	if res.Covered != want.Covered || res.Modes != want.Modes || !slices.Equal(res.Counts, want.Counts) ||
		res.Outside != want.Outside || math.Abs(res.ModeTV-want.ModeTV) > 1e-15 {
		t.Fatalf("coverage %+v, want %+v", res, want)
	}
	// Requiring the whole fair share (3 of 6) leaves only mode 0 covered.
	res, _ = CoverageWith(x, m, CoverageConfig{Radius: 3, MinShare: 1})
	if res.Covered != 1 {
		t.Errorf("MinShare 1: %d modes covered, want 1", res.Covered)
	}
	// A smaller radius drops the 3σ sample and (−1, 2) at 2.24σ.
	res, _ = CoverageWith(x, m, CoverageConfig{Radius: 2, MinShare: 0.2})
	if res.Counts[0] != 1 || res.Outside != 4 {
		t.Errorf("radius 2: counts %v outside %d, want [1 1] and 4", res.Counts, res.Outside)
	}
}

// With unequal weights the fair share of mode k is n·w_k.
func TestCoverageUnequalWeights(t *testing.T) {
	m := twoModeMixture{weights: []float64{0.9, 0.1}}
	// 100 samples: 97 at mode 0, 3 at mode 1. Thresholds 0.2·90 = 18 and
	// 0.2·10 = 2: both covered. ModeTV = ½(|0.97 − 0.9| + |0.03 − 0.1|) = 0.07.
	x := make([]float64, 0, 200)
	for range 97 {
		x = append(x, 0, 0)
	}
	for range 3 {
		x = append(x, 10, 0)
	}
	res, err := Coverage(x, m)
	if err != nil || res.Covered != 2 || math.Abs(res.ModeTV-0.07) > 1e-12 {
		t.Fatalf("coverage %+v, %v; want 2 covered, ModeTV 0.07", res, err)
	}
	// One sample at mode 1 is below its threshold of 2.
	x[2*97] = 0
	x[2*98] = 0
	res, _ = Coverage(x, m)
	if res.Covered != 1 || res.Counts[1] != 1 {
		t.Fatalf("coverage %+v, want mode 1 uncovered with 1 sample", res)
	}
	// With equal weights the same samples give ½(|0.99 − 0.5| + |0.01 − 0.5|) = 0.49.
	var eq CoverageResult
	if err := ModeCoverage(&eq, x, 2, []float64{0, 0, 10, 0}, []float64{1, 1}, nil, DefaultCoverageConfig()); err != nil {
		t.Fatal(err)
	}
	if math.Abs(eq.ModeTV-0.49) > 1e-12 || eq.Covered != 1 {
		t.Fatalf("equal weights: %+v, want ModeTV 0.49 and 1 covered", eq)
	}
}

func TestCoverageGMM40ExactSamples(t *testing.T) {
	m, err := targets.NewGMM("gmm40")
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float64, 2*1000)
	m.SampleInto(x, rand.New(rand.NewPCG(15, 1)))
	res, err := Coverage(x, m)
	if err != nil {
		t.Fatal(err)
	}
	// In 2-D a radius of 3σ holds 1 − e^{−4.5} ≈ 98.9 % of a mode; a
	// multinomial of 1000 over 40 equal cells has E[TV] ≈ 0.08.
	if res.Covered != 40 || res.Modes != 40 || res.Outside > 30 || res.ModeTV > 0.15 {
		t.Fatalf("exact gmm40 samples: %+v", res)
	}
	sum := res.Outside
	for _, c := range res.Counts {
		sum += c
	}
	if sum != 1000 {
		t.Fatalf("counts and outside add to %d, want 1000", sum)
	}
	// Samples of the first 20 modes cover those (and possibly a neighbour
	// that lies within 3σ of one of them: some gmm40 means are close).
	means := m.Modes()
	half := make([]float64, 0, 2*400)
	rng := rand.New(rand.NewPCG(15, 2))
	for i := range 400 {
		mu := means[i%20]
		half = append(half, mu[0]+m.ModeStd(0)*rng.NormFloat64(), mu[1]+m.ModeStd(0)*rng.NormFloat64())
	}
	res, _ = Coverage(half, m)
	if res.Covered < 20 || res.Covered > 30 || res.ModeTV < 0.3 {
		t.Fatalf("samples of 20 modes: %d covered, ModeTV %v", res.Covered, res.ModeTV)
	}
	for k := range 20 {
		if res.Counts[k] < 5 {
			t.Fatalf("sampled mode %d holds only %d samples", k, res.Counts[k])
		}
	}
}

func TestCoverageEdgeCases(t *testing.T) {
	m := twoModeMixture{weights: []float64{0.5, 0.5}}
	res, err := Coverage([]float64{50, 50, -50, 0}, m)
	if err != nil || res.Covered != 0 || res.Outside != 2 || res.ModeTV != 1 {
		t.Fatalf("all outside: %+v, %v; want nothing covered and ModeTV 1", res, err)
	}
	// MinShare 0: a single sample covers its mode.
	res, _ = CoverageWith([]float64{0, 0, 50, 50, 50, 50, 50, 50}, m, CoverageConfig{Radius: 3})
	if res.Covered != 1 {
		t.Fatalf("MinShare 0: %+v, want 1 covered", res)
	}
	for _, c := range []struct {
		name string
		x    []float64
		cfg  CoverageConfig
	}{
		{"empty", nil, DefaultCoverageConfig()},
		{"ragged", []float64{1, 2, 3}, DefaultCoverageConfig()},
		{"radius", []float64{1, 2}, CoverageConfig{Radius: 0, MinShare: 0.2}},
		{"share", []float64{1, 2}, CoverageConfig{Radius: 3, MinShare: 1.5}},
	} {
		if _, err := CoverageWith(c.x, m, c.cfg); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
	var res2 CoverageResult
	if err := ModeCoverage(&res2, []float64{0, 0}, 2, []float64{0, 0}, []float64{-1}, nil, DefaultCoverageConfig()); err == nil {
		t.Error("negative std: no error")
	}
	if err := ModeCoverage(&res2, []float64{0, 0}, 2, []float64{0, 0}, []float64{1}, []float64{0}, DefaultCoverageConfig()); err == nil {
		t.Error("zero weight: no error")
	}
}

func TestModeCoverageReuseAllocatesNothing(t *testing.T) {
	means, std := []float64{0, 0, 10, 0}, []float64{1, 1}
	x := []float64{0, 0, 10, 1, 4, 4}
	var res CoverageResult
	cfg := DefaultCoverageConfig()
	if err := ModeCoverage(&res, x, 2, means, std, nil, cfg); err != nil {
		t.Fatal(err)
	}
	if allocs := testing.AllocsPerRun(10, func() { _ = ModeCoverage(&res, x, 2, means, std, nil, cfg) }); allocs != 0 {
		t.Fatalf("%v allocations per reused ModeCoverage, want 0", allocs)
	}
}

// nessOracle is 1/(n Σ w̄²) with w̄ the plain softmax (fine for moderate
// log weights).
func nessOracle(logw []float64) float64 {
	var z float64
	for _, l := range logw {
		z += math.Exp(l)
	}
	var s2 float64
	for _, l := range logw {
		w := math.Exp(l) / z
		s2 += w * w
	}
	return 1 / (float64(len(logw)) * s2)
}

func TestNESS(t *testing.T) {
	inf := math.Inf(1)
	cases := []struct {
		name string
		logw []float64
		want float64
	}{
		{"uniform", []float64{-3, -3, -3, -3}, 1},
		{"one-of-four", []float64{0, -inf, -inf, -inf}, 0.25},
		{"two-equal-of-four", []float64{5, 5, -inf, -inf}, 0.5},
		{"empty", nil, 0},
		{"all-zero-weight", []float64{-inf, -inf}, 0},
		{"nan-is-zero-weight", []float64{1, math.NaN(), 1, 1}, 0.75},
		{"plus-inf-dominates", []float64{inf, 0, inf, 3}, 0.5},
		{"huge-logs", []float64{1e300, 1e300}, 1},
		// w ∝ (1, 2): (1 + 2)² / (2 · (1 + 4)) = 0.9.
		{"by-hand", []float64{0, math.Ln2}, 0.9},
	}
	for _, c := range cases {
		if got := NESS(c.logw); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("%s: NESS = %v, want %v", c.name, got, c.want)
		}
	}
	rng := rand.New(rand.NewPCG(16, 1))
	for range 20 {
		logw := randomGaussianRows(rng, 1+rng.IntN(50), 1, 3)
		want := nessOracle(logw)
		if got := NESS(logw); math.Abs(got-want) > 1e-13 {
			t.Fatalf("NESS %v, oracle %v", got, want)
		}
		// Shift invariance (the normalizing constant cancels), also where
		// the plain softmax would overflow.
		shifted := slices.Clone(logw)
		for i := range shifted {
			shifted[i] += 800
		}
		if got := NESS(shifted); math.Abs(got-want) > 1e-12 {
			t.Fatalf("NESS after a shift of 800: %v, want %v", got, want)
		}
		w := make([]float64, len(logw))
		for i, l := range logw {
			w[i] = math.Exp(l)
		}
		if got := NESSWeights(w); math.Abs(got-want) > 1e-13 {
			t.Fatalf("NESSWeights %v, NESS %v", got, want)
		}
	}
}

func TestNESSWeights(t *testing.T) {
	inf := math.Inf(1)
	cases := []struct {
		name string
		w    []float64
		want float64
	}{
		{"normalized", []float64{0.25, 0.25, 0.25, 0.25}, 1},
		{"unnormalized", []float64{1, 2}, 0.9},
		{"huge", []float64{1e300, 1e300, 0}, 2.0 / 3},
		{"tiny", []float64{1e-320, 1e-320}, 1},
		{"negative-and-nan-are-zero", []float64{1, -1, math.NaN(), 1}, 0.5},
		{"plus-inf", []float64{inf, 1, 1, 1}, 0.25},
		{"empty", nil, 0},
		{"zeros", []float64{0, 0}, 0},
	}
	for _, c := range cases {
		if got := NESSWeights(c.w); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("%s: NESSWeights = %v, want %v", c.name, got, c.want)
		}
	}
}

// histOracle counts values into [e_k, e_{k+1}) (the last bin closed) by a
// linear search over the edges e_k = lo + k·(hi − lo)/bins, e_bins = hi.
func histOracle(values []float64, lo, hi float64, bins int) []int {
	counts := make([]int, bins)
	step := (hi - lo) / float64(bins)
	edge := func(k int) float64 {
		if k == bins {
			return hi
		}
		return float64(k)*step + lo
	}
	for _, v := range values {
		for k := range bins {
			if v >= edge(k) && (v < edge(k+1) || (k == bins-1 && v <= hi)) {
				counts[k]++
				break
			}
		}
	}
	return counts
}

func TestHistogram(t *testing.T) {
	// By hand: 4 bins over [0, 4].
	dst := make([]float64, 4)
	n := Histogram(dst, []float64{0, 0.5, 1, 3.999, 4, 4.5, -1, math.NaN(), math.Inf(1)}, 0, 4)
	if n != 5 || !slices.Equal(dst, []float64{0.4, 0.2, 0, 0.4}) {
		t.Fatalf("histogram %v of %d values, want [0.4 0.2 0 0.4] of 5", dst, n)
	}
	// Against the linear-search oracle, with many values on edges.
	rng := rand.New(rand.NewPCG(17, 1))
	for _, c := range []struct {
		lo, hi float64
		bins   int
	}{{0, 1, 10}, {-3, 7, 200}, {0.1, 0.7, 3}, {1, 1 + 1e-9, 7}} {
		values := make([]float64, 0, 3000)
		step := (c.hi - c.lo) / float64(c.bins)
		for k := 0; k <= c.bins; k++ {
			values = append(values, c.lo+float64(k)*step, c.lo+float64(k)*(c.hi-c.lo)/float64(c.bins))
		}
		for range 2000 {
			values = append(values, c.lo-0.1*(c.hi-c.lo)+1.2*(c.hi-c.lo)*rng.Float64())
		}
		want := histOracle(values, c.lo, c.hi, c.bins)
		dst := make([]float64, c.bins)
		got := Histogram(dst, values, c.lo, c.hi)
		total := 0
		for _, w := range want {
			total += w
		}
		if got != total {
			t.Fatalf("[%v, %v] %d bins: counted %d, oracle %d", c.lo, c.hi, c.bins, got, total)
		}
		var sum float64
		for k, p := range dst {
			if math.Abs(p*float64(total)-float64(want[k])) > 1e-9 {
				t.Fatalf("[%v, %v] bin %d: %v of %d, oracle count %d", c.lo, c.hi, k, p, total, want[k])
			}
			sum += p
		}
		if math.Abs(sum-1) > 1e-12 {
			t.Fatalf("histogram sums to %v", sum)
		}
	}
	// numpy.histogram([0.3], bins=10, range=(0, 1)) counts 0.3 in bin 2,
	// because its edge e_3 = 3·0.1 = 0.30000000000000004 > 0.3 (checked with
	// numpy 1.24); the edge correction reproduces that.
	ten := make([]float64, 10)
	Histogram(ten, []float64{0.3}, 0, 1)
	if ten[2] != 1 {
		t.Fatalf("0.3 over [0, 1] in 10 bins: %v, want bin 2 as numpy", ten)
	}
	// Nothing in range: all zero.
	if n := Histogram(dst, []float64{-5}, 0, 4); n != 0 || slices.ContainsFunc(dst, func(p float64) bool { return p != 0 }) {
		t.Fatalf("empty histogram %v, %d", dst, n)
	}
}

func TestHistogramPanicsOnProgrammerErrors(t *testing.T) {
	for _, c := range []struct {
		name   string
		bins   int
		lo, hi float64
	}{{"no-bins", 0, 0, 1}, {"reversed", 3, 1, 0}, {"empty-range", 3, 1, 1}, {"nan", 3, math.NaN(), 1}, {"inf", 3, 0, math.Inf(1)}} {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r == nil || !strings.HasPrefix(r.(string), "sim: ") {
					t.Fatalf("recovered %v, want a sim: panic", r)
				}
			}()
			Histogram(make([]float64, c.bins), []float64{0.5}, c.lo, c.hi)
		})
	}
}

func TestDistanceTVByHand(t *testing.T) {
	// 3 particles on a line. ref at 0, 1, 3: distances 1, 3, 2, range
	// [1, 3]; 2 bins [1, 2) and [2, 3]: p = (1/3, 2/3). gen at 0, 1.5, 5:
	// distances 1.5, 5, 3.5; only 1.5 is in range: q = (1, 0).
	// TV = ½(2/3 + 2/3) = 2/3.
	got, err := DistanceTV([]float64{0, 1.5, 5}, []float64{0, 1, 3}, 3, 1, 2)
	if err != nil || math.Abs(got-2.0/3) > 1e-15 {
		t.Fatalf("DistanceTV = %v, %v; want 2/3", got, err)
	}
}

func TestDistanceTVProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(18, 1))
	const nP, dim = 4, 2
	ref := randomGaussianRows(rng, 300, nP*dim, 1)
	gen := randomGaussianRows(rng, 200, nP*dim, 1.1)
	if got, err := DistanceTV(ref, ref, nP, dim, 0); err != nil || got != 0 {
		t.Errorf("identical sets: TV = %v, %v; want 0", got, err)
	}
	base, err := DistanceTV(gen, ref, nP, dim, 0)
	if err != nil || !(base > 0 && base < 1) {
		t.Fatalf("TV = %v, %v; want in (0, 1)", base, err)
	}
	// Rigid motions and relabelling of the particles keep every distance.
	moved := slices.Clone(gen)
	for c := 0; c < len(moved); c += nP * dim {
		conf := moved[c : c+nP*dim]
		th := rng.Float64() * 2 * math.Pi
		sn, cs := math.Sincos(th)
		for i := range nP {
			x, y := conf[2*i], conf[2*i+1]
			conf[2*i], conf[2*i+1] = cs*x-sn*y+3, sn*x+cs*y-1
		}
		conf[0], conf[1], conf[6], conf[7] = conf[6], conf[7], conf[0], conf[1]
	}
	if got, _ := DistanceTV(moved, ref, nP, dim, 0); math.Abs(got-base) > 1e-12 {
		t.Errorf("after rotations, translations and swaps: TV %v, before %v", got, base)
	}
	// Spread far apart: every generated distance exceeds the reference range.
	far := slices.Clone(gen)
	for i := range far {
		far[i] *= 1e3
	}
	if got, _ := DistanceTV(far, ref, nP, dim, 0); got != 1 {
		t.Errorf("disjoint distance ranges: TV = %v, want 1", got)
	}
	// Against Histogram on the explicit distance lists.
	dists := func(x []float64) []float64 {
		var out []float64
		for c := 0; c < len(x); c += nP * dim {
			for i := range nP {
				for j := i + 1; j < nP; j++ {
					out = append(out, math.Hypot(x[c+2*i]-x[c+2*j], x[c+2*i+1]-x[c+2*j+1]))
				}
			}
		}
		return out
	}
	dr, dg := dists(ref), dists(gen)
	p, q := make([]float64, 50), make([]float64, 50)
	Histogram(p, dr, slices.Min(dr), slices.Max(dr))
	Histogram(q, dg, slices.Min(dr), slices.Max(dr))
	var want float64
	for k := range p {
		want += math.Abs(p[k] - q[k])
	}
	want /= 2
	if got, _ := DistanceTV(gen, ref, nP, dim, 50); math.Abs(got-want) > 1e-9 {
		t.Errorf("50 bins: TV %v, from explicit histograms %v", got, want)
	}
}

func TestDistanceTVDegenerateRange(t *testing.T) {
	// Two particles always 1 apart: numpy widens the range to [0.5, 1.5].
	ref := []float64{0, 0, 1, 0, 5, 5, 5, 6}
	if got, _ := DistanceTV([]float64{0, 0, 0, 1}, ref, 2, 2, 0); got != 0 {
		t.Errorf("same distance: TV %v, want 0", got)
	}
	if got, _ := DistanceTV([]float64{0, 0, 0, 1.4}, ref, 2, 2, 0); got != 1 {
		t.Errorf("distance 1.4 in another bin: TV %v, want 1", got)
	}
}

func TestDistanceTVErrors(t *testing.T) {
	ok := []float64{0, 1, 3}
	for _, c := range []struct {
		name          string
		gen, ref      []float64
		nP, dim, bins int
	}{
		{"one-particle", ok, ok, 1, 3, 0},
		{"no-dimension", ok, ok, 3, 0, 0},
		{"bins", ok, ok, 3, 1, -1},
		{"ragged", []float64{0, 1}, ok, 3, 1, 0},
		{"empty-ref", ok, nil, 3, 1, 0},
		{"nan", []float64{0, 1, 3, 0, math.NaN(), 3}, ok, 3, 1, 0},
	} {
		if _, err := DistanceTV(c.gen, c.ref, c.nP, c.dim, c.bins); err == nil || !strings.HasPrefix(err.Error(), "sim: DistanceTV") {
			t.Errorf("%s: error %v", c.name, err)
		}
	}
	var nf *NonFiniteError
	_, err := DistanceTV([]float64{0, 1, 3, 0, math.NaN(), 3}, ok, 3, 1, 0)
	if !errors.As(err, &nf) || nf.Count != 1 || nf.Len != 2 || nf.Arg != "gen" {
		t.Errorf("error %v, want 1 of 2 gen configurations not finite", err)
	}
}

// TestW2SolverInSlices evaluates with Start and Advance in small slices and
// compares with Distance in one call.
func TestW2SolverInSlices(t *testing.T) {
	m, err := targets.NewGMM("gmm40")
	if err != nil {
		t.Fatal(err)
	}
	const n = 300
	a, b := make([]float64, 2*n), make([]float64, 2*n)
	rng := rand.New(rand.NewPCG(19, 1))
	m.SampleInto(a, rng)
	m.SampleInto(b, rng)
	var whole, sliced W2Solver
	want, err := whole.Distance(a, b, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sliced.Result(); !errors.Is(err, ErrW2NotFinished) {
		t.Fatalf("Result before Start: %v", err)
	}
	if err := sliced.Start(a, b, 2); err != nil {
		t.Fatal(err)
	}
	calls := 0
	for !sliced.Advance(40) {
		calls++
		if _, err := sliced.Result(); !errors.Is(err, ErrW2NotFinished) {
			t.Fatalf("Result during the evaluation: %v", err)
		}
	}
	got, err := sliced.Result()
	if err != nil || got != want || !slices.Equal(sliced.Matching(), whole.Matching()) {
		t.Fatalf("in slices: %v, %v; in one call: %v", got, err, want)
	}
	if calls < n/40 {
		t.Fatalf("finished after %d slices of 40 units, want at least %d (the cost rows alone)", calls, n/40)
	}
	t.Logf("n=%d: %d slices of 40 units", n, calls+1)
	// A failure found while advancing is reported by Result.
	if err := sliced.Start([]float64{1e80, 0}, []float64{-1e80, 0}, 2); err != nil {
		t.Fatal(err)
	}
	for !sliced.Advance(1) {
	}
	if _, err := sliced.Result(); err == nil || errors.Is(err, ErrW2NotFinished) {
		t.Fatalf("huge coordinates: Result error %v", err)
	}
	if sliced.Matching() != nil {
		t.Fatal("Matching after a failed evaluation is not nil")
	}
}
