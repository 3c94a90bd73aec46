package targets

import (
	"errors"
	"math"
	"math/rand/v2"
)

// Target is an unnormalized density π(x) ∝ exp(−E(x)) on R^d.
type Target interface {
	// Name is the registry name of the target, e.g. "gmm40".
	Name() string
	// Dim is the dimension d of x.
	Dim() int
	// LogProb returns log π̃(x) = −E(x), up to the unknown constant log Z.
	// It is −Inf where the energy is infinite or not a number, and never NaN.
	LogProb(x []float64) float64
	// Score writes ∇ log π(x) = −∇E(x) into dst (allocated when nil; it must
	// not overlap x) and returns it. It is finite wherever LogProb is
	// finite, and zero where it is not.
	Score(dst, x []float64) []float64
}

// BatchTarget evaluates a target on a batch of points at once, the trainer's
// hot path (K Monte Carlo points for every point of every batch).
type BatchTarget interface {
	Target
	// LogProbScoreBatch evaluates n = len(logp) points held row-major in x
	// (n×d): logp[i] = log π̃(x_i) and score[i·d:(i+1)·d] = ∇ log π(x_i).
	// score may be nil when only the densities are needed; no output may
	// overlap x. It allocates nothing and gives bit for bit the values of
	// LogProb and Score. Targets are safe for concurrent use, so disjoint
	// parts of a batch may be evaluated in parallel.
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
	// SampleInto fills dst (n×d, row-major) with n = len(dst)/d independent
	// exact samples drawn with rng.
	SampleInto(dst []float64, rng *rand.Rand)
}

// Bounded is a target with a natural box for drawing and for the defensive proposal.
type Bounded interface {
	// Bounds returns copies of the lower and upper corners of the box.
	Bounds() (lo, hi []float64)
}

// ParticleSystem is a target whose x holds the positions of n identical
// particles in R^D, x = (x_1, …, x_n) row-major (d = n·D). Its energy is
// invariant under translations, rotations and permutations of the
// particles; samplers keep x in the centre-of-mass-free subspace Σ_i x_i = 0
// (see RemoveMeanBatch), which has EffectiveDim(n, D) = (n − 1)·D degrees of
// freedom.
type ParticleSystem interface {
	// Particles returns the particle count n and the spatial dimension D.
	Particles() (n, spatialDim int)
}

// ErrNoReference is returned (wrapped) by Referenced.Reference for a target
// that has no reference set in this project, such as LJ-55.
var ErrNoReference = errors.New("targets: no reference set available")

// Referenced is a target with reference samples from the equilibrium
// distribution (long MCMC runs), used by the metrics.
type Referenced interface {
	// Reference returns the reference set of a split, "test" or "val", as a
	// fresh flat row-major rows×d slice that the caller owns. Particle
	// systems' sets are centred: every row has zero particle mean. An unknown
	// split is an error; a target without data returns an error wrapping
	// ErrNoReference.
	Reference(split string) ([]float64, error)
}

// NoiseHinter is a target that suggests the (σ_min, σ_max) of the geometric
// variance-exploding schedule σ_t² = σ_min² ((σ_max/σ_min)^{2t} − 1), in the
// target's own units (iDEM's values for the benchmarks).
type NoiseHinter interface {
	// NoiseHint returns 0 < σ_min < σ_max.
	NoiseHint() (sigmaMin, sigmaMax float64)
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

// EnergyBatch writes the energies E(x_i) = −log π̃(x_i) of the n = len(x)/d
// rows of x (n×d) into dst (allocated when nil) and returns it; +Inf marks an
// infinite energy. For the metrics (E-W2): the particle systems' energies
// are exactly the benchmarks'; a normalized target's includes log Z.
func EnergyBatch(t Target, dst, x []float64) []float64 {
	d := t.Dim()
	if len(x)%d != 0 {
		panic("targets: batch is not a whole number of points")
	}
	n := len(x) / d
	if dst == nil {
		dst = make([]float64, n)
	}
	if len(dst) != n {
		panic("targets: batch size mismatch")
	}
	LogProbScoreBatch(t, dst, nil, x)
	for i, lp := range dst {
		dst[i] = -lp
	}
	return dst
}

// finite reports whether v is neither NaN nor ±Inf.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// zero sets every entry of s to 0.
func zero(s []float64) {
	for i := range s {
		s[i] = 0
	}
}
