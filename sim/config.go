package sim

import (
	"fmt"
	"math"
	"runtime"

	"iwsm/targets"
)

// NetConfig selects and configures the score network.
type NetConfig struct {
	// Arch is "mlp" (2-D and other unstructured targets) or "egnn"
	// (particle systems).
	Arch string     `json:"arch"`
	MLP  MLPConfig  `json:"mlp,omitempty"`
	EGNN EGNNConfig `json:"egnn,omitempty"`
}

// Config holds every setting of a training run. DefaultConfig fills it for a
// target from iDEM's published configuration where one exists (METHOD.md);
// every field can be overridden before NewTrainer.
type Config struct {
	// Weights switches the self-normalized importance weights on (IW-SM) or
	// off (iDEM: w̄_i = 1/n). It is the only difference between the methods.
	Weights bool `json:"weights"`
	// WeightFloor mixes the uniform weight into the importance weights of
	// IW-SM: the loss uses (1 − WeightFloor)·w̄_i + WeightFloor/n, so that
	// every point gets at least WeightFloor/n (0, the default, is the paper's
	// IW-SM; 1 is iDEM). An experiment, not part of the method: on DW-4 the
	// sampler's implausible samples get no weight and the loss never corrects
	// them (README, "Results"). It has no effect when Weights is off.
	WeightFloor float64 `json:"weight_floor,omitempty"`
	// Schedule is the VE noise schedule (σ_min, σ_max).
	Schedule VESchedule `json:"schedule"`
	// Net is the score network's architecture.
	Net NetConfig `json:"net"`
	// Adam is the optimizer (learning rate, gradient-norm clip 0.5, EMA).
	Adam AdamConfig `json:"adam"`
	// K is the number of Monte Carlo samples per point for log p̃_t and Ŝ.
	K int `json:"k"`
	// Groups is the number G of time values per batch, GroupSize the number n
	// of points drawn at each; the batch has G·n points and the weights are
	// normalized within each group.
	Groups    int `json:"groups"`
	GroupSize int `json:"group_size"`
	// ScoreMix is the scale s of the Monte Carlo score's Tweedie mixing
	// (MCEstimator.SetMix); 0 is the paper's target-score estimator.
	ScoreMix float64 `json:"score_mix"`
	// ScoreClip caps ‖Ŝ‖: the whole vector for unstructured targets, each
	// particle's block for particle systems; 0 disables.
	ScoreClip float64 `json:"score_clip"`
	// LambdaOne sets λ(t) = 1; otherwise λ(t) = h(t) + LambdaFloor.
	LambdaOne   bool    `json:"lambda_one"`
	LambdaFloor float64 `json:"lambda_floor"`
	// BufferSize is the capacity |B| of the replay buffer, DefensiveShare the
	// fraction of it that holds broad defensive samples (redrawn at every
	// refresh).
	BufferSize     int     `json:"buffer_size"`
	DefensiveShare float64 `json:"defensive_share"`
	// DefensiveStd is the standard deviation of the wide mean-free Gaussian
	// that gives particle systems their defensive samples (unstructured
	// targets use their box uniformly instead).
	DefensiveStd float64 `json:"defensive_std"`
	// ProposalSubset evaluates log p_Bt over the point's source row and this
	// many random other rows (see Buffer.NoisedLogDensitySubset); 0 uses the
	// whole buffer exactly.
	ProposalSubset int `json:"proposal_subset"`
	// RefreshEvery is the number M of gradient steps between refreshes;
	// RefreshSize the number of samples each refresh generates with the
	// current network and pushes into the buffer.
	RefreshEvery int `json:"refresh_every"`
	RefreshSize  int `json:"refresh_size"`
	// RefreshMALA, an experiment, corrects every refresh's samples with
	// this many MALA steps (sim.MALA, drift clipped to ScoreClip) before
	// they enter the buffer; 0, the default, is the paper's buffer of the
	// sampler's own samples.
	RefreshMALA int `json:"refresh_mala,omitempty"`
	// Sampler is the reverse-SDE sampler of refreshes and evaluations.
	Sampler SamplerConfig `json:"sampler"`
	// InitBuffer is how the buffer starts: "prior" (samples of N(0, h(1) I))
	// or "mc" (the reverse SDE driven by the Monte Carlo score Ŝ itself, as
	// iDEM does for gmm40), with InitSteps SDE steps.
	InitBuffer string `json:"init_buffer"`
	InitSteps  int    `json:"init_steps"`
	// Workers is the number of goroutines of the parallel phases (Monte Carlo
	// estimates, proposal density, network passes); 0 means GOMAXPROCS. The
	// results do not depend on it.
	Workers int `json:"workers"`
}

