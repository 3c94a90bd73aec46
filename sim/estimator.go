package sim

import (
	"math"
	"math/rand/v2"

	"iwsm/targets"
)

// MCEstimator computes the Monte Carlo estimates of the noised target at a
// point x and noise level σ from K energy evaluations (METHOD.md):
//
//	y_k = x + σ ε_k,  ε_k ~ N(0, I),  a_k = log π̃(y_k),
//	log p̃_t(x) ≈ logsumexp_k a_k − log K,
//	Ŝ(x, t)    = Σ_k softmax(a)_k ∇ log π(y_k).
//
// The same K evaluations serve both. Ŝ is the paper's "target score"
// estimator; its variance does not shrink as σ grows, where the true noised
// score does, which makes it very noisy at large t. With a mixing scale s > 0
// (SetMix) the estimator instead returns
//
//	Ŝ = α Σ_k softmax(a)_k ∇ log π(y_k) + (1 − α) Σ_k softmax(a)_k ε_k/σ,  α = s²/(s² + σ²),
//
// a convex combination of the target-score and the Tweedie (ε/σ) estimates
// of the same score, both self-normalized over the same samples. For a
// Gaussian target of standard deviation s it is exact with zero variance;
// in general it keeps the target-score form where σ ≪ s and the
// low-variance Tweedie form where σ ≫ s. A non-finite a_k (an infinite or NaN
// energy) is a zero-weight sample. Ŝ is clipped to norm Clip, over the whole
// vector or, for particle systems, per particle. For particle systems ε_k is
// projected to the centre-of-mass-free subspace.
//
// An MCEstimator holds K×d scratch and belongs to one goroutine.
type MCEstimator struct {
	target     targets.Target
	k          int
	clip       float64 // maximal norm of Ŝ; 0 disables
	mix        float64 // mixing scale s of the Tweedie combination; 0 is the pure target-score form
	particles  int     // particle count for per-particle clipping and mean-free noise; 0 otherwise
	spatialDim int

	y, a, g []float64 // K×d points, K log densities, K×d scores
}

// NewMCEstimator returns an estimator with k Monte Carlo samples per point
// and score clip norm clip (0: no clipping). Particle systems are detected
// through targets.ParticleSystem.
func NewMCEstimator(t targets.Target, k int, clip float64) *MCEstimator {
	if k < 1 {
		panic("sim: Monte Carlo estimator needs K ≥ 1")
	}
	d := t.Dim()
	e := &MCEstimator{target: t, k: k, clip: clip,
		y: make([]float64, k*d), a: make([]float64, k), g: make([]float64, k*d)}
	if ps, ok := t.(targets.ParticleSystem); ok {
		e.particles, e.spatialDim = ps.Particles()
	}
	return e
}

// SetMix sets the mixing scale s ≥ 0 of the target-score and Tweedie
// estimates (0, the default, is the paper's pure target-score estimator).
func (e *MCEstimator) SetMix(s float64) {
	if !(s >= 0) || math.IsInf(s, 0) {
		panic("sim: estimator mixing scale must be finite and ≥ 0")
	}
	e.mix = s
}

// K returns the number of Monte Carlo samples per point.
func (e *MCEstimator) K() int { return e.k }

// Estimate writes Ŝ(x, t) into score (len d) and returns the estimate of
// log p̃_t(x), both at noise level sigma = σ_t, drawing ε from rng. When
// every a_k is non-finite the result is −Inf with a zero score.
func (e *MCEstimator) Estimate(score, x []float64, sigma float64, rng *rand.Rand) float64 {
	d := e.target.Dim()
	if len(x) != d || len(score) != d {
		panic("sim: estimator dimension mismatch")
	}
	for k := range e.k {
		yk := e.y[k*d : (k+1)*d]
		for j := range yk {
			yk[j] = rng.NormFloat64()
		}
		if e.particles > 0 {
			targets.RemoveMean(yk, e.particles, e.spatialDim)
		}
		for j := range yk {
			yk[j] = x[j] + sigma*yk[j]
		}
	}
	targets.LogProbScoreBatch(e.target, e.a, e.g, e.y)
	maxA := math.Inf(-1)
	for _, a := range e.a {
		if a > maxA && !math.IsInf(a, 1) {
			maxA = a
		}
	}
	for j := range score {
		score[j] = 0
	}
	if math.IsInf(maxA, -1) || math.IsNaN(maxA) {
		return math.Inf(-1)
	}
	// With mixing, score[j] accumulates α ∇log π(y_k) + (1−α)(y_k − x)/σ²
	// per sample, (y_k − x)/σ² being ε_k/σ.
	alpha, beta := 1.0, 0.0
	if e.mix > 0 && sigma > 0 {
		s2 := e.mix * e.mix
		alpha = s2 / (s2 + sigma*sigma)
		beta = (1 - alpha) / (sigma * sigma)
	}
	var sum float64
	for k, a := range e.a {
		if math.IsNaN(a) || math.IsInf(a, 0) {
			continue
		}
		w := math.Exp(a - maxA)
		sum += w
		gk := e.g[k*d : (k+1)*d]
		if beta == 0 {
			for j, v := range gk {
				score[j] += w * v
			}
			continue
		}
		yk := e.y[k*d : (k+1)*d]
		for j, v := range gk {
			score[j] += w * (alpha*v + beta*(yk[j]-x[j]))
		}
	}
	for j := range score {
		score[j] /= sum
	}
	e.clipScore(score)
	return maxA + math.Log(sum) - math.Log(float64(e.k))
}

// clipScore scales score down to norm e.clip: per particle for particle
// systems, as one vector otherwise.
func (e *MCEstimator) clipScore(score []float64) {
	block := len(score)
	if e.particles > 0 {
		block = e.spatialDim
	}
	clipBlocks(score, e.clip, block)
}

// clipBlocks scales every consecutive block of v (len(v) a multiple of block)
// down to norm at most c; c ≤ 0 leaves v unchanged.
func clipBlocks(v []float64, c float64, block int) {
	if c <= 0 {
		return
	}
	for i := 0; i < len(v); i += block {
		clipNorm(v[i:i+block], c)
	}
}

// clipNorm scales v in place so that ‖v‖ ≤ c.
func clipNorm(v []float64, c float64) {
	var s float64
	for _, x := range v {
		s += x * x
	}
	if s > c*c {
		f := c / math.Sqrt(s)
		for i := range v {
			v[i] *= f
		}
	}
}
