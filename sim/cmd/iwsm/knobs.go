package main

import (
	"flag"
	"fmt"
	"slices"
	"strings"

	"iwsm/sim"
	"iwsm/targets"
)

// knobs are the flags that override sim.DefaultConfig(target). Only the
// flags given on the command line override anything (see apply), so their
// registered zero values are never used as settings.
type knobs struct {
	k, groups, groupSize      int
	lr, ema                   float64
	weights                   bool
	defensive, weightFloor    float64
	refreshMALA               int
	buffer, subset            int
	refreshEvery, refreshSize int
	sdeSteps                  int
	eta                       float64
	integrator                string
	hidden, embed, blocks     int
	initBuffer                string
	initSteps                 int
	scoreClip                 float64
	sigmaMin, sigmaMax        float64
	workers                   int
}

// addKnobs registers the knob flags on fs. withWeights is false for
// commands that set the weights themselves (reproduce). The help text quotes
// the gmm40 defaults of sim.DefaultConfig; other targets have their own.
func addKnobs(fs *flag.FlagSet, withWeights bool) *knobs {
	k := &knobs{}
	var d sim.Config
	if t, err := targets.Lookup("gmm40"); err == nil {
		d = sim.DefaultConfig(t)
	}
	def := func(v any) string { return fmt.Sprintf(" (gmm40 default: %v)", v) }
	fs.IntVar(&k.k, "K", 0, "Monte Carlo samples per point for log p_t and the score"+def(d.K))
	fs.IntVar(&k.groups, "groups", 0, "number G of time values per batch"+def(d.Groups))
	fs.IntVar(&k.groupSize, "group-size", 0, "points n per time value; the batch has G·n points"+def(d.GroupSize))
	fs.Float64Var(&k.lr, "lr", 0, "Adam learning rate"+def(d.Adam.LR))
	fs.Float64Var(&k.ema, "ema", 0, "decay of the exponential moving average of the weights that samples, in [0, 1); 0 samples with the trained weights"+def(d.Adam.EMADecay))
	if withWeights {
		fs.BoolVar(&k.weights, "weights", false, "importance weights on (IW-SM) or off (iDEM); default from -method")
	}
	fs.Float64Var(&k.defensive, "defensive", 0, "defensive share of the replay buffer, in [0, 1)"+def(d.DefensiveShare))
	fs.Float64Var(&k.weightFloor, "weight-floor", 0, "IW-SM only, an experiment: the loss weighs each point (1 − f)·w̄ + f/n, in [0, 1]; 0 is the paper's IW-SM (default 0)")
	fs.IntVar(&k.buffer, "buffer", 0, "replay buffer capacity |B|"+def(d.BufferSize))
	fs.IntVar(&k.subset, "subset", 0, "evaluate the proposal density over this many random buffer rows; 0 is exact"+def(d.ProposalSubset))
	fs.IntVar(&k.refreshEvery, "refresh-every", 0, "gradient steps M between buffer refreshes"+def(d.RefreshEvery))
	fs.IntVar(&k.refreshSize, "refresh-size", 0, "samples each refresh pushes into the buffer"+def(d.RefreshSize))
	fs.IntVar(&k.refreshMALA, "refresh-mala", 0, "an experiment: MALA steps on the target's energy applied to every refresh's samples before they enter the buffer; 0 is the paper's buffer (default 0)")
	fs.IntVar(&k.sdeSteps, "sde-steps", 0, "reverse-SDE steps of refreshes and evaluations"+def(d.Sampler.Steps))
	fs.Float64Var(&k.eta, "eta", 0, "diffusion scale η of the reverse SDE"+def(d.Sampler.Eta))
	fs.StringVar(&k.integrator, "integrator", "", "reverse-process step: em (Euler–Maruyama) or heun"+def(d.Sampler.Integrator))
	fs.IntVar(&k.hidden, "hidden", 0, "network width: the MLP's hidden width or the EGNN's"+def(d.Net.MLP.Hidden))
	fs.IntVar(&k.embed, "embed", 0, "MLP sinusoidal embedding size per input, even"+def(d.Net.MLP.EmbedSize))
	fs.IntVar(&k.blocks, "blocks", 0, "MLP residual blocks, or EGNN layers"+def(d.Net.MLP.Blocks))
	fs.StringVar(&k.initBuffer, "init-buffer", "", "initial buffer: prior, or mc (the reverse SDE driven by the Monte Carlo score)"+def(d.InitBuffer))
	fs.IntVar(&k.initSteps, "init-steps", 0, "SDE steps of the mc initial buffer"+def(d.InitSteps))
	fs.Float64Var(&k.scoreClip, "score-clip", 0, "cap on the Monte Carlo score norm ‖Ŝ‖ in the target's units (per particle for particle systems); 0 disables"+def(d.ScoreClip))
	fs.Float64Var(&k.sigmaMin, "sigma-min", 0, "noise schedule σ_min"+def(d.Schedule.SigmaMin))
	fs.Float64Var(&k.sigmaMax, "sigma-max", 0, "noise schedule σ_max"+def(d.Schedule.SigmaMax))
	fs.IntVar(&k.workers, "workers", 0, "goroutines of the parallel phases; 0 is GOMAXPROCS (the results do not depend on it)")
	return k
}