// Method returns "iwsm" when the weights are on and "idem" when they are off.
func (c Config) Method() string {
	if c.Weights {
		return "iwsm"
	}
	return "idem"
}

// PaperConfig returns iDEM's published configuration for a target, with
// IW-SM's weights on (METHOD.md):
//
//   - mixtures and 2-D shapes: the MLP on coordinates divided by the box's
//     half-width L (iDEM's gmm40 normalization, L = 50), predicting the score
//     in those units; K = 500; batch 512 as 8 times × 64 points; Adam at
//     5e-4; λ(t) = h(t) + 1e-3·L² (iDEM's h + 1e-3 in normalized units);
//     ‖Ŝ‖ ≤ 70/L (iDEM's 70 in normalized units); buffer 10,000 with 10 %
//     defensive; refresh 1000 samples every 100 steps with 1000 Euler–Maruyama
//     steps at η = 1; the buffer starts from the Monte Carlo-score SDE;
//   - particle systems: the EGNN (3 layers for DW-4, 5 for LJ-13/LJ-55, width
//     128); K = 1000; batch 512; Adam at 1e-3; λ = 1; per-particle ‖Ŝ‖ ≤ 20;
//     η = 1 (DW-4), 0.9 (LJ-13), 0.5 (LJ-55); the buffer starts from the prior.
//
// The noise schedule comes from the target's NoiseHint (σ ∈ (1e-5·L, L)
// when it has none). On two CPU cores this configuration needs hours; see
// DefaultConfig.
func PaperConfig(t targets.Target) Config {
	c := Config{
		Weights:        true,
		Adam:           DefaultAdamConfig(),
		K:              500,
		Groups:         8,
		GroupSize:      64,
		BufferSize:     10000,
		DefensiveShare: 0.1,
		RefreshEvery:   100,
		RefreshSize:    1000,
		Sampler:        DefaultSamplerConfig(),
		InitBuffer:     "mc",
		InitSteps:      1000,
	}
	if h, ok := t.(targets.NoiseHinter); ok {
		c.Schedule.SigmaMin, c.Schedule.SigmaMax = h.NoiseHint()
	}
	if ps, ok := t.(targets.ParticleSystem); ok {
		n, sd := ps.Particles()
		c.Net = NetConfig{Arch: "egnn", EGNN: DefaultEGNNConfig(n, sd)}
		c.Adam.LR = 1e-3
		c.K = 1000
		c.LambdaOne = true
		c.ScoreClip = 20
		c.InitBuffer = "prior"
		c.DefensiveStd = c.Schedule.SigmaMax / 2
		switch {
		case n >= 55:
			c.Sampler.Eta = 0.5
		case n >= 13:
			c.Sampler.Eta = 0.9
		}
		return c
	}
	half := boxHalfWidth(t)
	if c.Schedule.SigmaMax == 0 {
		c.Schedule = VESchedule{SigmaMin: 1e-5 * half, SigmaMax: half}
	}
	c.Net = NetConfig{Arch: "mlp", MLP: DefaultMLPConfig(t.Dim())}
	c.Net.MLP.InputScale = 1 / half
	c.Net.MLP.OutputScale = 1 / half
	c.LambdaFloor = 1e-3 * half * half
	c.ScoreClip = 70 / half
	return c
}

