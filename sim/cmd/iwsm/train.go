package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"text/tabwriter"
	"time"

	"iwsm/sim"
	"iwsm/targets"
)

// trainOpts are the flags of "iwsm train".
type trainOpts struct {
	target, method  string
	seed            uint64
	steps           int
	budget          time.Duration
	out, samplesOut string
	json            bool
	evalEvery       time.Duration
	evalN, batches  int
	logSteps        int
	logInterval     time.Duration
	noProgress      bool
	knobs           *knobs
	fs              *flag.FlagSet
}

func trainFlags() (*flag.FlagSet, *trainOpts) {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	o := &trainOpts{fs: fs}
	fs.StringVar(&o.target, "target", "gmm40", "target name (see \"iwsm help\"; e.g. gmm40, gmm120, dw4, lj13)")
	fs.StringVar(&o.method, "method", "iwsm", "iwsm (importance weights on) or idem (weights off)")
	fs.Uint64Var(&o.seed, "seed", 1, "random seed of the network, the buffer and the evaluations")
	fs.IntVar(&o.steps, "steps", 0, "gradient steps to take (0: no limit; give -steps, -budget or both)")
	fs.DurationVar(&o.budget, "budget", 0, "training wall time, e.g. 5m (0: no limit; evaluations do not count)")
	fs.StringVar(&o.out, "out", "", "write the trained network and its settings to this checkpoint file")
	fs.StringVar(&o.samplesOut, "samples", "", "write the final evaluation's samples to this CSV file")
	fs.BoolVar(&o.json, "json", false, "print one JSON object per line on stdout instead of the progress line and summary")
	fs.DurationVar(&o.evalEvery, "eval-every", 30*time.Second, "training time between evaluations (0: only at the end)")
	fs.IntVar(&o.evalN, "eval-n", 1000, "samples per evaluation, compared with as many reference samples")
	fs.IntVar(&o.batches, "eval-batches", 1, "batches of -eval-n samples in the final evaluation, each against its own reference")
	fs.IntVar(&o.logSteps, "log-steps", 10, "with -json, step lines at most every this many steps")
	fs.DurationVar(&o.logInterval, "log-interval", time.Second, "with -json, step lines at most every this much wall time")
	fs.BoolVar(&o.noProgress, "quiet", false, "no progress line on stderr")
	o.knobs = addKnobs(fs, true)
	return fs, o
}

// checkEvalFlags validates the evaluation settings shared by train and reproduce.
func checkEvalFlags(evalN, batches int, evalEvery time.Duration) error {
	switch {
	case evalN < 2 || evalN > 100_000:
		return usageErr("-eval-n %d out of range [2, 100000]", evalN)
	case batches < 1 || batches > 1000:
		return usageErr("-eval-batches %d out of range [1, 1000]", batches)
	case evalEvery < 0:
		return usageErr("-eval-every %v must not be negative", evalEvery)
	}
	return nil
}

// trainConfig builds the settings of a run: the target's defaults, the
// method, then the knob flags given.
func trainConfig(t targets.Target, method string, set map[string]bool, k *knobs) (sim.Config, error) {
	cfg := sim.DefaultConfig(t)
	switch method {
	case "iwsm":
		cfg.Weights = true
	case "idem":
		cfg.Weights = false
	default:
		return cfg, usageErr("unknown method %q (valid: iwsm, idem)", method)
	}
	if set["weights"] && set["method"] && k.weights != cfg.Weights {
		return cfg, usageErr("-method %s contradicts -weights=%v (iDEM is IW-SM with the weights off)", method, k.weights)
	}
	if err := k.apply(&cfg, t, set); err != nil {
		return cfg, err
	}
	return cfg, nil
}

func cmdTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, o := trainFlags()
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	set := setFlags(fs)
	if o.steps < 0 || o.budget < 0 {
		return usageErr("-steps and -budget must not be negative")
	}
	if o.steps == 0 && o.budget == 0 {
		return usageErr("give -steps N, -budget DURATION or both (see \"iwsm train -h\")")
	}
	if err := checkEvalFlags(o.evalN, o.batches, o.evalEvery); err != nil {
		return err
	}
	if o.logSteps < 1 || o.logInterval < 0 {
		return usageErr("-log-steps must be ≥ 1 and -log-interval ≥ 0")
	}
	t, err := lookupTarget(o.target)
	if err != nil {
		return err
	}
	cfg, err := trainConfig(t, o.method, set, o.knobs)
	if err != nil {
		return err
	}
	for _, p := range []string{o.out, o.samplesOut} {
		if err := checkWritable(p); err != nil {
			return err
		}
	}
	spec := trainSpec{target: t, cfg: cfg, seed: o.seed, steps: o.steps, budget: o.budget,
		evalEvery: o.evalEvery, evalN: o.evalN, evalBatches: o.batches,
		logSteps: o.logSteps, logInterval: o.logInterval}
	if o.json {
		spec.records = stdout
	}
	if !o.noProgress {
		spec.progress = stderr
		spec.label = fmt.Sprintf("%s %s seed %d: ", t.Name(), cfg.Method(), o.seed)
	}
	res, err := train(ctx, spec)
	if err != nil {
		if res == nil {
			return fmt.Errorf("starting the trainer: %w", err)
		}
		return err
	}
	if o.out != "" {
		meta, err := checkpointMeta(t, cfg, o.seed, res)
		if err != nil {
			return err
		}
		if err := writeFileAtomic(o.out, func(w io.Writer) error {
			return sim.WriteCheckpoint(w, sim.Checkpoint{Net: res.net, Meta: meta})
		}); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "wrote %s\n", o.out)
	}
	if o.samplesOut != "" && res.samples != nil {
		if err := writeFileAtomic(o.samplesOut, func(w io.Writer) error { return writeCSV(w, res.samples, t.Dim()) }); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "wrote %s\n", o.samplesOut)
	}
	if !o.json {
		printTrainSummary(stdout, t, cfg, o.seed, res, o.out)
	}
	if res.interrupted {
		fmt.Fprintln(stderr, "interrupted: stopped training, evaluated and saved")
	}
	switch {
	case res.stepErr != nil:
		return fmt.Errorf("%w (evaluated and saved the network of step %d)", res.stepErr, res.steps)
	case res.finalErr != nil:
		return fmt.Errorf("final evaluation: %w", res.finalErr)
	}
	return nil
}

