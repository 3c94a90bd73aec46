package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// SamplerConfig holds the settings of the reverse-SDE sampler.
type SamplerConfig struct {
	// Steps is the number N of reverse steps on the grid t_i = 1 − i/N
	// (iDEM uses 1000).
	Steps int
	// Eta is the diffusion scale η multiplying the noise term (iDEM: 1 for
	// gmm40 and DW-4, 0.9 for LJ-13, 0.5 for LJ-55).
	Eta float64
	// Project, when not nil, is applied to the whole n×d batch after the
	// prior draw and after every step; particle systems use it to remove the
	// centre of mass.
	Project func(x []float64)
}

// DefaultSamplerConfig returns iDEM's sampler settings for mixtures:
// 1000 Euler–Maruyama steps at full diffusion.
func DefaultSamplerConfig() SamplerConfig { return SamplerConfig{Steps: 1000, Eta: 1} }

// Validate reports whether the settings are usable.
func (c SamplerConfig) Validate() error {
	if c.Steps < 1 || c.Steps > 1_000_000 {
		return fmt.Errorf("sim: sampler steps %d out of range [1, 1000000]", c.Steps)
	}
	if !(c.Eta >= 0) || c.Eta > 10 {
		return fmt.Errorf("sim: diffusion scale %v out of range [0, 10]", c.Eta)
	}
	return nil
}

// Sampler integrates the reverse-time SDE of a VE schedule with
// Euler–Maruyama, one step per call so that a caller can draw every step:
//
//	x ← x + g(t)² s(x, t) Δt + η g(t) √Δt ξ,  Δt = 1/N,  ξ ~ N(0, I),
//
// from x ~ N(0, h(1) I) at t = 1 down to t = 0. A score entry that is not
// finite is treated as zero and counted in NonFinite, so that a bad score
// never puts a NaN into the positions.
type Sampler struct {
	score ScoreFunc
	sched VESchedule
	cfg   SamplerConfig
	rng   *rand.Rand
	dim   int
	x     []float64 // n×d positions
	s     []float64 // n×d score scratch
	step  int

	// NonFinite counts the score entries that were NaN or infinite and were
	// replaced by zero since the last Reset.
	NonFinite int
}

// NewSampler returns a sampler of n points in R^dim driven by score, already
// reset to fresh prior noise drawn from rng.
func NewSampler(score ScoreFunc, sched VESchedule, dim, n int, cfg SamplerConfig, rng *rand.Rand) (*Sampler, error) {
	if err := sched.Validate(); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if dim < 1 || n < 1 {
		return nil, fmt.Errorf("sim: sampler needs dim ≥ 1 and n ≥ 1, got dim %d, n %d", dim, n)
	}
	if score == nil || rng == nil {
		return nil, fmt.Errorf("sim: sampler needs a score function and a random source")
	}
	s := &Sampler{score: score, sched: sched, cfg: cfg, rng: rng, dim: dim,
		x: make([]float64, n*dim), s: make([]float64, n*dim)}
	s.Reset()
	return s, nil
}

// Reset draws fresh prior noise and returns the sampler to t = 1.
func (s *Sampler) Reset() {
	sd := s.sched.PriorStd()
	for i := range s.x {
		s.x[i] = sd * s.rng.NormFloat64()
	}
	if s.cfg.Project != nil {
		s.cfg.Project(s.x)
	}
	s.step, s.NonFinite = 0, 0
}

// SetScore replaces the score function, e.g. after the network was trained
// further; the positions are kept.
func (s *Sampler) SetScore(score ScoreFunc) { s.score = score }

// Done reports whether the sampler has reached t = 0.
func (s *Sampler) Done() bool { return s.step >= s.cfg.Steps }

// Time returns the current time t = 1 − i/N.
func (s *Sampler) Time() float64 { return 1 - float64(s.step)/float64(s.cfg.Steps) }

// StepIndex returns the number i of steps taken since the last Reset.
func (s *Sampler) StepIndex() int { return s.step }

// Steps returns the total number N of steps of a run.
func (s *Sampler) Steps() int { return s.cfg.Steps }

// Dim returns the dimension of each point.
func (s *Sampler) Dim() int { return s.dim }

// Len returns the number of points.
func (s *Sampler) Len() int { return len(s.x) / s.dim }

// Positions returns the current n×d positions. The slice is owned by the
// sampler and changes on the next Step; copy it to keep it.
func (s *Sampler) Positions() []float64 { return s.x }

// Step advances every point by one Euler–Maruyama step; it does nothing once
// Done.
func (s *Sampler) Step() {
	if s.Done() {
		return
	}
	dt := 1 / float64(s.cfg.Steps)
	t := s.Time()
	g2 := s.sched.G2(t)
	noise := s.cfg.Eta * math.Sqrt(g2*dt)
	s.score.Score(s.s, s.x, t)
	for i, si := range s.s {
		if math.IsNaN(si) || math.IsInf(si, 0) {
			si = 0
			s.NonFinite++
		}
		s.x[i] += g2*si*dt + noise*s.rng.NormFloat64()
	}
	if s.cfg.Project != nil {
		s.cfg.Project(s.x)
	}
	s.step++
}

// Run takes the remaining steps down to t = 0.
func (s *Sampler) Run() {
	for !s.Done() {
		s.Step()
	}
}
