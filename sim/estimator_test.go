package sim

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"iwsm/targets"
)

// TestMCEstimatorConverges checks the Monte Carlo estimates of log p_t and of
// the score against the closed-form noised gmm40 mixture: the error shrinks as
// K grows and is small at large K.
func TestMCEstimatorConverges(t *testing.T) {
	g, err := targets.NewGMM("gmm40")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	modes := g.Modes()
	points := [][]float64{
		{modes[0][0] + 0.5, modes[0][1] - 1}, // near a mode
		{(modes[1][0] + modes[2][0]) / 2, 7}, // between modes
		{modes[5][0] + 3, modes[5][1] + 2},   // a mode's shoulder
	}
	bigK := 20000
	if runtime.GOARCH == "wasm" {
		bigK = 4000
	}
	for _, sigma := range []float64{0.5, 2, 10} {
		for pi, x := range points {
			want := make([]float64, 2)
			wantLogP := g.NoisedLogProbScore(want, x, sigma)
			errAt := func(k int) (float64, float64) {
				e := NewMCEstimator(g, k, 0)
				// Average the error over repeats to compare K fairly.
				var dl, ds float64
				const reps = 8
				got := make([]float64, 2)
				for range reps {
					lp := e.Estimate(got, x, sigma, rng)
					dl += math.Abs(lp - wantLogP)
					ds += math.Hypot(got[0]-want[0], got[1]-want[1])
				}
				return dl / reps, ds / reps
			}
			l1, s1 := errAt(50)
			l2, s2 := errAt(bigK)
			scale := math.Max(1, math.Hypot(want[0], want[1]))
			if l2 > 0.05 || s2 > 0.05*scale {
				t.Errorf("σ=%v point %d: K=%d errors log p %.3g, score %.3g (|score| %.3g)", sigma, pi, bigK, l2, s2, scale)
			}
			if l2 > l1 && l1 > 1e-3 || s2 > s1 && s1 > 1e-3 {
				t.Errorf("σ=%v point %d: error did not shrink from K=50 (%.3g, %.3g) to K=%d (%.3g, %.3g)", sigma, pi, l1, s1, bigK, l2, s2)
			}
		}
	}
}

// TestMCEstimatorNonFinite checks that infinite energies are zero-weight
// samples and that an all-infinite neighbourhood gives −Inf with a zero score.
func TestMCEstimatorNonFinite(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	half := halfPlane{}
	e := NewMCEstimator(half, 400, 0)
	s := make([]float64, 2)
	lp := e.Estimate(s, []float64{0.1, 0}, 1, rng)
	if math.IsNaN(lp) || math.IsInf(lp, 0) || math.IsNaN(s[0]) || math.IsNaN(s[1]) {
		t.Fatalf("half-plane estimate log p %v, score %v", lp, s)
	}
	// About half of the samples land in the support: log p ≈ log ½ − ½ E[y²].
	if lp > 0 || lp < -3 {
		t.Errorf("log p estimate %v outside a plausible range", lp)
	}
	lp = e.Estimate(s, []float64{-1e6, 0}, 1, rng)
	if !math.IsInf(lp, -1) || s[0] != 0 || s[1] != 0 {
		t.Fatalf("outside the support: log p %v, score %v; want −Inf and 0", lp, s)
	}
}

// halfPlane is log π(x) = −½‖x‖² on x₀ > 0 and −Inf (infinite energy)
// elsewhere, with a NaN score there to check that it is never used.
type halfPlane struct{}

func (halfPlane) Name() string { return "halfplane" }
func (halfPlane) Dim() int     { return 2 }
func (halfPlane) LogProb(x []float64) float64 {
	if x[0] <= 0 {
		return math.Inf(-1)
	}
	return -0.5 * (x[0]*x[0] + x[1]*x[1])
}
func (h halfPlane) Score(dst, x []float64) []float64 {
	if x[0] <= 0 {
		dst[0], dst[1] = math.NaN(), math.NaN()
		return dst
	}
	dst[0], dst[1] = -x[0], -x[1]
	return dst
}

