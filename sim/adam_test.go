package sim

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"gonum.org/v1/gonum/floats"
)

// quadGrad writes the gradient of f(θ) = ½ Σ a_i (θ_i − c_i)² into g.
func quadGrad(g, theta, a, c []float64) {
	for i := range g {
		g[i] = a[i] * (theta[i] - c[i])
	}
}

func TestAdamMinimizesQuadratic(t *testing.T) {
	// An ill-conditioned quadratic (curvatures 1e-2 … 1e2) with its minimum
	// away from the start; clipping on, as in training.
	a := []float64{1e-2, 0.1, 1, 10, 100}
	c := []float64{3, -2, 0.5, 1, -4}
	theta := make([]float64, len(a))
	cfg := DefaultAdamConfig()
	cfg.LR = 0.05
	opt, err := NewAdam(len(a), cfg)
	if err != nil {
		t.Fatal(err)
	}
	g := make([]float64, len(a))
	for step := range 6000 {
		if step == 3000 || step == 4500 {
			opt.SetLR(opt.Config().LR / 10)
		}
		quadGrad(g, theta, a, c)
		if _, err := opt.Step(theta, g); err != nil {
			t.Fatal(err)
		}
	}
	for i := range c {
		if math.Abs(theta[i]-c[i]) > 1e-3 {
			t.Errorf("θ_%d = %v, want the minimum %v", i, theta[i], c[i])
		}
	}
	if opt.Steps() != 6000 {
		t.Errorf("Steps() = %d, want 6000", opt.Steps())
	}
}

func TestAdamFirstStepIsSignStep(t *testing.T) {
	// With bias correction the first update is −α g/(|g| + ε): a step of
	// length α against the sign of every coordinate, whatever its scale.
	cfg := DefaultAdamConfig()
	cfg.ClipNorm = 0
	opt, _ := NewAdam(3, cfg)
	theta := []float64{1, 1, 1}
	g := []float64{1e-3, -5, 2e2}
	opt.Step(theta, g)
	step := func(g float64) float64 { return cfg.LR * g / (math.Abs(g) + cfg.Eps) }
	for i := range g {
		if want := 1 - step(g[i]); math.Abs(theta[i]-want) > 1e-15 {
			t.Errorf("θ_%d = %.15g, want %.15g", i, theta[i], want)
		}
	}
	// Second step with the same gradient: m̂ = g and v̂ = g², the same step again.
	opt.Step(theta, g)
	for i := range g {
		if want := 1 - 2*step(g[i]); math.Abs(theta[i]-want) > 1e-15 {
			t.Errorf("second step: θ_%d = %.15g, want %.15g", i, theta[i], want)
		}
	}
}

func TestAdamClipsGradientNorm(t *testing.T) {
	cfg := DefaultAdamConfig() // clip 0.5
	opt, _ := NewAdam(4, cfg)
	g := []float64{3, -4, 0, 12} // ‖g‖ = 13
	dir := append([]float64(nil), g...)
	norm, err := opt.Step(make([]float64, 4), g)
	if err != nil || norm != 13 {
		t.Fatalf("returned norm %v, %v; want the unclipped 13", norm, err)
	}
	if got := floats.Norm(g, 2); math.Abs(got-0.5) > 1e-15 {
		t.Fatalf("‖clipped g‖ = %v, want 0.5", got)
	}
	for i := range g {
		if math.Abs(g[i]-dir[i]*0.5/13) > 1e-16 {
			t.Fatalf("clipping changed the direction: %v", g)
		}
	}
	// A gradient under the cap is left alone.
	small := []float64{0.1, 0.2, 0, 0}
	opt.Step(make([]float64, 4), small)
	if small[0] != 0.1 || small[1] != 0.2 {
		t.Fatalf("a gradient under the cap was changed: %v", small)
	}
	// The updates are those of an unclipped optimizer fed the clipped gradients.
	off := cfg
	off.ClipNorm = 0
	clipped, _ := NewAdam(2, cfg)
	ref, _ := NewAdam(2, off)
	p1, p2 := []float64{1, 2}, []float64{1, 2}
	for k := range 20 {
		g1 := []float64{10 * math.Sin(float64(k)), 7 * math.Cos(float64(k))}
		g2 := append([]float64(nil), g1...)
		if n := floats.Norm(g2, 2); n > 0.5 {
			floats.Scale(0.5/n, g2)
		}
		clipped.Step(p1, g1)
		ref.Step(p2, g2)
	}
	if math.Abs(p1[0]-p2[0]) > 1e-15 || math.Abs(p1[1]-p2[1]) > 1e-15 {
		t.Fatalf("clipped run %v, reference %v", p1, p2)
	}
}

