package sim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"iwsm/targets"
)

// MALAConfig sets the Metropolis-adjusted Langevin (MALA) corrector, an
// optional last stage of sampling that uses the target's energy: each of
// Steps steps proposes, for every sample x independently,
//
//	y = x + ε c(x) + √(2ε) ξ,   ξ ~ N(0, I),   c(x) = ∇ log π(x) clipped to norm Clip,
//
// and accepts y with probability min(1, π(y) q(x|y) / π(x) q(y|x)), q being
// that Gaussian proposal. Every step leaves π invariant, so the corrector can
// only move the sampler's output towards π; it is not part of IW-SM or iDEM
// (whose samples are the reverse SDE's), and the results report it
// separately. For particle systems the drift is clipped per particle and
// the drift and noise are projected to zero centre of mass, so the chain
// stays in the mean-free subspace where the proposal density is the same
// Gaussian. Over the first half of the steps ε is tuned, after every step,
// towards MALA's optimal acceptance rate 0.574 (Roberts and Rosenthal, 1998)
// from the acceptance of the whole batch; the second half keeps it fixed.
type MALAConfig struct {
	Steps    int     `json:"steps"`     // number of MALA steps; 0 disables the corrector
	StepSize float64 `json:"step_size"` // initial step size ε > 0
	Clip     float64 `json:"clip"`      // maximal norm of the drift (per particle); 0 disables clipping
}

// DefaultMALAConfig returns 3000 steps from ε = 10⁻³ with the drift clipped
// to clip (the trainer's ScoreClip is the natural choice). The results use
// 3000 steps: on LJ-13, whose stiff walls keep ε near 4·10⁻⁴, 1000 steps
// still left E-W2 above 1 on some runs (README.md).
func DefaultMALAConfig(clip float64) MALAConfig {
	return MALAConfig{Steps: 3000, StepSize: 1e-3, Clip: clip}
}

// Validate reports a setting out of range.
func (c MALAConfig) Validate() error {
	switch {
	case c.Steps < 0 || c.Steps > 1_000_000:
		return fmt.Errorf("sim: %d MALA steps out of range [0, 1000000]", c.Steps)
	case !(c.StepSize > 0) || math.IsInf(c.StepSize, 0):
		return fmt.Errorf("sim: MALA step size %v must be positive and finite", c.StepSize)
	case !(c.Clip >= 0) || math.IsInf(c.Clip, 0):
		return fmt.Errorf("sim: MALA drift clip %v must be ≥ 0 and finite", c.Clip)
	}
	return nil
}

// MALAStats summarises a corrector run.
type MALAStats struct {
	// Acceptance is the fraction of proposals accepted over the steps with
	// the final step size (the second half; every step when Steps = 1).
	Acceptance float64
	// StepSize is the final ε.
	StepSize float64
	// NonFiniteBefore and NonFiniteAfter count the samples whose log density
	// was not finite (an infinite or NaN energy) before and after.
	NonFiniteBefore, NonFiniteAfter int
}

// malaTargetAcceptance is the acceptance rate the step size is tuned towards.
const malaTargetAcceptance = 0.574

// MALA runs the corrector on the samples x (n×d, row-major) of target t in
// place. A sample whose energy is infinite or NaN accepts the first proposal
// with a finite one (the limit of the Metropolis ratio), and a proposal with a
// non-finite energy is rejected, so no NaN is created. x is first projected
// to zero centre of mass for particle systems.
func MALA(t targets.Target, x []float64, cfg MALAConfig, rng *rand.Rand) (MALAStats, error) {
	if err := cfg.Validate(); err != nil {
		return MALAStats{}, err
	}
	d := t.Dim()
	if len(x) == 0 || len(x)%d != 0 {
		return MALAStats{}, errors.New("sim: MALA needs a non-empty batch of whole samples")
	}
	n := len(x) / d
	block := d
	project := targets.MeanFreeProjector(t)
	if ps, ok := t.(targets.ParticleSystem); ok {
		_, block = ps.Particles()
	}
	if project == nil {
		project = func([]float64) {}
	}
	drift := func(c []float64) {
		for i, v := range c {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				c[i] = 0
			}
		}
		clipBlocks(c, cfg.Clip, block)
		project(c)
	}

	project(x)
	lp := make([]float64, n)
	c := make([]float64, len(x))
	targets.LogProbScoreBatch(t, lp, c, x)
	drift(c)
	st := MALAStats{StepSize: cfg.StepSize}
	for _, v := range lp {
		if !finite(v) {
			st.NonFiniteBefore++
		}
	}

	y := make([]float64, len(x))
	cy := make([]float64, len(x))
	lpy := make([]float64, n)
	xi := make([]float64, len(x))
	eps := cfg.StepSize
	adapt := cfg.Steps / 2
	accepted, proposed := 0, 0
	for step := range cfg.Steps {
		sd := math.Sqrt(2 * eps)
		for j := range xi {
			xi[j] = rng.NormFloat64()
		}
		project(xi)
		for j := range y {
			y[j] = x[j] + eps*c[j] + sd*xi[j]
		}
		targets.LogProbScoreBatch(t, lpy, cy, y)
		drift(cy)
		acc := 0
		for i := range n {
			if !acceptMALA(x[i*d:(i+1)*d], y[i*d:(i+1)*d], cy[i*d:(i+1)*d], xi[i*d:(i+1)*d], lp[i], lpy[i], eps, rng) {
				continue
			}
			acc++
			copy(x[i*d:(i+1)*d], y[i*d:(i+1)*d])
			copy(c[i*d:(i+1)*d], cy[i*d:(i+1)*d])
			lp[i] = lpy[i]
		}
		if step < adapt {
			eps *= math.Exp(float64(acc)/float64(n) - malaTargetAcceptance)
			continue
		}
		accepted += acc
		proposed += n
	}
	st.StepSize = eps
	if proposed > 0 {
		st.Acceptance = float64(accepted) / float64(proposed)
	}
	for _, v := range lp {
		if !finite(v) {
			st.NonFiniteAfter++
		}
	}
	return st, nil
}

// acceptMALA draws the Metropolis–Hastings decision for the move x → y,
// where y = x + ε c(x) + √(2ε) ξ, cy = c(y), lpx = log π(x), lpy = log π(y):
//
//	log α = lpy − lpx − ‖x − y − ε c(y)‖²/4ε + ‖ξ‖²/2,
//
// the last term being ‖y − x − ε c(x)‖²/4ε.
func acceptMALA(x, y, cy, xi []float64, lpx, lpy, eps float64, rng *rand.Rand) bool {
	switch {
	case !finite(lpy):
		return false
	case !finite(lpx):
		return true
	}
	var back, fwd float64
	for j := range x {
		r := x[j] - y[j] - eps*cy[j]
		back += r * r
		fwd += xi[j] * xi[j]
	}
	logA := lpy - lpx - back/(4*eps) + fwd/2
	return logA >= 0 || math.Log(rng.Float64()) < logA
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