// knobNames lists the flag names addKnobs registers (without -weights).
var knobNames = []string{"K", "groups", "group-size", "lr", "ema", "defensive", "weight-floor", "buffer", "subset",
	"refresh-every", "refresh-size", "refresh-mala", "sde-steps", "eta", "integrator", "hidden", "embed", "blocks",
	"init-buffer", "init-steps", "score-clip", "sigma-min", "sigma-max", "workers"}

// apply overrides the fields of cfg whose flags are in set, then validates
// the result for the target. Errors are usage errors.
func (k *knobs) apply(cfg *sim.Config, t targets.Target, set map[string]bool) error {
	egnn := cfg.Net.Arch == "egnn"
	for name := range set {
		switch name {
		case "K":
			cfg.K = k.k
		case "groups":
			cfg.Groups = k.groups
		case "group-size":
			cfg.GroupSize = k.groupSize
		case "lr":
			cfg.Adam.LR = k.lr
		case "ema":
			cfg.Adam.EMADecay = k.ema
		case "weights":
			cfg.Weights = k.weights
		case "defensive":
			cfg.DefensiveShare = k.defensive
		case "weight-floor":
			cfg.WeightFloor = k.weightFloor
		case "buffer":
			cfg.BufferSize = k.buffer
		case "subset":
			cfg.ProposalSubset = k.subset
		case "refresh-every":
			cfg.RefreshEvery = k.refreshEvery
		case "refresh-size":
			cfg.RefreshSize = k.refreshSize
		case "refresh-mala":
			cfg.RefreshMALA = k.refreshMALA
		case "sde-steps":
			cfg.Sampler.Steps = k.sdeSteps
		case "eta":
			cfg.Sampler.Eta = k.eta
		case "integrator":
			cfg.Sampler.Integrator = sim.Integrator(k.integrator)
		case "hidden":
			if egnn {
				cfg.Net.EGNN.Hidden = k.hidden
			} else {
				cfg.Net.MLP.Hidden = k.hidden
			}
		case "embed":
			if egnn {
				return usageErr("-embed sets the MLP's embedding; %s uses the EGNN", t.Name())
			}
			cfg.Net.MLP.EmbedSize = k.embed
		case "blocks":
			if egnn {
				cfg.Net.EGNN.Layers = k.blocks
			} else {
				cfg.Net.MLP.Blocks = k.blocks
			}
		case "init-buffer":
			cfg.InitBuffer = k.initBuffer
		case "init-steps":
			cfg.InitSteps = k.initSteps
		case "score-clip":
			cfg.ScoreClip = k.scoreClip
		case "sigma-min":
			cfg.Schedule.SigmaMin = k.sigmaMin
		case "sigma-max":
			cfg.Schedule.SigmaMax = k.sigmaMax
		case "workers":
			cfg.Workers = k.workers
		}
	}
	if err := cfg.Validate(t); err != nil {
		return usageErr("invalid settings for %s: %s", t.Name(), strings.TrimPrefix(err.Error(), "sim: "))
	}
	return nil
}

// knobArgs returns the knob flags of set as command-line arguments, in
// registration order (to record how a run was configured).
func knobArgs(fs *flag.FlagSet, set map[string]bool) []string {
	var out []string
	for _, name := range append([]string{"weights"}, knobNames...) {
		if set[name] {
			out = append(out, fmt.Sprintf("-%s=%s", name, fs.Lookup(name).Value.String()))
		}
	}
	return out
}

// lookupTarget returns the named target or a usage error listing the valid
// names.
func lookupTarget(name string) (targets.Target, error) {
	if !slices.Contains(targets.Names(), name) {
		return nil, usageErr("unknown target %q (valid: %s)", name, strings.Join(targets.Names(), ", "))
	}
	t, err := targets.Lookup(name)
	if err != nil {
		return nil, asUsage(err)
	}
	return t, nil
}
