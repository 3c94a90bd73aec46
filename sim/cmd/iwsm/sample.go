package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"

	"iwsm/sim"
	"iwsm/targets"
)

// sampleOpts are the flags of "iwsm sample".
type sampleOpts struct {
	model, out, target string
	n                  int
	seed               uint64
	sdeSteps           int
	eta                float64
	integrator         string
	workers            int
	mala               malaOpts
}

func sampleFlags() (*flag.FlagSet, *sampleOpts) {
	fs := flag.NewFlagSet("sample", flag.ContinueOnError)
	o := &sampleOpts{}
	fs.StringVar(&o.model, "model", "", "checkpoint written by \"iwsm train -out\" (required)")
	fs.IntVar(&o.n, "n", 1000, "number of samples")
	fs.Uint64Var(&o.seed, "seed", 1, "random seed of the prior noise and the SDE")
	fs.IntVar(&o.sdeSteps, "sde-steps", 0, "reverse-SDE steps (default: the checkpoint's setting)")
	fs.Float64Var(&o.eta, "eta", 0, "diffusion scale η (default: the checkpoint's setting)")
	fs.StringVar(&o.integrator, "integrator", "", "em (Euler–Maruyama) or heun (default: the checkpoint's setting)")
	fs.StringVar(&o.out, "out", "", "CSV file to write (default: stdout)")
	fs.StringVar(&o.target, "target", "", "target, for checkpoints whose metadata names none")
	fs.IntVar(&o.workers, "workers", 0, "goroutines evaluating the network; 0 is GOMAXPROCS")
	addMALAFlags(fs, &o.mala)
	return fs, o
}

// loadedModel is a checkpoint with the target and settings it was trained with.
type loadedModel struct {
	net    sim.ScoreNet
	target targets.Target
	cfg    sim.Config
	meta   map[string]string
	noCfg  bool // the checkpoint carried no settings: the target's defaults are used
}

// loadModel reads a checkpoint and rebuilds its target and settings from the
// metadata; target names it when the metadata does not. Every problem is a
// usage error (exit code 2).
func loadModel(path, target string) (*loadedModel, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, asUsage(err)
	}
	defer f.Close()
	ck, err := sim.ReadCheckpoint(f)
	if err != nil {
		return nil, usageErr("%s: %v", path, err)
	}
	m := &loadedModel{net: ck.Net, meta: ck.Meta}
	name := ck.Meta["target"]
	switch {
	case name == "" && target == "":
		return nil, usageErr("%s names no target; give -target", path)
	case name != "" && target != "" && name != target:
		return nil, usageErr("%s was trained on %s, not %s", path, name, target)
	case name == "":
		name = target
	}
	if m.target, err = lookupTarget(name); err != nil {
		return nil, err
	}
	if d := m.net.Dim(); d != m.target.Dim() {
		return nil, usageErr("%s: a network of dimension %d cannot sample %s (dimension %d)", path, d, name, m.target.Dim())
	}
	m.cfg = sim.DefaultConfig(m.target)
	if cj, ok := ck.Meta["config"]; ok {
		if err := json.Unmarshal([]byte(cj), &m.cfg); err != nil {
			return nil, usageErr("%s: settings in the metadata: %v", path, err)
		}
	} else {
		m.noCfg = true
	}
	if err := m.cfg.Schedule.Validate(); err != nil {
		return nil, usageErr("%s: %v", path, err)
	}
	return m, nil
}

func cmdSample(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, o := sampleFlags()
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	set := setFlags(fs)
	switch {
	case o.model == "":
		return usageErr("-model is required (see \"iwsm sample -h\")")
	case o.n < 1 || o.n > maxCSVRows:
		return usageErr("-n %d out of range [1, %d]", o.n, maxCSVRows)
	case o.workers < 0:
		return usageErr("-workers must not be negative")
	}
	if err := o.mala.validate(); err != nil {
		return err
	}
	m, err := loadModel(o.model, o.target)
	if err != nil {
		return err
	}
	if m.noCfg {
		fmt.Fprintf(stderr, "%s carries no settings: using the defaults of %s\n", o.model, m.target.Name())
	}
	scfg := m.cfg.Sampler
	if set["sde-steps"] {
		scfg.Steps = o.sdeSteps
	}
	if set["eta"] {
		scfg.Eta = o.eta
	}
	if set["integrator"] {
		scfg.Integrator = sim.Integrator(o.integrator)
	}
	scfg.Project = targets.MeanFreeProjector(m.target)
	if err := scfg.Validate(); err != nil {
		return asUsage(err)
	}
	if err := checkWritable(o.out); err != nil {
		return err
	}
	x, err := sampleNet(ctx, m.net, m.cfg.Schedule, scfg, o.n, o.seed, streamEvalSamples, o.workers)
	if err != nil {
		return err
	}
	if o.mala.steps > 0 {
		if _, err := o.mala.correct(m.target, x, m.cfg.ScoreClip, o.seed, stderr); err != nil {
			return err
		}
	}
	d := m.target.Dim()
	if o.out == "" || o.out == "-" {
		return writeCSV(stdout, x, d)
	}
	if err := writeFileAtomic(o.out, func(w io.Writer) error { return writeCSV(w, x, d) }); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %d samples of %s to %s\n", o.n, m.target.Name(), o.out)
	return nil
}

// sampleNet draws n samples from the network with the reverse process of
// the schedule and sampler settings, drawing its noise from stream (seed,
// stream); the network's rows are evaluated on workers goroutines.
// Cancelling ctx stops between SDE steps.
func sampleNet(ctx context.Context, net sim.ScoreNet, sched sim.VESchedule, scfg sim.SamplerConfig, n int, seed, stream uint64, workers int) ([]float64, error) {
	score := newShardedScore(net, n, workers)
	s, err := sim.NewSampler(score, sched, net.Dim(), n, scfg, rand.New(rand.NewPCG(seed, stream)))
	if err != nil {
		return nil, asUsage(err)
	}
	for !s.Done() {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("interrupted at SDE step %d of %d", s.StepIndex(), s.Steps())
		}
		s.Step()
	}
	if s.NonFinite > 0 {
		return nil, fmt.Errorf("the network produced %d non-finite score entries", s.NonFinite)
	}
	return s.Positions(), nil
}

// scoreShards is the fixed number of pieces a batch of rows is split into,
// whatever the number of workers, so that the samples do not depend on it.
const scoreShards = 4

// shardedScore evaluates a network on fixed shards of the rows, each with
// its own sim.NetScore, on a number of goroutines.
type shardedScore struct {
	shards  []*sim.NetScore
	dim     int
	workers int
}

func newShardedScore(net sim.ScoreNet, n, workers int) *shardedScore {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	rows := min(max((n+scoreShards-1)/scoreShards, 1), 1024)
	s := &shardedScore{dim: net.Dim(), workers: min(workers, scoreShards)}
	for range scoreShards {
		s.shards = append(s.shards, sim.NewNetScore(net, rows))
	}
	return s
}

// Score writes s_θ(x_i, t) into row i of dst for every row of x.
func (s *shardedScore) Score(dst, x []float64, t float64) {
	n, d := len(x)/s.dim, s.dim
	var wg sync.WaitGroup
	for w := range s.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := w; k < scoreShards; k += s.workers {
				lo, hi := k*n/scoreShards, (k+1)*n/scoreShards
				if hi > lo {
					s.shards[k].Score(dst[lo*d:hi*d], x[lo*d:hi*d], t)
				}
			}
		}()
	}
	wg.Wait()
}
