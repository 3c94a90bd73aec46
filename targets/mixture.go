package targets

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// lseCut is the log-sum-exp cut-off: a mixture term whose log weight lies
// more than lseCut below the largest (or, in a running sum, the largest so
// far) is skipped, which changes the result by less than K·e^{−50} ≈ K·2e−22
// relative (below rounding) and saves an exponential for every far-away mode.
const lseCut = 50

// Mixture is a mixture of isotropic Gaussians on R^d:
//
//	π(x) = Σ_k w_k N(x; μ_k, s_k² I).
//
// It is normalized, so LogProb is the exact log density. Its noised version,
// the mixture convolved with N(0, σ² I), is again a mixture with variances
// s_k² + σ², which gives the exact noised density and score used by the
// oracle sampler and by the tests of the Monte Carlo estimators. A Mixture is
// safe for concurrent use once built (the setters excepted).
type Mixture struct {
	name       string
	dim        int
	means      []float64 // K×d, row-major
	std        []float64 // s_k
	invVar     []float64 // 1/s_k²
	logNorm    []float64 // log w_k − (d/2) log(2π s_k²)
	weights    []float64 // w_k, summing to 1
	logw       []float64 // log w_k
	uniformStd bool      // every s_k equal
	lo, hi     []float64 // drawing box
	hintMin    float64   // NoiseHint override; 0 for the default rule
	hintMax    float64
}

// NewMixture builds a mixture from its means (one row per mode, all of the same
// dimension), per-mode standard deviations and weights. weights may be nil
// for equal weights; otherwise they must be positive and are normalized. The
// box is the means' bounding box widened by four standard deviations.
func NewMixture(name string, means [][]float64, std, weights []float64) (*Mixture, error) {
	k := len(means)
	if k == 0 {
		return nil, errors.New("targets: a mixture needs at least one mode")
	}
	d := len(means[0])
	if d == 0 {
		return nil, errors.New("targets: mixture means must have at least one coordinate")
	}
	if len(std) != k {
		return nil, fmt.Errorf("targets: %d means but %d standard deviations", k, len(std))
	}
	if weights != nil && len(weights) != k {
		return nil, fmt.Errorf("targets: %d means but %d weights", k, len(weights))
	}
	m := &Mixture{name: name, dim: d, means: make([]float64, 0, k*d), std: append([]float64(nil), std...),
		invVar: make([]float64, k), logNorm: make([]float64, k),
		weights: make([]float64, k), logw: make([]float64, k), lo: make([]float64, d), hi: make([]float64, d),
		uniformStd: true}
	for j := range d {
		m.lo[j], m.hi[j] = math.Inf(1), math.Inf(-1)
	}
	var total float64
	for i, mu := range means {
		if len(mu) != d {
			return nil, fmt.Errorf("targets: mean %d has %d coordinates, want %d", i, len(mu), d)
		}
		if !(std[i] > 0) || math.IsInf(std[i], 0) {
			return nil, fmt.Errorf("targets: standard deviation %d is %v, want a positive finite number", i, std[i])
		}
		for j, v := range mu {
			if !finite(v) {
				return nil, fmt.Errorf("targets: mean %d is not finite", i)
			}
			m.lo[j] = math.Min(m.lo[j], v-4*std[i])
			m.hi[j] = math.Max(m.hi[j], v+4*std[i])
		}
		m.means = append(m.means, mu...)
		if std[i] != std[0] {
			m.uniformStd = false
		}
		w := 1.0
		if weights != nil {
			w = weights[i]
			if !(w > 0) || math.IsInf(w, 0) {
				return nil, fmt.Errorf("targets: weight %d is %v, want a positive finite number", i, w)
			}
		}
		m.weights[i] = w
		total += w
	}
	if math.IsInf(total, 0) {
		return nil, errors.New("targets: mixture weights overflow")
	}
	for i := range m.weights {
		m.weights[i] /= total
		m.logw[i] = math.Log(m.weights[i])
		v := m.std[i] * m.std[i]
		m.invVar[i] = 1 / v
		m.logNorm[i] = m.logw[i] - 0.5*float64(d)*math.Log(2*math.Pi*v)
	}
	return m, nil
}

// Name returns the mixture's name.
func (m *Mixture) Name() string { return m.name }

// Dim returns the dimension d.
func (m *Mixture) Dim() int { return m.dim }

// NumModes returns the number of components K.
func (m *Mixture) NumModes() int { return len(m.std) }

// Modes returns a copy of the means μ_k, one row per mode.
func (m *Mixture) Modes() [][]float64 {
	out := make([][]float64, len(m.std))
	for k := range out {
		out[k] = append([]float64(nil), m.means[k*m.dim:(k+1)*m.dim]...)
	}
	return out
}

