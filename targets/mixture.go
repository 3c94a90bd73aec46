package targets

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// Mixture is a mixture of isotropic Gaussians on R^d:
//
//	π(x) = Σ_k w_k N(x; μ_k, s_k² I).
//
// It is normalized, so LogProb is the exact log density. Its noised version,
// the mixture convolved with N(0, σ² I), is again a mixture with variances
// s_k² + σ², which gives the exact noised density and score used by the
// oracle sampler and by the tests of the Monte Carlo estimators.
type Mixture struct {
	name    string
	dim     int
	means   []float64 // K×d, row-major
	std     []float64 // s_k
	weights []float64 // w_k, summing to 1
	logw    []float64 // log w_k
	lo, hi  []float64 // drawing box
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
		weights: make([]float64, k), logw: make([]float64, k), lo: make([]float64, d), hi: make([]float64, d)}
	for j := range d {
		m.lo[j], m.hi[j] = math.Inf(1), math.Inf(-1)
	}
	var total float64
	for i, mu := range means {
		if len(mu) != d {
			return nil, fmt.Errorf("targets: mean %d has %d coordinates, want %d", i, len(mu), d)
		}
		for j, v := range mu {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("targets: mean %d is not finite", i)
			}
			m.lo[j] = math.Min(m.lo[j], v-4*std[i])
			m.hi[j] = math.Max(m.hi[j], v+4*std[i])
		}
		m.means = append(m.means, mu...)
		if !(std[i] > 0) || math.IsInf(std[i], 0) {
			return nil, fmt.Errorf("targets: standard deviation %d is %v, want a positive finite number", i, std[i])
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
	for i := range m.weights {
		m.weights[i] /= total
		m.logw[i] = math.Log(m.weights[i])
	}
	return m, nil
}

// Name returns the mixture's name.
func (m *Mixture) Name() string { return m.name }

// Dim returns the dimension d.
func (m *Mixture) Dim() int { return m.dim }

// NumModes returns the number of components K.
func (m *Mixture) NumModes() int { return len(m.std) }

// Modes returns a copy of the means, one row per mode.
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
// means' hull).
func (m *Mixture) SetBounds(lo, hi []float64) {
	if len(lo) != m.dim || len(hi) != m.dim {
		panic("targets: bounds dimension mismatch")
	}
	copy(m.lo, lo)
	copy(m.hi, hi)
}

// LogProb returns log π(x).
func (m *Mixture) LogProb(x []float64) float64 { return m.NoisedLogProbScore(nil, x, 0) }

// Score writes ∇ log π(x) into dst.
func (m *Mixture) Score(dst, x []float64) []float64 {
	if dst == nil {
		dst = make([]float64, m.dim)
	}
	m.NoisedLogProbScore(dst, x, 0)
	return dst
}

// LogProbScoreBatch evaluates n = len(logp) points of x (n×d) at once.
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
// nothing: a single pass keeps a running log-sum-exp and rescales the score
// accumulator whenever the running maximum grows.
func (m *Mixture) NoisedLogProbScore(dst, x []float64, sigma float64) float64 {
	d := m.dim
	if len(x) != d || (dst != nil && len(dst) != d) {
		panic("targets: dimension mismatch")
	}
	for j := range dst {
		dst[j] = 0
	}
	s2 := sigma * sigma
	maxA, sum := math.Inf(-1), 0.0
	for k := range m.std {
		v := m.std[k]*m.std[k] + s2
		mu := m.means[k*d : (k+1)*d]
		var r2 float64
		for j, xj := range x {
			dj := xj - mu[j]
			r2 += dj * dj
		}
		a := m.logw[k] - 0.5*r2/v - 0.5*float64(d)*math.Log(2*math.Pi*v)
		if math.IsNaN(a) || math.IsInf(a, -1) {
			continue
		}
		var e float64
		if a > maxA {
			scale := math.Exp(maxA - a) // 0 on the first term
			sum *= scale
			for j := range dst {
				dst[j] *= scale
			}
			maxA, e = a, 1
		} else {
			e = math.Exp(a - maxA)
		}
		sum += e
		if dst != nil {
			c := e / v
			for j, xj := range x {
				dst[j] += c * (mu[j] - xj)
			}
		}
	}
	if sum == 0 || math.IsInf(maxA, -1) {
		for j := range dst {
			dst[j] = 0
		}
		return math.Inf(-1)
	}
	for j := range dst {
		dst[j] /= sum
	}
	return maxA + math.Log(sum)
}

// SampleInto fills dst (n×d) with exact samples: pick mode k with probability
// w_k, then add N(0, s_k² I) noise.
func (m *Mixture) SampleInto(dst []float64, rng *rand.Rand) {
	d := m.dim
	if len(dst)%d != 0 {
		panic("targets: sample buffer is not a whole number of points")
	}
	for i := 0; i < len(dst); i += d {
		k := m.pick(rng.Float64())
		mu := m.means[k*d : (k+1)*d]
		for j := range d {
			dst[i+j] = mu[j] + m.std[k]*rng.NormFloat64()
		}
	}
}

// pick returns the mode whose cumulative weight first exceeds u ∈ [0, 1).
func (m *Mixture) pick(u float64) int {
	for k, w := range m.weights {
		u -= w
		if u < 0 {
			return k
		}
	}
	return len(m.weights) - 1
}