// DefaultConfig returns the configuration this project trains with on CPUs:
// PaperConfig with the changes below, each measured on gmm40 (IW-SM, seed 1;
// see README.md) to reach the paper's quality in minutes rather than hours.
// Both methods get the same changes, so comparisons still isolate the
// weights.
//
//   - ScoreMix = the mixture's mode standard deviation: the Tweedie-mixed
//     Monte Carlo score (MCEstimator.SetMix) removes the target-score
//     estimator's large-σ noise, which otherwise dominates the λ-weighted
//     loss (40/40 modes after 1500 steps instead of stalling near 20/40);
//     with it K = 20 samples per point suffice;
//   - time embedded at scale 50 instead of 1: at scale 1 the time features
//     barely change while σ_t spans five decades, and the network learned
//     the σ-dependence of the score slowly (40/40 modes after 750 instead of
//     2500 steps);
//   - a smaller MLP (embeddings of 32, width 64, 2 residual blocks), Adam at
//     5e-3 with an EMA of the weights (decay 0.995) for sampling: a step costs
//     a quarter of iDEM's network and the quality after five minutes is the
//     same;
//   - a buffer of 4000 refreshed with 500 samples every 50 steps, drawn with
//     100 Euler–Maruyama steps (30 already match 1000 with the exact score:
//     see the sampler benchmarks), starting from the prior.
//
// Particle systems keep the paper's network, λ and clipping with lighter
// Monte Carlo and refresh settings: K = 200 samples per point and refreshes
// of 250 samples drawn with 100 Euler–Maruyama steps (DW-4: 2,000 steps in
// five minutes instead of a few hundred). LJ-13 and larger also use an EGNN
// of width 64 with 3 layers, batches of 4 × 64 points, a buffer of 4000 and
// refreshes of 128 samples: with the paper's network one step takes seconds
// on two cores. These settings reach far fewer steps than iDEM's runs, so
// the particle results in README.md are probes, not the paper's figures.
func DefaultConfig(t targets.Target) Config {
	c := PaperConfig(t)
	if ps, ok := t.(targets.ParticleSystem); ok {
		c.K = 200
		c.RefreshSize = 250
		c.Sampler.Steps = 100
		if n, _ := ps.Particles(); n > 4 {
			c.Net.EGNN = c.Net.EGNN.WithLayers(3)
			c.Net.EGNN.Hidden = 64
			c.Groups, c.GroupSize = 4, 64
			c.BufferSize, c.RefreshSize = 4000, 128
		}
		return c
	}
	c.K = 20
	c.ScoreMix = featureScale(t)
	c.Net.MLP.EmbedSize, c.Net.MLP.Hidden, c.Net.MLP.Blocks = 32, 64, 2
	c.Net.MLP.TimeScale = 50
	c.Adam.LR = 5e-3
	c.Adam.EMADecay = 0.995
	c.BufferSize, c.RefreshSize, c.RefreshEvery = 4000, 500, 50
	c.Sampler.Steps = 100
	c.InitBuffer = "prior"
	return c
}

// boxHalfWidth returns the largest half-width of the target's box (1 when it
// has none).
func boxHalfWidth(t targets.Target) float64 {
	half := 1.0
	if b, ok := t.(targets.Bounded); ok {
		lo, hi := b.Bounds()
		for j := range lo {
			half = math.Max(half, (hi[j]-lo[j])/2)
		}
	}
	return half
}

// featureScale is the length scale of the target's finest structure, the
// mixing scale of the Monte Carlo score: the smallest mode standard deviation
// of a mixture, else 1 % of the box.
func featureScale(t targets.Target) float64 {
	if m, ok := t.(targets.Moder); ok && len(m.Modes()) > 0 {
		s := math.Inf(1)
		for k := range m.Modes() {
			s = math.Min(s, m.ModeStd(k))
		}
		return s
	}
	return boxHalfWidth(t) / 50
}