// ModeStd returns s_k.
func (m *Mixture) ModeStd(k int) float64 { return m.std[k] }

// ModeWeights returns a copy of the weights w_k.
func (m *Mixture) ModeWeights() []float64 { return append([]float64(nil), m.weights...) }

// Bounds returns the drawing box.
func (m *Mixture) Bounds() (lo, hi []float64) {
	return append([]float64(nil), m.lo...), append([]float64(nil), m.hi...)
}

// SetBounds replaces the drawing box (the benchmarks use a box wider than the
// means' hull). It panics unless lo and hi have d entries.
func (m *Mixture) SetBounds(lo, hi []float64) {
	if len(lo) != m.dim || len(hi) != m.dim {
		panic("targets: bounds dimension mismatch")
	}
	copy(m.lo, lo)
	copy(m.hi, hi)
}

// NoiseHint returns the schedule set by SetNoiseHint or, by default,
// σ_max = the box's largest half-width and σ_min = 1e−5 σ_max, iDEM's ratio
// for gmm40: (5e−4, 50) for gmm40, (1e−3, 100) for gmm80, (1.5e−3, 150) for
// gmm120.
func (m *Mixture) NoiseHint() (sigmaMin, sigmaMax float64) {
	if m.hintMax > 0 {
		return m.hintMin, m.hintMax
	}
	var half float64
	for j := range m.lo {
		half = math.Max(half, (m.hi[j]-m.lo[j])/2)
	}
	return 1e-5 * half, half
}

// SetNoiseHint overrides NoiseHint; it needs 0 < σ_min < σ_max < ∞.
func (m *Mixture) SetNoiseHint(sigmaMin, sigmaMax float64) error {
	if !(sigmaMin > 0) || !(sigmaMax > sigmaMin) || math.IsInf(sigmaMax, 0) {
		return fmt.Errorf("targets: noise hint needs 0 < sigma_min < sigma_max < inf, got (%v, %v)", sigmaMin, sigmaMax)
	}
	m.hintMin, m.hintMax = sigmaMin, sigmaMax
	return nil
}

// LogProb returns log π(x) (normalized).
func (m *Mixture) LogProb(x []float64) float64 { return m.NoisedLogProbScore(nil, x, 0) }

// Score writes ∇ log π(x) = Σ_k r_k(x) (μ_k − x)/s_k² into dst, with
// r_k(x) = w_k N(x; μ_k, s_k² I)/π(x) the responsibilities.
func (m *Mixture) Score(dst, x []float64) []float64 {
	if dst == nil {
		dst = make([]float64, m.dim)
	}
	m.NoisedLogProbScore(dst, x, 0)
	return dst
}

// LogProbScoreBatch evaluates n = len(logp) points of x (n×d) at once; see
// BatchTarget.
func (m *Mixture) LogProbScoreBatch(logp, score, x []float64) {
	m.NoisedBatch(logp, score, x, 0)
}

// NoisedBatch is the batched NoisedLogProbScore: logp[i] = log p_σ(x_i) and,
// when score is not nil, score row i = ∇ log p_σ(x_i).
func (m *Mixture) NoisedBatch(logp, score, x []float64, sigma float64) {
	d := m.dim
	if len(x) != len(logp)*d || (score != nil && len(score) != len(x)) {
		panic("targets: batch size mismatch")
	}
	for i := range logp {
		var s []float64
		if score != nil {
			s = score[i*d : (i+1)*d]
		}
		logp[i] = m.NoisedLogProbScore(s, x[i*d:(i+1)*d], sigma)
	}
}

// NoisedLogProbScore returns log p_σ(x) for the mixture convolved with
// N(0, σ² I),
//
//	p_σ(x) = Σ_k w_k N(x; μ_k, (s_k² + σ²) I),
//
// and, when dst is not nil, writes the exact noised score
// ∇ log p_σ(x) = Σ_k r_k (μ_k − x)/(s_k² + σ²), with r_k the posterior
// responsibilities, into dst. σ = 0 gives the target itself. It allocates
// nothing: a first pass finds the largest log term a* = max_k a_k, a second
// sums e^{a_k − a*} over the terms within lseCut of it (log-sum-exp). A
// non-finite x gives −Inf and a zero score.
func (m *Mixture) NoisedLogProbScore(dst, x []float64, sigma float64) float64 {
	d := m.dim
	if len(x) != d || (dst != nil && len(dst) != d) {
		panic("targets: dimension mismatch")
	}
	zero(dst)
	c := m.noiseConsts(sigma)
	if m.uniformStd && d == 2 {
		return m.noised2(dst, x, c)
	}
	maxA := math.Inf(-1)
	for k := range m.std {
		if a, _ := m.logTerm(k, x, c); a > maxA { // NaN never counts
			maxA = a
		}
	}
	if !finite(maxA) {
		return math.Inf(-1)
	}
	var sum float64
	for k := range m.std {
		a, inv := m.logTerm(k, x, c)
		if !(a > maxA-lseCut) {
			continue
		}
		e := math.Exp(a - maxA)
		sum += e
		if dst != nil {
			mu := m.means[k*d : (k+1)*d : (k+1)*d]
			ce := e * inv
			if d == 2 {
				dst[0] += ce * (mu[0] - x[0])
				dst[1] += ce * (mu[1] - x[1])
			} else {
				for j, xj := range x {
					dst[j] += ce * (mu[j] - xj)
				}
			}
		}
	}
	for j := range dst {
		dst[j] /= sum
		if !finite(dst[j]) {
			zero(dst)
			return math.Inf(-1)
		}
	}
	return maxA + math.Log(sum)
}