func TestAdamRejectsNonFiniteGradient(t *testing.T) {
	opt, _ := NewAdam(3, DefaultAdamConfig())
	theta := []float64{1, 2, 3}
	for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		g := []float64{0.1, bad, 0.3}
		_, err := opt.Step(theta, g)
		var nf *NonFiniteGradientError
		if !errors.As(err, &nf) || nf.Index != 1 {
			t.Fatalf("gradient with %v: error %v, want a NonFiniteGradientError at index 1", bad, err)
		}
		if theta[0] != 1 || theta[1] != 2 || theta[2] != 3 || opt.Steps() != 0 {
			t.Fatalf("a rejected step changed the state: θ %v, steps %d", theta, opt.Steps())
		}
	}
	// Huge but finite entries are fine: the norm is computed with scaling.
	g := []float64{1e200, 1e200, 0}
	if n, err := opt.Step(theta, g); err != nil || math.IsInf(n, 0) {
		t.Fatalf("huge finite gradient: norm %v, error %v", n, err)
	}
}

func TestAdamWeightDecay(t *testing.T) {
	cfg := DefaultAdamConfig()
	cfg.WeightDecay = 0.1
	opt, _ := NewAdam(2, cfg)
	theta := []float64{2, -3}
	opt.Step(theta, []float64{0, 0}) // g = λθ only: a sign step towards 0
	if math.Abs(theta[0]-(2-cfg.LR)) > 1e-9 || math.Abs(theta[1]-(-3+cfg.LR)) > 1e-9 {
		t.Fatalf("θ = %v after a pure weight-decay step", theta)
	}
}

func TestAdamEMATracksParameters(t *testing.T) {
	cfg := DefaultAdamConfig()
	cfg.EMADecay = 0.9
	cfg.LR = 0.1
	opt, _ := NewAdam(2, cfg)
	if opt.EMA() != nil {
		t.Fatal("EMA before the first step")
	}
	a, c := []float64{1, 4}, []float64{1, -1}
	theta, g := []float64{0, 0}, make([]float64, 2)
	var want []float64
	for k := range 300 {
		quadGrad(g, theta, a, c)
		opt.Step(theta, g)
		// Oracle: the recursion on the recorded trajectory.
		if k == 0 {
			want = append([]float64(nil), theta...)
		} else {
			for i := range want {
				want[i] = 0.9*want[i] + 0.1*theta[i]
			}
		}
		for i := range want {
			if math.Abs(opt.EMA()[i]-want[i]) > 1e-12 {
				t.Fatalf("step %d: EMA %v, want %v", k, opt.EMA(), want)
			}
		}
	}
	for i := range c {
		if math.Abs(opt.EMA()[i]-c[i]) > 0.05 {
			t.Errorf("EMA_%d = %v, want near the minimum %v", i, opt.EMA()[i], c[i])
		}
	}
	off, _ := NewAdam(2, DefaultAdamConfig())
	off.Step(theta, g)
	if off.EMA() != nil {
		t.Fatal("EMA present although off")
	}
	opt.Reset()
	if opt.Steps() != 0 || opt.EMA() != nil {
		t.Fatal("Reset kept state")
	}
}

func TestAdamConfigValidate(t *testing.T) {
	for name, mod := range map[string]func(*AdamConfig){
		"zero lr":       func(c *AdamConfig) { c.LR = 0 },
		"NaN lr":        func(c *AdamConfig) { c.LR = math.NaN() },
		"beta1 = 1":     func(c *AdamConfig) { c.Beta1 = 1 },
		"negative beta": func(c *AdamConfig) { c.Beta2 = -0.1 },
		"zero eps":      func(c *AdamConfig) { c.Eps = 0 },
		"negative clip": func(c *AdamConfig) { c.ClipNorm = -1 },
		"infinite wd":   func(c *AdamConfig) { c.WeightDecay = math.Inf(1) },
		"ema 1":         func(c *AdamConfig) { c.EMADecay = 1 },
	} {
		c := DefaultAdamConfig()
		mod(&c)
		if _, err := NewAdam(3, c); err == nil {
			t.Errorf("%s: accepted %+v", name, c)
		}
	}
	if _, err := NewAdam(0, DefaultAdamConfig()); err == nil {
		t.Error("accepted zero parameters")
	}
	if err := DefaultAdamConfig().Validate(); err != nil {
		t.Error(err)
	}
}

func TestAdamStepAllocatesNothing(t *testing.T) {
	cfg := DefaultAdamConfig()
	cfg.EMADecay = 0.99
	opt, _ := NewAdam(1000, cfg)
	p, g := make([]float64, 1000), make([]float64, 1000)
	for i := range g {
		g[i] = float64(i)
	}
	if n := testing.AllocsPerRun(10, func() { opt.Step(p, g) }); n != 0 {
		t.Fatalf("%v allocations per step", n)
	}
}

// ExampleAdam minimizes f(θ) = (θ₀ − 3)² + 10 (θ₁ + 1)² with Adam and
// gradient clipping.
func ExampleAdam() {
	cfg := DefaultAdamConfig()
	cfg.LR = 0.01
	opt, err := NewAdam(2, cfg)
	if err != nil {
		panic(err)
	}
	theta, grad := []float64{0, 0}, make([]float64, 2)
	for range 3000 {
		grad[0] = 2 * (theta[0] - 3)
		grad[1] = 20 * (theta[1] + 1)
		if _, err := opt.Step(theta, grad); err != nil {
			panic(err)
		}
	}
	fmt.Printf("θ = (%.2f, %.2f)\n", theta[0], theta[1])
	// Output: θ = (3.00, -1.00)
}
