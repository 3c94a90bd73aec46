package targets

import "math/rand/v2"

// Target is an unnormalized density π(x) ∝ exp(−E(x)) on R^d.
type Target interface {
	// Name is the registry name of the target, e.g. "gmm40".
	Name() string
	// Dim is the dimension d of x.
	Dim() int
	// LogProb returns log π̃(x) = −E(x), up to the unknown constant log Z.
	// It is −Inf where the energy is infinite and never NaN.
	LogProb(x []float64) float64
	// Score writes ∇ log π(x) into dst (allocated when nil) and returns it.
	// It is finite wherever LogProb is finite, and zero where it is not.
	Score(dst, x []float64) []float64
}

// BatchTarget evaluates a target on a batch of points at once, the trainer's
// hot path (K Monte Carlo points for every point of every batch).
type BatchTarget interface {
	Target
	// LogProbScoreBatch evaluates n = len(logp) points held row-major in x
	// (n×d): logp[i] = log π̃(x_i) and score[i·d:(i+1)·d] = ∇ log π(x_i).
	// score may be nil when only the densities are needed. It allocates nothing.
	LogProbScoreBatch(logp, score, x []float64)
}

// Moder is a target whose modes are known, such as a Gaussian mixture.
type Moder interface {
	// Modes returns the mode centres, one row per mode.
	Modes() [][]float64
	// ModeStd returns the isotropic standard deviation of mode k.
	ModeStd(k int) float64
	// ModeWeights returns the mixture weights, summing to 1.
	ModeWeights() []float64
}

// ExactSampler is a target that can draw exact samples.
type ExactSampler interface {
	// SampleInto fills dst (n×d, row-major) with n = len(dst)/d exact samples.
	SampleInto(dst []float64, rng *rand.Rand)
}

// Bounded is a target with a natural box for drawing and for the defensive proposal.
type Bounded interface {
	// Bounds returns the lower and upper corners of the box.
	Bounds() (lo, hi []float64)
}

// LogProbScoreBatch evaluates any target on a batch, using its batched path
// when it has one and a loop over points otherwise. See BatchTarget.
func LogProbScoreBatch(t Target, logp, score, x []float64) {
	if b, ok := t.(BatchTarget); ok {
		b.LogProbScoreBatch(logp, score, x)
		return
	}
	d := t.Dim()
	if len(x) != len(logp)*d || (score != nil && len(score) != len(x)) {
		panic("targets: batch size mismatch")
	}
	for i := range logp {
		xi := x[i*d : (i+1)*d]
		logp[i] = t.LogProb(xi)
		if score != nil {
			t.Score(score[i*d:(i+1)*d], xi)
		}
	}
}
