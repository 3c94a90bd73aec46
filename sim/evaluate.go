package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"iwsm/targets"
)

// Metrics are the sample-quality figures of METHOD.md for one set of
// generated samples against a reference set of the same size. Fields that do
// not apply to the target are zero and left out of the JSON form.
type Metrics struct {
	N   int     // samples compared
	W2  float64 // x-W2, exact
	MMD float64 // biased MMD² with the RBF kernel sum

	HasModes bool    // the target is a mixture with known modes
	Covered  int     // modes holding ≥ 20 % of their fair share
	Modes    int     // number of modes
	Outside  int     // samples beyond 3σ of every mode
	ModeTV   float64 // mode-weight TV

	HasEnergy  bool    // the target is a particle system
	EnergyW2   float64 // squared 1-D W2 of the energies
	DistTV     float64 // interatomic-distance histogram TV
	HighEnergy int     // samples whose energy exceeds the reference's highest
}

// MarshalJSON writes the metrics that apply to the target under the names
// of the command line's JSON lines: n, w2, mmd; covered, modes, outside,
// mode_tv for mixtures; e_w2, dist_tv, high_energy for particle systems.
func (m Metrics) MarshalJSON() ([]byte, error) {
	out := map[string]any{"n": m.N, "w2": m.W2, "mmd": m.MMD}
	if m.HasModes {
		out["covered"], out["modes"], out["outside"], out["mode_tv"] = m.Covered, m.Modes, m.Outside, m.ModeTV
	}
	if m.HasEnergy {
		out["e_w2"], out["dist_tv"], out["high_energy"] = m.EnergyW2, m.DistTV, m.HighEnergy
	}
	return json.Marshal(out)
}

// Evaluator compares generated samples with a fixed reference set: exact
// samples for targets that have an exact sampler, the "test" reference set
// otherwise (its first n rows, or a seeded random subset of n rows).
type Evaluator struct {
	target    targets.Target
	ref       []float64
	refEnergy []float64
	refMaxE   float64 // the reference's highest energy
	n         int
	particles [2]int // particle count and spatial dimension, or zeros
	w2        W2Solver
}

// NewEvaluator prepares a reference of n samples for t, drawn with rng from
// the exact sampler when t has one, else taken at random (with rng) from
// its "test" reference set.
func NewEvaluator(t targets.Target, n int, rng *rand.Rand) (*Evaluator, error) {
	if n < 2 {
		return nil, fmt.Errorf("sim: evaluation needs at least 2 samples, got %d", n)
	}
	d := t.Dim()
	e := &Evaluator{target: t, n: n}
	if ps, ok := t.(targets.ParticleSystem); ok {
		e.particles[0], e.particles[1] = ps.Particles()
	}
	switch src := t.(type) {
	case targets.ExactSampler:
		e.ref = make([]float64, n*d)
		src.SampleInto(e.ref, rng)
	case targets.Referenced:
		all, err := src.Reference("test")
		if err != nil {
			return nil, err
		}
		rows := len(all) / d
		if rows < n {
			return nil, fmt.Errorf("sim: the %s reference set has %d samples, fewer than %d", t.Name(), rows, n)
		}
		e.ref = make([]float64, 0, n*d)
		for _, i := range rng.Perm(rows)[:n] {
			e.ref = append(e.ref, all[i*d:(i+1)*d]...)
		}
	default:
		return nil, fmt.Errorf("sim: target %s has neither an exact sampler nor a reference set", t.Name())
	}
	if e.particles[0] > 0 {
		e.refEnergy = targets.EnergyBatch(t, nil, e.ref)
		e.refMaxE = math.Inf(-1)
		for _, v := range e.refEnergy {
			e.refMaxE = math.Max(e.refMaxE, v)
		}
	}
	return e, nil
}

// Reference returns the reference samples (n×d); the slice is the
// evaluator's own.
func (e *Evaluator) Reference() []float64 { return e.ref }

// N returns the number of samples the evaluator compares.
func (e *Evaluator) N() int { return e.n }

// Evaluate computes the metrics of x (n×d). Non-finite samples are an error
// naming how many there were, never a NaN metric.
func (e *Evaluator) Evaluate(x []float64) (Metrics, error) {
	d := e.target.Dim()
	if len(x) != e.n*d {
		return Metrics{}, fmt.Errorf("sim: evaluating %d values, want %d samples × %d", len(x), e.n, d)
	}
	m := Metrics{N: e.n}
	var err error
	if m.W2, err = e.w2.Distance(x, e.ref, d); err != nil {
		return m, err
	}
	if m.MMD, err = MMD(x, e.ref, d, nil); err != nil {
		return m, err
	}
	if mo, ok := e.target.(targets.Moder); ok {
		cov, err := Coverage(x, mo)
		if err != nil {
			return m, err
		}
		m.HasModes, m.Covered, m.Modes, m.Outside, m.ModeTV = true, cov.Covered, cov.Modes, cov.Outside, cov.ModeTV
	}
	if e.particles[0] > 0 {
		m.HasEnergy = true
		gen := targets.EnergyBatch(e.target, nil, x)
		if m.EnergyW2, err = EnergyW2(gen, e.refEnergy); err != nil {
			var nf *NonFiniteError
			if !errors.As(err, &nf) {
				return m, err
			}
			return m, fmt.Errorf("sim: %w (a sample whose energy is infinite, e.g. coincident particles)", err)
		}
		if m.DistTV, err = DistanceTV(x, e.ref, e.particles[0], e.particles[1], 0); err != nil {
			return m, err
		}
		// E-W2 is squared and so dominated by a few exploded configurations;
		// their count says how many there are.
		for _, v := range gen {
			if v > e.refMaxE {
				m.HighEnergy++
			}
		}
	}
	return m, nil
}
