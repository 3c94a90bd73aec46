package sim

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSincosScaled compares sincosScaled (AVX2 where present, with a tail
// for the portable code) and sincosReduced with math.Sincos on arguments
// u·f over the whole range of the reduction (log-uniform magnitudes from
// 1e-8 to sincosMaxArg, both signs, multiples of π/4 and the embedding's
// own frequencies), and past it, where math.Sincos takes over: within
// 2·2^-53 absolute (sin and cos are at most 1).
func TestSincosScaled(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 15))
	net, err := NewMLP(DefaultMLPConfig(2), nil)
	if err != nil {
		t.Fatal(err)
	}
	freqs := [][]float64{net.freq, {1, 0.5, 0.25, 0.125, 1e-4, 1, 0.7}}
	const tol = 2 * 0x1p-53
	worst := 0.0
	check := func(name string, x, s, c float64) {
		ws, wc := math.Sincos(x)
		e := math.Max(math.Abs(s-ws), math.Abs(c-wc))
		worst = math.Max(worst, e)
		if !(e <= tol) {
			t.Fatalf("%s: sincos(%v) = %v, %v, want %v, %v", name, x, s, c, ws, wc)
		}
	}
	for trial := range 3000 {
		u := math.Copysign(math.Pow(10, -8+14*rng.Float64()), rng.Float64()-0.5)
		switch trial % 6 {
		case 0:
			u = float64(rng.IntN(2000)-1000) * math.Pi / 4
		case 1:
			u = 30 * rng.NormFloat64() / 2 // the MLP's gmm40 coordinates
		}
		if trial == 0 {
			u = 2 * sincosMaxArg // past the reduction: math.Sincos
		}
		for _, f := range freqs {
			s, c := make([]float64, len(f)), make([]float64, len(f))
			sincosScaled(s, c, f, u)
			for k, fk := range f {
				check("sincosScaled", u*fk, s[k], c[k])
				if math.Abs(u*fk) <= sincosMaxArg {
					rs, rc := sincosReduced(u * fk)
					check("sincosReduced", u*fk, rs, rc)
				}
			}
		}
	}
	t.Logf("largest difference from math.Sincos: %.3g (%.2f·2^-53)", worst, worst/0x1p-53)
	s, c := make([]float64, 5), make([]float64, 5)
	sincosScaled(s, c, []float64{1, 1, 1, 1, 1}, math.NaN())
	if !math.IsNaN(s[0]) || !math.IsNaN(c[4]) {
		t.Errorf("sincos(NaN) = %v, %v", s, c)
	}
}