// checkpointMeta is the metadata "iwsm sample" needs to rebuild the sampler:
// target, method, seed, step, training seconds and the whole sim.Config as
// JSON.
func checkpointMeta(t targets.Target, cfg sim.Config, seed uint64, res *trainResult) (map[string]string, error) {
	cj, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("encoding the settings: %w", err)
	}
	return map[string]string{
		"target":       t.Name(),
		"method":       cfg.Method(),
		"seed":         strconv.FormatUint(seed, 10),
		"step":         strconv.Itoa(res.steps),
		"seconds":      strconv.FormatFloat(res.trainSeconds, 'f', 3, 64),
		"energy_evals": strconv.FormatInt(res.energyEvals, 10),
		"config":       string(cj),
		"created":      time.Now().UTC().Format(time.RFC3339),
	}, nil
}

// printTrainSummary prints the outcome of a run as a small table.
func printTrainSummary(w io.Writer, t targets.Target, cfg sim.Config, seed uint64, res *trainResult, ckpt string) {
	fmt.Fprintf(w, "%s, %s, seed %d: %d steps in %s of training (initial buffer %s), %s in all\n",
		t.Name(), cfg.Method(), seed, res.steps, fmtDuration(seconds(res.trainSeconds)),
		fmtDuration(seconds(res.initSeconds)), fmtDuration(seconds(res.totalSeconds)))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "energy evaluations\t%d\n", res.energyEvals)
	fmt.Fprintf(tw, "last loss\t%.4g\n", res.loss)
	fmt.Fprintf(tw, "nESS (last %d steps)\t%.4f\n", min(res.steps, essWindow), res.recentESS)
	if len(res.final) > 0 {
		writeMetricsTable(tw, res.final)
	}
	if ckpt != "" {
		fmt.Fprintf(tw, "checkpoint\t%s\n", ckpt)
	}
	tw.Flush()
}

// writeMetricsTable writes one row per metric: the value, or mean ± std
// over several batches.
func writeMetricsTable(w io.Writer, ms []sim.Metrics) {
	col := func(f func(sim.Metrics) float64) (float64, float64) {
		v := make([]float64, len(ms))
		for i, m := range ms {
			v[i] = f(m)
		}
		return meanStd(v)
	}
	pm := func(name, format string, f func(sim.Metrics) float64) {
		mean, std := col(f)
		if len(ms) > 1 {
			fmt.Fprintf(w, "%s\t"+format+" ± %.2g\n", name, mean, std)
		} else {
			fmt.Fprintf(w, "%s\t"+format+"\n", name, mean)
		}
	}
	if len(ms) > 1 {
		fmt.Fprintf(w, "samples\t%d batches × %d\n", len(ms), ms[0].N)
	} else {
		fmt.Fprintf(w, "samples\t%d\n", ms[0].N)
	}
	pm("x-W2", "%.4g", func(m sim.Metrics) float64 { return m.W2 })
	pm("MMD", "%.4g", func(m sim.Metrics) float64 { return m.MMD })
	if ms[0].HasModes {
		minCov := ms[0].Covered
		for _, m := range ms {
			minCov = min(minCov, m.Covered)
		}
		mean, _ := col(func(m sim.Metrics) float64 { return float64(m.Covered) })
		if len(ms) > 1 {
			fmt.Fprintf(w, "modes covered\t%.4g/%d (min %d)\n", mean, ms[0].Modes, minCov)
		} else {
			fmt.Fprintf(w, "modes covered\t%d/%d\n", ms[0].Covered, ms[0].Modes)
		}
		pm("mode TV", "%.4f", func(m sim.Metrics) float64 { return m.ModeTV })
		pm("outside 3σ", "%.4g", func(m sim.Metrics) float64 { return float64(m.Outside) })
	}
	if ms[0].HasEnergy {
		pm("E-W2", "%.4g", func(m sim.Metrics) float64 { return m.EnergyW2 })
		pm("distance TV", "%.4f", func(m sim.Metrics) float64 { return m.DistTV })
		pm("above the reference's highest energy", "%.4g", func(m sim.Metrics) float64 { return float64(m.HighEnergy) })
	}
}

// meanStd returns the mean and the sample standard deviation (n − 1; 0 for
// a single value) of v, ignoring NaNs; NaN for no values.
func meanStd(v []float64) (mean, std float64) {
	var s, n float64
	for _, x := range v {
		if !math.IsNaN(x) {
			s += x
			n++
		}
	}
	if n == 0 {
		return math.NaN(), math.NaN()
	}
	mean = s / n
	if n < 2 {
		return mean, 0
	}
	var ss float64
	for _, x := range v {
		if !math.IsNaN(x) {
			ss += (x - mean) * (x - mean)
		}
	}
	return mean, math.Sqrt(ss / (n - 1))
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
