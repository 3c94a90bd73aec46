package targets

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// Rings is a normalized mixture of concentric Gaussian rings in R²:
//
//	π(x) = Σ_k w_k exp(−(‖x‖ − r_k)² / 2s²) / Z_k,
//	Z_k = 2π [s² e^{−r_k²/2s²} + r_k s √(2π) Φ(r_k/s)],
//
// with Φ the standard normal CDF, so that ring k holds probability w_k. In
// polar coordinates ring k is θ ~ U(0, 2π) independent of a radius with
// density ∝ r exp(−(r − r_k)²/2s²) on r > 0 (the Jacobian r included), which
// SampleInto draws exactly by rejection (see there).
type Rings struct {
	name    string
	radii   []float64 // r_k ≥ 0
	weights []float64 // w_k, summing to 1
	logC    []float64 // log w_k − log Z_k
	s       float64
	half    float64 // box half-width
}

// NewRings returns rings of the given radii (≥ 0), common radial standard
// deviation s > 0 and weights (nil for equal; positive otherwise, normalized).
// The box is [−h, h]² with h = max r_k + 4s, rounded up to an integer.
func NewRings(name string, radii []float64, s float64, weights []float64) (*Rings, error) {
	k := len(radii)
	if k == 0 {
		return nil, errors.New("targets: rings need at least one radius")
	}
	if !(s > 0) || math.IsInf(s, 0) {
		return nil, fmt.Errorf("targets: ring width %v, want a positive finite number", s)
	}
	if weights != nil && len(weights) != k {
		return nil, fmt.Errorf("targets: %d radii but %d weights", k, len(weights))
	}
	t := &Rings{name: name, radii: append([]float64(nil), radii...), weights: make([]float64, k),
		logC: make([]float64, k), s: s}
	var total, rmax float64
	for i, r := range radii {
		if !(r >= 0) || math.IsInf(r, 0) {
			return nil, fmt.Errorf("targets: ring radius %d is %v, want a finite number ≥ 0", i, r)
		}
		w := 1.0
		if weights != nil {
			w = weights[i]
			if !(w > 0) || math.IsInf(w, 0) {
				return nil, fmt.Errorf("targets: ring weight %d is %v, want a positive finite number", i, w)
			}
		}
		t.weights[i] = w
		total += w
		rmax = math.Max(rmax, r)
	}
	for i, r := range t.radii {
		t.weights[i] /= total
		z := 2 * math.Pi * (s*s*math.Exp(-r*r/(2*s*s)) + r*s*math.Sqrt(2*math.Pi)*0.5*math.Erfc(-r/(s*math.Sqrt2)))
		t.logC[i] = math.Log(t.weights[i]) - math.Log(z)
	}
	t.half = math.Ceil(rmax + 4*s)
	return t, nil
}

// Name returns the target's name.
func (t *Rings) Name() string { return t.name }

// Dim returns 2.
func (t *Rings) Dim() int { return 2 }

// Bounds returns the box [−h, h]².
func (t *Rings) Bounds() (lo, hi []float64) {
	return []float64{-t.half, -t.half}, []float64{t.half, t.half}
}

// NoiseHint returns (σ_min, σ_max) = (1e−3, h): σ_max the box half-width,
// σ_min well below the ring width s.
func (t *Rings) NoiseHint() (sigmaMin, sigmaMax float64) { return 1e-3, t.half }

// LogProb returns log π(x) (normalized).
func (t *Rings) LogProb(x []float64) float64 {
	if len(x) != 2 {
		panic("targets: dimension mismatch")
	}
	return t.eval(nil, x)
}

// Score writes ∇ log π(x) = (x/‖x‖) Σ_k ρ_k(x) (r_k − ‖x‖)/s² into dst,
// with ρ_k the ring responsibilities; it is zero at the origin, where the
// density has a cusp.
func (t *Rings) Score(dst, x []float64) []float64 {
	if dst == nil {
		dst = make([]float64, 2)
	}
	if len(x) != 2 || len(dst) != 2 {
		panic("targets: dimension mismatch")
	}
	t.eval(dst, x)
	return dst
}

