package targets

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// ManyWell is a 2-D many-well: the sum of two symmetric 1-D double wells,
//
//	E(x) = h Σ_{j=1,2} (x_j²/a² − 1)²,  log π̃ = −E,
//
// with four equal modes at (±a, ±a) separated by barriers of height h
// (2h over the central hill). The coordinates are independent, which gives
// an exact sampler (see SampleInto).
type ManyWell struct {
	name    string
	a, h    float64
	half    float64 // box half-width
	lambda  float64 // rate of the Gamma(½, λ) proposal
	modeStd float64 // RMS distance of a coordinate to ±a within its well
}

// NewManyWell returns the many-well with well position a > 0 and barrier
// h > 0. The box is [−2a, 2a]².
func NewManyWell(name string, a, h float64) (*ManyWell, error) {
	if !(a > 0) || math.IsInf(a, 0) || !(h > 0) || math.IsInf(h, 0) {
		return nil, fmt.Errorf("targets: many-well needs positive finite a and h, got %v, %v", a, h)
	}
	t := &ManyWell{name: name, a: a, h: h, half: 2 * a}
	// λ maximizing the large-h acceptance √(λ/h) e^{−λ − λ²/4h}.
	t.lambda = h * (math.Sqrt(1+1/h) - 1)
	// E[(u − 1)² | u > 0] for u = x/a with density ∝ exp(−h(u² − 1)²), by the
	// trapezoid rule (the integrand vanishes at both ends of [0, 1 + 8/√h]).
	const m = 20000
	hi := 1 + 8/math.Sqrt(h)
	var z, m2 float64
	for i := 1; i < m; i++ {
		u := hi * float64(i) / m
		w := math.Exp(-h * (u*u - 1) * (u*u - 1))
		z += w
		m2 += w * (u - 1) * (u - 1)
	}
	t.modeStd = a * math.Sqrt(m2/z)
	return t, nil
}

// Name returns the target's name.
func (t *ManyWell) Name() string { return t.name }

// Dim returns 2.
func (t *ManyWell) Dim() int { return 2 }

// Bounds returns the box [−2a, 2a]².
func (t *ManyWell) Bounds() (lo, hi []float64) {
	return []float64{-t.half, -t.half}, []float64{t.half, t.half}
}

// NoiseHint returns (σ_min, σ_max) = (1e−3, 2a), σ_max the box half-width.
func (t *ManyWell) NoiseHint() (sigmaMin, sigmaMax float64) { return 1e-3, t.half }

// Modes returns the four minima (±a, ±a).
func (t *ManyWell) Modes() [][]float64 {
	a := t.a
	return [][]float64{{-a, -a}, {a, -a}, {-a, a}, {a, a}}
}

// ModeStd returns the root-mean-square distance of one coordinate to its
// well's minimum, √E[(x_j − a)² | x_j > 0], the same for every mode.
func (t *ManyWell) ModeStd(k int) float64 { return t.modeStd }

// ModeWeights returns the four equal weights ¼.
func (t *ManyWell) ModeWeights() []float64 { return []float64{0.25, 0.25, 0.25, 0.25} }

// LogProb returns −E(x); −Inf where E overflows or x is not finite.
func (t *ManyWell) LogProb(x []float64) float64 {
	if len(x) != 2 {
		panic("targets: dimension mismatch")
	}
	return -t.energy(nil, x)
}

// Score writes −∇E(x), −∂E/∂x_j = −4h x_j (x_j²/a² − 1)/a², into dst.
func (t *ManyWell) Score(dst, x []float64) []float64 {
	if dst == nil {
		dst = make([]float64, 2)
	}
	if len(x) != 2 || len(dst) != 2 {
		panic("targets: dimension mismatch")
	}
	t.energy(dst, x)
	return dst
}

// LogProbScoreBatch evaluates the rows of x (n×2); see BatchTarget.
func (t *ManyWell) LogProbScoreBatch(logp, score, x []float64) {
	if len(x) != 2*len(logp) || (score != nil && len(score) != len(x)) {
		panic("targets: batch size mismatch")
	}
	for i := range logp {
		var s []float64
		if score != nil {
			s = score[2*i : 2*i+2]
		}
		logp[i] = -t.energy(s, x[2*i:2*i+2])
	}
}

// energy returns E(x) and, when s is not nil, writes −∇E(x) into it.
func (t *ManyWell) energy(s, x []float64) float64 {
	ia2 := 1 / (t.a * t.a)
	q0, q1 := x[0]*x[0]*ia2-1, x[1]*x[1]*ia2-1
	e := t.h * (q0*q0 + q1*q1)
	if s != nil {
		c := -4 * t.h * ia2
		s[0], s[1] = c*x[0]*q0, c*x[1]*q1
	}
	return guard(e, s)
}

// SampleInto fills dst (n×2) with exact samples, coordinate by coordinate.
// With x = a·u the density of u is ∝ exp(−h(u² − 1)²), so v = u² has density
// ∝ v^{−½} exp(−h(v − 1)²) on v > 0. A proposal v ~ Gamma(½, rate λ)
// (density ∝ v^{−½} e^{−λv}, drawn as z²/2λ with z ~ N(0, 1)) is kept with
// probability exp(−h(v − 1 − λ/2h)²), the ratio of the two densities over
// its maximum e^{λ + λ²/4h}; then u = ±√v with a fair sign.
func (t *ManyWell) SampleInto(dst []float64, rng *rand.Rand) {
	if len(dst)%2 != 0 {
		panic("targets: sample buffer is not a whole number of points")
	}
	c := 1 + t.lambda/(2*t.h)
	for i := range dst {
		var v float64
		for {
			z := rng.NormFloat64()
			v = z * z / (2 * t.lambda)
			dv := v - c
			if rng.Float64() < math.Exp(-t.h*dv*dv) {
				break
			}
		}
		u := math.Sqrt(v)
		if rng.Uint64()&1 == 0 {
			u = -u
		}
		dst[i] = t.a * u
	}
}