// noised2 is NoisedLogProbScore for the common case of a 2-D mixture whose
// modes share one width (every benchmark mixture), with the terms written
// out: a_k = log w_k + norm − ½ ‖x − μ_k‖² inv.
func (m *Mixture) noised2(dst, x []float64, c noiseConsts) float64 {
	x0, x1 := x[0], x[1]
	half := 0.5 * c.inv
	means := m.means[:2*len(m.logw)]
	maxA := math.Inf(-1)
	for k, lw := range m.logw {
		d0, d1 := x0-means[2*k], x1-means[2*k+1]
		if a := lw - (d0*d0+d1*d1)*half; a > maxA { // NaN never counts
			maxA = a
		}
	}
	if !finite(maxA) {
		zero(dst)
		return math.Inf(-1)
	}
	var sum, g0, g1 float64
	for k, lw := range m.logw {
		d0, d1 := x0-means[2*k], x1-means[2*k+1]
		a := lw - (d0*d0+d1*d1)*half
		if !(a > maxA-lseCut) {
			continue
		}
		e := math.Exp(a - maxA)
		sum += e
		g0 -= e * d0
		g1 -= e * d1
	}
	if dst != nil {
		dst[0], dst[1] = g0*c.inv/sum, g1*c.inv/sum
		if !finite(dst[0]) || !finite(dst[1]) {
			zero(dst)
			return math.Inf(-1)
		}
	}
	return maxA + c.norm + math.Log(sum)
}

// noiseConsts holds what the terms of p_σ share for one σ.
type noiseConsts struct {
	s2   float64 // σ²
	inv  float64 // 1/(s² + σ²) when every s_k is equal
	norm float64 // −(d/2) log(2π(s² + σ²)) when every s_k is equal
}

// noiseConsts computes the shared constants for σ.
func (m *Mixture) noiseConsts(sigma float64) noiseConsts {
	c := noiseConsts{s2: sigma * sigma}
	if m.uniformStd {
		if c.s2 == 0 {
			c.inv, c.norm = m.invVar[0], m.logNorm[0]-m.logw[0]
		} else {
			v := m.std[0]*m.std[0] + c.s2
			c.inv, c.norm = 1/v, -0.5*float64(m.dim)*math.Log(2*math.Pi*v)
		}
	}
	return c
}

// logTerm returns a_k = log w_k + log N(x; μ_k, v_k I) and 1/v_k for
// v_k = s_k² + σ².
func (m *Mixture) logTerm(k int, x []float64, c noiseConsts) (a, inv float64) {
	switch {
	case m.uniformStd:
		inv, a = c.inv, m.logw[k]+c.norm
	case c.s2 == 0:
		inv, a = m.invVar[k], m.logNorm[k]
	default:
		v := m.std[k]*m.std[k] + c.s2
		inv, a = 1/v, m.logw[k]-0.5*float64(m.dim)*math.Log(2*math.Pi*v)
	}
	d := m.dim
	mu := m.means[k*d : (k+1)*d : (k+1)*d]
	var r2 float64
	if d == 2 { // the common case, without the loop
		d0, d1 := x[0]-mu[0], x[1]-mu[1]
		r2 = d0*d0 + d1*d1
	} else {
		for j, xj := range x {
			dj := xj - mu[j]
			r2 += dj * dj
		}
	}
	return a - 0.5*r2*inv, inv
}

// SampleInto fills dst (n×d) with exact samples: pick mode k with probability
// w_k, then add N(0, s_k² I) noise.
func (m *Mixture) SampleInto(dst []float64, rng *rand.Rand) {
	d := m.dim
	if len(dst)%d != 0 {
		panic("targets: sample buffer is not a whole number of points")
	}
	for i := 0; i < len(dst); i += d {
		k := pickWeight(m.weights, rng.Float64())
		mu := m.means[k*d : (k+1)*d]
		for j := range d {
			dst[i+j] = mu[j] + m.std[k]*rng.NormFloat64()
		}
	}
}
