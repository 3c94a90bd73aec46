package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"

	"iwsm/sim"
	"iwsm/targets"
)

// weightsOpts are the flags of "iwsm weights".
type weightsOpts struct {
	model, target string
	seed          uint64
	steps         int
	sigma         float64
	fill          int
}

func weightsFlags() (*flag.FlagSet, *weightsOpts) {
	fs := flag.NewFlagSet("weights", flag.ContinueOnError)
	o := &weightsOpts{}
	fs.StringVar(&o.model, "model", "", "checkpoint written by \"iwsm train -out\" (required)")
	fs.StringVar(&o.target, "target", "", "target, when the checkpoint does not name one")
	fs.Uint64Var(&o.seed, "seed", 1, "random seed")
	fs.IntVar(&o.steps, "steps", 200, "training batches to draw and weigh")
	fs.Float64Var(&o.sigma, "sigma", 0.1, "count only batch points at noise levels σ_t ≤ this")
	fs.IntVar(&o.fill, "fill", 2000, "buffer samples drawn from the network first")
	return fs, o
}

// weightShare is what "iwsm weights" measures: of the batch points at small
// noise, how many are implausible under the target and how much of the
// self-normalized importance weight they receive.
type weightShare struct {
	Points, Implausible float64 // counts
	Weight, WeightOf    float64 // total weight, and the implausible points' part
	What                string  // what "implausible" means for the target
}

// implausible returns a test of whether a point is far from the target's
// mass: above the highest energy of the reference set (particle systems),
// beyond 3σ of every mode (mixtures).
func implausible(t targets.Target) (func(x []float64) bool, string, error) {
	if r, ok := t.(targets.Referenced); ok {
		ref, err := r.Reference("test")
		if err != nil {
			return nil, "", err
		}
		top := math.Inf(-1)
		for _, e := range targets.EnergyBatch(t, nil, ref) {
			top = math.Max(top, e)
		}
		return func(x []float64) bool { return !(targets.EnergyBatch(t, nil, x)[0] <= top) },
			fmt.Sprintf("above the test set's highest energy (%.4g)", top), nil
	}
	if mo, ok := t.(targets.Moder); ok {
		return func(x []float64) bool {
			c, err := sim.Coverage(x, mo)
			return err != nil || c.Outside > 0
		}, "beyond 3σ of every mode", nil
	}
	return nil, "", fmt.Errorf("%s has neither modes nor a reference set", t.Name())
}

// measureWeights fills the buffer of a trainer on net with the network's own
// samples and draws training batches without learning (learning rate ~0),
// summing the weights of the points at σ_t ≤ sigma.
func measureWeights(ctx context.Context, t targets.Target, cfg sim.Config, net sim.ScoreNet, o *weightsOpts) (weightShare, error) {
	bad, what, err := implausible(t)
	if err != nil {
		return weightShare{}, asUsage(err)
	}
	cfg.Weights = true
	cfg.Adam.LR = 1e-12 // the network must not change while it is measured
	cfg.BufferSize = o.fill + int(math.Ceil(float64(o.fill)*cfg.DefensiveShare/(1-cfg.DefensiveShare)))
	cfg.RefreshSize = o.fill
	cfg.RefreshEvery = math.MaxInt32
	tr, err := sim.NewTrainerFrom(t, cfg, o.seed, net)
	if err != nil {
		return weightShare{}, err
	}
	defer tr.Close()
	if err := tr.Refresh(); err != nil {
		return weightShare{}, err
	}
	ws := weightShare{What: what}
	d := t.Dim()
	for range o.steps {
		if err := ctx.Err(); err != nil {
			return ws, err
		}
		if _, err := tr.Step(); err != nil {
			return ws, err
		}
		x, tt := tr.BatchPoints()
		for i, w := range tr.Weights() {
			if cfg.Schedule.Sigma(tt[i]) > o.sigma {
				continue
			}
			ws.Points++
			ws.Weight += w
			if bad(x[i*d : (i+1)*d]) {
				ws.Implausible++
				ws.WeightOf += w
			}
		}
	}
	return ws, nil
}

func cmdWeights(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, o := weightsFlags()
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case o.model == "":
		return usageErr("-model is required (see \"iwsm weights -h\")")
	case o.steps < 1 || o.steps > 1_000_000:
		return usageErr("-steps %d out of range [1, 1000000]", o.steps)
	case !(o.sigma > 0) || math.IsInf(o.sigma, 0):
		return usageErr("-sigma %v must be positive and finite", o.sigma)
	case o.fill < 2 || o.fill > 1_000_000:
		return usageErr("-fill %d out of range [2, 1000000]", o.fill)
	}
	m, err := loadModel(o.model, o.target)
	if err != nil {
		return err
	}
	ws, err := measureWeights(ctx, m.target, m.cfg, m.net, o)
	if err != nil {
		return err
	}
	if ws.Points == 0 {
		return errors.New("no batch point had σ_t ≤ -sigma: raise -sigma or -steps")
	}
	fmt.Fprintf(stdout, "%s, %s: %d batches on a buffer of %d of the network's own samples; %.0f points at σ_t ≤ %g\n",
		m.target.Name(), o.model, o.steps, o.fill, ws.Points, o.sigma)
	fmt.Fprintf(stdout, "%s: %.1f %% of those points, %.2f %% of their IW-SM weight\n",
		ws.What, 100*ws.Implausible/ws.Points, 100*ws.WeightOf/ws.Weight)
	return nil
}