func TestClipScore(t *testing.T) {
	g, _ := targets.NewGMM("gmm40")
	e := NewMCEstimator(g, 1, 1.4)
	v := []float64{3, 4}
	e.clipScore(v)
	if math.Abs(math.Hypot(v[0], v[1])-1.4) > 1e-12 || math.Abs(v[0]/v[1]-0.75) > 1e-12 {
		t.Fatalf("clipped to %v, want norm 1.4 along (3, 4)", v)
	}
	dw, err := targets.Lookup("dw4")
	if err != nil {
		t.Fatal(err)
	}
	p := NewMCEstimator(dw, 1, 2)
	v = []float64{3, 4, 0.3, 0.4, 0, 0, -6, 8}
	p.clipScore(v)
	want := []float64{1.2, 1.6, 0.3, 0.4, 0, 0, -1.2, 1.6}
	for i := range v {
		if math.Abs(v[i]-want[i]) > 1e-12 {
			t.Fatalf("per-particle clip gave %v, want %v", v, want)
		}
	}
}

// TestMCEstimatorMixExactForGaussian: for a Gaussian target of standard
// deviation s the Tweedie-mixed estimator with scale s is exact whatever the
// samples, even with K = 1.
func TestMCEstimatorMixExactForGaussian(t *testing.T) {
	const s = 1.7
	g, err := targets.NewMixture("gauss", [][]float64{{2, -1}}, []float64{s}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(11, 12))
	for _, k := range []int{1, 7} {
		e := NewMCEstimator(g, k, 0)
		e.SetMix(s)
		for _, sigma := range []float64{0.01, 1, 30} {
			x := []float64{3 * rng.NormFloat64(), 3 * rng.NormFloat64()}
			got, want := make([]float64, 2), make([]float64, 2)
			e.Estimate(got, x, sigma, rng)
			g.NoisedLogProbScore(want, x, sigma)
			for j := range got {
				if math.Abs(got[j]-want[j]) > 1e-9*math.Max(1, math.Abs(want[j])) {
					t.Errorf("K=%d σ=%v: mixed estimate %v, exact %v", k, sigma, got, want)
				}
			}
		}
	}
}

// TestMCEstimatorMixReducesVariance: on gmm40 at large σ the mixed estimator
// is much closer to the exact noised score than the target-score form with
// the same samples.
func TestMCEstimatorMixReducesVariance(t *testing.T) {
	g, err := targets.NewGMM("gmm40")
	if err != nil {
		t.Fatal(err)
	}
	plain, mixed := NewMCEstimator(g, 100, 0), NewMCEstimator(g, 100, 0)
	mixed.SetMix(g.ModeStd(0))
	rng := rand.New(rand.NewPCG(13, 14))
	var errPlain, errMixed float64
	for range 200 {
		x := []float64{30 * rng.NormFloat64(), 30 * rng.NormFloat64()}
		want := make([]float64, 2)
		g.NoisedLogProbScore(want, x, 20)
		seed := rng.Uint64()
		got := make([]float64, 2)
		plain.Estimate(got, x, 20, rand.New(rand.NewPCG(seed, 0)))
		errPlain += math.Hypot(got[0]-want[0], got[1]-want[1])
		mixed.Estimate(got, x, 20, rand.New(rand.NewPCG(seed, 0)))
		errMixed += math.Hypot(got[0]-want[0], got[1]-want[1])
	}
	if errMixed > errPlain/5 {
		t.Fatalf("mean error at σ=20: mixed %.3g, target-score %.3g; want at least 5× smaller", errMixed/200, errPlain/200)
	}
	t.Logf("mean error at σ=20: mixed %.3g, target-score %.3g", errMixed/200, errPlain/200)
}