// LogProbScoreBatch evaluates the rows of x (n×2); see BatchTarget.
func (t *Rings) LogProbScoreBatch(logp, score, x []float64) {
	if len(x) != 2*len(logp) || (score != nil && len(score) != len(x)) {
		panic("targets: batch size mismatch")
	}
	for i := range logp {
		var s []float64
		if score != nil {
			s = score[2*i : 2*i+2]
		}
		logp[i] = t.eval(s, x[2*i:2*i+2])
	}
}

// eval returns log π(x) and, when s is not nil, writes the score into it.
func (t *Rings) eval(s, x []float64) float64 {
	r := math.Sqrt(x[0]*x[0] + x[1]*x[1])
	inv := 1 / (t.s * t.s)
	maxA, sum, g := math.Inf(-1), 0.0, 0.0 // g accumulates Σ e_k (r_k − r)/s²
	for k, rk := range t.radii {
		dr := r - rk
		a := t.logC[k] - 0.5*dr*dr*inv
		if !(a > maxA-lseCut) {
			continue
		}
		var e float64
		if a > maxA {
			scale := math.Exp(maxA - a)
			sum *= scale
			g *= scale
			maxA, e = a, 1
		} else {
			e = math.Exp(a - maxA)
		}
		sum += e
		g -= e * dr * inv
	}
	if sum == 0 || !finite(maxA) {
		zero(s)
		return math.Inf(-1)
	}
	if s != nil {
		s[0], s[1] = 0, 0
		if r > 0 {
			g /= sum
			s[0], s[1] = g*(x[0]/r), g*(x[1]/r)
			if !finite(s[0]) || !finite(s[1]) {
				s[0], s[1] = 0, 0
				return math.Inf(-1)
			}
		}
	}
	return maxA + math.Log(sum)
}

// SampleInto fills dst (n×2) with exact samples. A ring k is picked with
// probability w_k, θ ~ U(0, 2π), and the radius r = r_k + u is drawn from
// f(r) ∝ r φ(u) 1{r > 0}, φ(u) = e^{−u²/2s²}, by rejection from the envelope
// g(u) = (r_k + |u|) φ(u) ≥ f: g is the mixture of r_k φ(u) (mass
// r_k s √(2π), a normal) and |u| φ(u) (mass 2s², a Rayleigh(s) magnitude
// with a random sign), and a proposal is kept with probability
// r / (r_k + |u|) when r > 0.
func (t *Rings) SampleInto(dst []float64, rng *rand.Rand) {
	if len(dst)%2 != 0 {
		panic("targets: sample buffer is not a whole number of points")
	}
	s := t.s
	for i := 0; i < len(dst); i += 2 {
		k := pickWeight(t.weights, rng.Float64())
		rk := t.radii[k]
		pNormal := rk * s * math.Sqrt(2*math.Pi) / (rk*s*math.Sqrt(2*math.Pi) + 2*s*s)
		var r float64
		for {
			var u float64
			if rng.Float64() < pNormal {
				u = s * rng.NormFloat64()
			} else {
				u = s * math.Sqrt(2*rng.ExpFloat64())
				if rng.Uint64()&1 == 0 {
					u = -u
				}
			}
			r = rk + u
			if r > 0 && rng.Float64()*(rk+math.Abs(u)) < r {
				break
			}
		}
		theta := 2 * math.Pi * rng.Float64()
		dst[i], dst[i+1] = r*math.Cos(theta), r*math.Sin(theta)
	}
}

// pickWeight returns the index whose cumulative weight first exceeds
// u ∈ [0, 1).
func pickWeight(weights []float64, u float64) int {
	for k, w := range weights {
		u -= w
		if u < 0 {
			return k
		}
	}
	return len(weights) - 1
}