// Validate reports whether the settings are usable for a target.
func (c Config) Validate(t targets.Target) error {
	if err := c.Schedule.Validate(); err != nil {
		return err
	}
	if err := c.Adam.Validate(); err != nil {
		return err
	}
	if err := c.Sampler.Validate(); err != nil {
		return err
	}
	switch {
	case c.K < 1 || c.K > 100_000:
		return fmt.Errorf("sim: K = %d Monte Carlo samples out of range [1, 100000]", c.K)
	case c.Groups < 1 || c.GroupSize < 1 || c.Groups*c.GroupSize > 65536:
		return fmt.Errorf("sim: batch of %d groups × %d points out of range (each ≥ 1, at most 65536 points)", c.Groups, c.GroupSize)
	case !(c.ScoreMix >= 0) || math.IsInf(c.ScoreMix, 0):
		return fmt.Errorf("sim: score mixing scale %v must be ≥ 0 and finite", c.ScoreMix)
	case !(c.ScoreClip >= 0) || math.IsInf(c.ScoreClip, 0):
		return fmt.Errorf("sim: score clip %v must be ≥ 0 and finite", c.ScoreClip)
	case !c.LambdaOne && (!(c.LambdaFloor >= 0) || math.IsInf(c.LambdaFloor, 0)):
		return fmt.Errorf("sim: λ floor %v must be ≥ 0 and finite", c.LambdaFloor)
	case c.BufferSize < 2 || c.BufferSize > 10_000_000:
		return fmt.Errorf("sim: buffer size %d out of range [2, 10000000]", c.BufferSize)
	case c.RefreshMALA < 0 || c.RefreshMALA > 1_000_000:
		return fmt.Errorf("sim: %d refresh MALA steps out of range [0, 1000000]", c.RefreshMALA)
	case !(c.WeightFloor >= 0 && c.WeightFloor <= 1):
		return fmt.Errorf("sim: weight floor %v out of range [0, 1]", c.WeightFloor)
	case !(c.DefensiveShare >= 0 && c.DefensiveShare < 1):
		return fmt.Errorf("sim: defensive share %v out of range [0, 1)", c.DefensiveShare)
	case c.ProposalSubset < 0:
		return fmt.Errorf("sim: proposal subset %d must be ≥ 0 (0 is exact)", c.ProposalSubset)
	case c.RefreshEvery < 1 || c.RefreshSize < 1 || c.RefreshSize > 1_000_000:
		return fmt.Errorf("sim: refresh of %d samples every %d steps out of range", c.RefreshSize, c.RefreshEvery)
	case c.InitBuffer != "prior" && c.InitBuffer != "mc":
		return fmt.Errorf("sim: initial buffer %q, want \"prior\" or \"mc\"", c.InitBuffer)
	case c.InitBuffer == "mc" && (c.InitSteps < 1 || c.InitSteps > 1_000_000):
		return fmt.Errorf("sim: %d initial SDE steps out of range [1, 1000000]", c.InitSteps)
	case c.Workers < 0 || c.Workers > 1024:
		return fmt.Errorf("sim: %d workers out of range [0, 1024]", c.Workers)
	}
	_, particles := t.(targets.ParticleSystem)
	_, bounded := t.(targets.Bounded)
	if c.DefensiveShare > 0 {
		if particles && !(c.DefensiveStd > 0) {
			return fmt.Errorf("sim: a defensive share on a particle system needs a positive defensive std")
		}
		if !particles && !bounded {
			return fmt.Errorf("sim: target %s has no box for defensive samples; set the defensive share to 0", t.Name())
		}
	}
	switch c.Net.Arch {
	case "mlp":
		if c.Net.MLP.Dim != t.Dim() {
			return fmt.Errorf("sim: mlp dim %d does not match target %s (dim %d)", c.Net.MLP.Dim, t.Name(), t.Dim())
		}
		return c.Net.MLP.Validate()
	case "egnn":
		ps, ok := t.(targets.ParticleSystem)
		if !ok {
			return fmt.Errorf("sim: the egnn needs a particle system; %s is not one", t.Name())
		}
		if n, sd := ps.Particles(); n != c.Net.EGNN.Particles || sd != c.Net.EGNN.SpatialDim {
			return fmt.Errorf("sim: egnn for %d×%d particles does not match %s (%d×%d)", c.Net.EGNN.Particles, c.Net.EGNN.SpatialDim, t.Name(), n, sd)
		}
		return c.Net.EGNN.Validate()
	default:
		return fmt.Errorf("sim: unknown network architecture %q (valid: mlp, egnn)", c.Net.Arch)
	}
}

// workers returns the number of goroutines to use.
func (c Config) workers() int {
	if c.Workers > 0 {
		return c.Workers
	}
	return runtime.GOMAXPROCS(0)
}
