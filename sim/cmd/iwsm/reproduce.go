package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gonum.org/v1/plot/plotter"

	"iwsm/sim"
	"iwsm/targets"
)

// reproduceOpts are the flags of "iwsm reproduce".
type reproduceOpts struct {
	budget      time.Duration
	steps       int
	seeds       int
	out         string
	jsonDir     string
	targets     string
	ablations   string
	evals       int
	evalN       int
	batches     int
	resume      bool
	threshold   float64
	noFigures   bool
	quiet       bool
	reportOnly  bool
	mala        malaOpts
	knobs       *knobs
	flagSet     *flag.FlagSet
	commandLine string
}

func reproduceFlags() (*flag.FlagSet, *reproduceOpts) {
	f := flag.NewFlagSet("reproduce", flag.ContinueOnError)
	o := &reproduceOpts{flagSet: f}
	f.DurationVar(&o.budget, "budget", 5*time.Minute, "training wall time of every run (evaluations do not count)")
	f.IntVar(&o.steps, "steps", 0, "also stop every run after this many steps (0: no limit)")
	f.IntVar(&o.seeds, "seeds", 3, "seeds 1..N of every target and variant")
	f.StringVar(&o.out, "out", "results", "output directory")
	f.StringVar(&o.jsonDir, "json-dir", "", "directory of the per-run files (default <out>/runs)")
	f.StringVar(&o.targets, "targets", "gmm40,gmm120", "comma-separated targets")
	f.StringVar(&o.ablations, "ablations", "gmm40", "targets that also run iwsm-def0 and idem-def0 (defensive share 0); \"none\" for none")
	f.IntVar(&o.evals, "evals", 10, "evaluations per run on an even schedule of training time (every budget/evals)")
	f.IntVar(&o.evalN, "eval-n", 1000, "samples per evaluation (when not given, lj13 uses the benchmark's 1024)")
	f.IntVar(&o.batches, "eval-batches", 5, "final evaluation batches of -eval-n samples, each against its own reference")
	f.BoolVar(&o.resume, "resume", false, "skip runs whose summary <name>.json exists")
	f.BoolVar(&o.reportOnly, "report-only", false, "train nothing: rebuild RESULTS.md, results.json and the figures from the finished runs")
	f.Float64Var(&o.threshold, "w2-threshold", 5, "x-W2 of the \"time to quality\" criterion (with every mode covered)")
	f.BoolVar(&o.noFigures, "no-figures", false, "do not draw the PNG figures")
	f.BoolVar(&o.quiet, "quiet", false, "no progress line on stderr")
	addMALAFlags(f, &o.mala)
	o.knobs = addKnobs(f, false)
	return f, o
}

// variant is one trained configuration of the comparison.
type variant struct {
	name       string
	weights    bool
	defensive0 bool
}

var (
	mainVariants     = []variant{{"iwsm", true, false}, {"idem", false, false}}
	ablationVariants = []variant{{"iwsm-def0", true, true}, {"idem-def0", false, true}}
)

// benchmarkEvalN are the evaluation sizes of the published figures where
// they differ from 1000: reproduce uses them when -eval-n is not given.
var benchmarkEvalN = map[string]int{"lj13": 1024}

// evalNFor returns the number of samples per evaluation of a target: -eval-n
// when given, else the benchmark's size (benchmarkEvalN) or the default.
func (o *reproduceOpts) evalNFor(t targets.Target) int {
	if n, ok := benchmarkEvalN[t.Name()]; ok && !setFlags(o.flagSet)["eval-n"] {
		return n
	}
	return o.evalN
}

// plannedRun is one run of the plan.
type plannedRun struct {
	target  targets.Target
	variant variant
	seed    uint64
	cfg     sim.Config
}

func (p plannedRun) name() string {
	return fmt.Sprintf("%s-%s-seed%d", p.target.Name(), p.variant.name, p.seed)
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" && f != "none" {
			out = append(out, f)
		}
	}
	return out
}

func cmdReproduce(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, o := reproduceFlags()
	if err := parseFlags(f, args); err != nil {
		return err
	}
	o.commandLine = "go run ./sim/cmd/iwsm reproduce" + quoteArgs(args)
	set := setFlags(f)
	switch {
	case o.budget <= 0:
		return usageErr("-budget must be positive")
	case o.steps < 0:
		return usageErr("-steps must not be negative")
	case o.seeds < 1 || o.seeds > 1000:
		return usageErr("-seeds %d out of range [1, 1000]", o.seeds)
	case o.evals < 1 || o.evals > 10000:
		return usageErr("-evals %d out of range [1, 10000]", o.evals)
	case o.threshold < 0 || math.IsNaN(o.threshold):
		return usageErr("-w2-threshold must be ≥ 0")
	case o.out == "":
		return usageErr("-out must name a directory")
	}
	if err := checkEvalFlags(o.evalN, o.batches, 0); err != nil {
		return err
	}
	if err := o.mala.validate(); err != nil {
		return err
	}
	plan, targetList, err := o.plan(set)
	if err != nil {
		return err
	}
	runDir := o.jsonDir
	if runDir == "" {
		runDir = filepath.Join(o.out, "runs")
	}
	for _, dir := range []string{o.out, runDir, filepath.Join(o.out, "figures")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return asUsage(err)
		}
	}
	if err := checkWritable(filepath.Join(runDir, "probe")); err != nil {
		return err
	}
	done := map[string]*runSummary{}
	interrupted := false
	for i, pr := range plan {
		label := fmt.Sprintf("[%d/%d] %s %s seed %d: ", i+1, len(plan), pr.target.Name(), pr.variant.name, pr.seed)
		base := filepath.Join(runDir, pr.name())
		if o.resume || o.reportOnly {
			s, err := readSummary(base + ".json")
			if err == nil {
				if s.BudgetSeconds != o.budget.Seconds() || s.StepLimit != o.steps {
					fmt.Fprintf(stderr, "%swarning: kept a run of budget %gs and step limit %d\n", label, s.BudgetSeconds, s.StepLimit)
				}
				done[pr.name()] = s
				continue
			}
			if !errors.Is(err, fs.ErrNotExist) {
				fmt.Fprintf(stderr, "%s%v; training it again\n", label, err)
			}
		}
		if o.reportOnly {
			continue
		}
		if ctx.Err() != nil {
			interrupted = true
			break
		}
		s, err := o.runOne(ctx, pr, base, label, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "%sfailed: %s\n", label, oneLine(err.Error()))
			continue
		}
		if s == nil { // interrupted
			interrupted = true
			break
		}
		done[pr.name()] = s
		fmt.Fprintf(stderr, "%s%s\n", label, runLine(s, o.threshold))
	}
	if o.mala.steps > 0 && !interrupted {
		for _, pr := range plan {
			s := done[pr.name()]
			if s == nil {
				continue
			}
			base := filepath.Join(runDir, pr.name())
			label := fmt.Sprintf("%s %s seed %d: ", pr.target.Name(), pr.variant.name, pr.seed)
			changed, err := correctRun(ctx, s, base, o.mala, stderr, label)
			if err != nil {
				fmt.Fprintf(stderr, "%sMALA corrector: %s\n", label, oneLine(err.Error()))
				interrupted = ctx.Err() != nil
				if interrupted {
					break
				}
				continue
			}
			if changed {
				if err := writeSummary(base+".json", s); err != nil {
					return err
				}
			}
		}
	}
	rep, err := o.buildReport(plan, targetList, done, runDir, stderr)
	if err != nil {
		return err
	}
	mdPath, jsonPath := filepath.Join(o.out, "RESULTS.md"), filepath.Join(o.out, "results.json")
	if err := writeFileAtomic(mdPath, func(w io.Writer) error { return writeResultsMarkdown(w, rep) }); err != nil {
		return err
	}
	if err := writeFileAtomic(jsonPath, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s and %s (%d of %d runs finished)\n", mdPath, jsonPath, len(done), len(plan))
	if interrupted {
		return fmt.Errorf("interrupted after %d of %d runs; run again with -resume to continue", len(done), len(plan))
	}
	return nil
}

// plan lists the runs: seed-major, so that a partial reproduction has every
// variant of its first seeds.
func (o *reproduceOpts) plan(set map[string]bool) ([]plannedRun, []targets.Target, error) {
	names := splitList(o.targets)
	if len(names) == 0 {
		return nil, nil, usageErr("-targets lists no target")
	}
	ablate := map[string]bool{}
	for _, a := range splitList(o.ablations) {
		if _, err := lookupTarget(a); err != nil {
			return nil, nil, err
		}
		ablate[a] = true
	}
	var ts []targets.Target
	cfgs := map[string]sim.Config{}
	for _, n := range names {
		t, err := lookupTarget(n)
		if err != nil {
			return nil, nil, err
		}
		if _, dup := cfgs[n]; dup {
			return nil, nil, usageErr("-targets lists %s twice", n)
		}
		cfg, err := trainConfig(t, "iwsm", set, o.knobs)
		if err != nil {
			return nil, nil, err
		}
		cfgs[n] = cfg
		ts = append(ts, t)
	}
	var plan []plannedRun
	for seed := uint64(1); seed <= uint64(o.seeds); seed++ {
		for _, t := range ts {
			vs := mainVariants
			if ablate[t.Name()] {
				vs = append(vs[:len(vs):len(vs)], ablationVariants...)
			}
			for _, v := range vs {
				cfg := cfgs[t.Name()]
				cfg.Weights = v.weights
				if v.defensive0 {
					cfg.DefensiveShare = 0
				}
				if err := cfg.Validate(t); err != nil {
					return nil, nil, usageErr("%s %s: %v", t.Name(), v.name, err)
				}
				plan = append(plan, plannedRun{target: t, variant: v, seed: seed, cfg: cfg})
			}
		}
	}
	return plan, ts, nil
}

// runOne trains one run and writes its files; it returns nil without error
// when ctx interrupted the run (whose summary is then not written).
func (o *reproduceOpts) runOne(ctx context.Context, pr plannedRun, base, label string, stderr io.Writer) (*runSummary, error) {
	logFile, err := os.Create(base + ".jsonl")
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriter(logFile)
	spec := trainSpec{target: pr.target, cfg: pr.cfg, seed: pr.seed, steps: o.steps, budget: o.budget,
		evalEvery: o.budget / time.Duration(o.evals), evalN: o.evalNFor(pr.target), evalBatches: o.batches,
		logSteps: 10, logInterval: time.Second, records: bw, abandonOnInterrupt: true}
	if !o.quiet {
		spec.progress, spec.label = stderr, label
	}
	noRef := !hasReference(pr.target)
	if noRef {
		// Nothing to compare the samples with: no evaluations during
		// training, and the final evaluation, which train always runs, is
		// asked for the fewest samples it takes, so that it fails for want of
		// a reference without first sampling -eval-n configurations.
		spec.evalEvery, spec.evalN, spec.evalBatches = 0, 2, 1
	}
	res, err := train(ctx, spec)
	ferr := bw.Flush()
	if cerr := logFile.Close(); ferr == nil {
		ferr = cerr
	}
	if err != nil {
		return nil, err
	}
	if ferr != nil {
		return nil, fmt.Errorf("writing %s.jsonl: %w", base, ferr)
	}
	if res.interrupted {
		return nil, nil
	}
	d := pr.target.Dim()
	if res.samples != nil {
		if err := writeFileAtomic(base+".csv", func(w io.Writer) error { return writeCSV(w, res.samples, d) }); err != nil {
			return nil, err
		}
	}
	meta, err := checkpointMeta(pr.target, pr.cfg, pr.seed, res)
	if err != nil {
		return nil, err
	}
	meta["variant"] = pr.variant.name
	if err := writeFileAtomic(base+".ckpt", func(w io.Writer) error {
		return sim.WriteCheckpoint(w, sim.Checkpoint{Net: res.net, Meta: meta})
	}); err != nil {
		return nil, err
	}
	s := summarize(pr, res, o)
	s.Knobs, s.Command = knobArgs(o.flagSet, setFlags(o.flagSet)), o.commandLine
	if noRef {
		s.NoReference = true
		if errors.Is(res.finalErr, targets.ErrNoReference) {
			s.FinalError = ""
		}
	}
	if err := writeSummary(base+".json", s); err != nil {
		return nil, err
	}
	return s, nil
}

// writeSummary writes a run summary as indented JSON.
func writeSummary(path string, s *runSummary) error {
	return writeFileAtomic(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", " ")
		return enc.Encode(s)
	})
}

// summarize turns a run's result into its summary.
func summarize(pr plannedRun, res *trainResult, o *reproduceOpts) *runSummary {
	cj, _ := json.Marshal(pr.cfg)
	s := &runSummary{Target: pr.target.Name(), Variant: pr.variant.name, Seed: pr.seed, Method: pr.cfg.Method(),
		Defensive: pr.cfg.DefensiveShare, BudgetSeconds: o.budget.Seconds(), StepLimit: o.steps,
		Steps: res.steps, InitSeconds: res.initSeconds, TrainSeconds: res.trainSeconds, TotalSeconds: res.totalSeconds,
		EnergyEvals: res.energyEvals, ESS: jfloat(res.recentESS), Curve: res.curve, ESSCurve: res.essCurve, Config: cj}
	if res.stepErr != nil {
		s.StepError = res.stepErr.Error()
	}
	if res.finalErr != nil {
		s.FinalError = res.finalErr.Error()
	}
	for _, m := range res.final {
		s.Batches = append(s.Batches, newMetricsRecord(m))
	}
	s.ModeCounts = meanCounts(res.finalCounts)
	return s
}

// meanCounts averages per-mode counts over batches.
func meanCounts(batches [][]int) []float64 {
	var out []float64
	n := 0
	for _, c := range batches {
		if c == nil {
			continue
		}
		if out == nil {
			out = make([]float64, len(c))
		}
		for k := range min(len(c), len(out)) {
			out[k] += float64(c[k])
		}
		n++
	}
	for k := range out {
		out[k] /= float64(n)
	}
	return out
}

// hasReference reports whether a target has samples to compare with: an
// exact sampler or a test set. A reference set that exists but fails to load
// counts as present, so that its error shows in the evaluations.
func hasReference(t targets.Target) bool {
	if _, ok := t.(targets.ExactSampler); ok {
		return true
	}
	if r, ok := t.(targets.Referenced); ok {
		_, err := r.Reference("test")
		return !errors.Is(err, targets.ErrNoReference)
	}
	return false
}

// runLine is the one-line report of a finished run.
func runLine(s *runSummary, threshold float64) string {
	r := seedFigures(s, threshold)
	var b strings.Builder
	if s.NoReference {
		fmt.Fprintf(&b, "no reference set (no sample metrics), nESS %.3f, %d steps in %s", float64(s.ESS), s.Steps, fmtDuration(seconds(s.TrainSeconds)))
		if r.Error != "" {
			fmt.Fprintf(&b, " [%s]", r.Error)
		}
		return b.String()
	}
	fmt.Fprintf(&b, "x-W2 %.2f", float64(r.W2))
	if len(s.Batches) > 0 && s.Batches[0].Modes != nil {
		fmt.Fprintf(&b, ", modes %.1f/%d (min %d)", float64(r.Covered), *s.Batches[0].Modes, r.CoveredMin)
	}
	if len(s.Batches) > 0 && s.Batches[0].EW2 != nil {
		fmt.Fprintf(&b, ", E-W2 %.3g", float64(r.EW2))
	}
	fmt.Fprintf(&b, ", nESS %.3f, %d steps in %s", float64(s.ESS), s.Steps, fmtDuration(seconds(s.TrainSeconds)))
	if r.TimeToQuality != nil {
		fmt.Fprintf(&b, ", quality at %.0f s", *r.TimeToQuality)
	}
	if r.Error != "" {
		fmt.Fprintf(&b, " [%s]", r.Error)
	}
	return b.String()
}

// floorSamples draws n samples of the target itself: exact samples, or rows
// of the validation reference set; ok is false when it has neither.
func floorSamples(t targets.Target, n int, rng *rand.Rand) ([]float64, bool, error) {
	d := t.Dim()
	switch src := t.(type) {
	case targets.ExactSampler:
		x := make([]float64, n*d)
		src.SampleInto(x, rng)
		return x, true, nil
	case targets.Referenced:
		all, err := src.Reference("val")
		if err != nil {
			return nil, false, nil
		}
		rows := len(all) / d
		if rows < n {
			return nil, false, nil
		}
		x := make([]float64, 0, n*d)
		for _, i := range rng.Perm(rows)[:n] {
			x = append(x, all[i*d:(i+1)*d]...)
		}
		return x, true, nil
	}
	return nil, false, nil
}

// floorSummary evaluates the target's own samples against the references
// of a seed's final evaluation: the best any sampler can score.
//
// With symmetric set, for particle systems, every configuration is also
// rotated and relabelled at random (targets.Symmetrize): still exact samples
// of π, but without any orientation or labelling the reference set's
// generator may have left in it, which no equivariant sampler reproduces.
func floorSummary(t targets.Target, seed uint64, n, batches int, symmetric bool) (*runSummary, []float64, error) {
	s := &runSummary{Target: t.Name(), Variant: "exact", Seed: seed}
	ps, isParticles := t.(targets.ParticleSystem)
	if symmetric {
		if !isParticles {
			return nil, nil, nil
		}
		s.Variant = "exact-sym"
	}
	var first []float64
	var counts [][]int
	for b := range batches {
		rng := rand.New(rand.NewPCG(seed, streamExact|uint64(b)))
		x, ok, err := floorSamples(t, n, rng)
		if err != nil || !ok {
			return nil, nil, err
		}
		if symmetric {
			np, sd := ps.Particles()
			targets.Symmetrize(x, np, sd, rng)
		}
		m, c, err := evaluateSamples(t, x, seed, uint64(finalEvalIndex+b))
		if err != nil {
			return nil, nil, err
		}
		if first == nil {
			first = x
		}
		s.Batches = append(s.Batches, newMetricsRecord(m))
		counts = append(counts, c)
	}
	s.ModeCounts = meanCounts(counts)
	s.ESS = jfloat(math.NaN())
	return s, first, nil
}

// floors measures a target's floor (floorSummary) for every seed, and
// returns the samples of the first batch.
func (o *reproduceOpts) floors(t targets.Target, seeds []uint64, symmetric bool, stderr io.Writer) ([]*runSummary, []float64) {
	var floors []*runSummary
	var first []float64
	for _, seed := range seeds {
		s, x, err := floorSummary(t, seed, o.evalNFor(t), o.batches, symmetric)
		if err != nil {
			fmt.Fprintf(stderr, "%s floor, seed %d: %v\n", t.Name(), seed, err)
			break
		}
		if s == nil {
			break
		}
		floors = append(floors, s)
		if first == nil {
			first = x
		}
	}
	return floors, first
}

// buildReport aggregates the finished runs, measures the floors and draws
// the figures.
func (o *reproduceOpts) buildReport(plan []plannedRun, ts []targets.Target, done map[string]*runSummary, runDir string, stderr io.Writer) (*report, error) {
	rep := &report{Command: o.commandLine, Date: time.Now().UTC().Format("2006-01-02 15:04 MST"), Machine: currentMachine(),
		Settings: reportSettings{BudgetSeconds: o.budget.Seconds(), StepLimit: o.steps, EvalN: o.evalN,
			EvalBatches: o.batches, Evals: o.evals, W2Threshold: o.threshold,
			Knobs: knobArgs(o.flagSet, setFlags(o.flagSet))}}
	for seed := uint64(1); seed <= uint64(o.seeds); seed++ {
		rep.Settings.Seeds = append(rep.Settings.Seeds, seed)
	}
	// The knobs and commands of the runs themselves (a -resume or
	// -report-only invocation may differ from the one that trained them).
	knobSets, commands := map[string]bool{}, map[string]bool{}
	for _, pr := range plan {
		if s := done[pr.name()]; s != nil {
			knobSets[strings.Join(s.Knobs, " ")] = true
			if s.Command != "" && s.Command != o.commandLine && !commands[s.Command] {
				commands[s.Command] = true
				rep.Settings.RunCommands = append(rep.Settings.RunCommands, s.Command)
			}
		}
	}
	switch len(knobSets) {
	case 0:
	case 1:
		for k := range knobSets {
			rep.Settings.Knobs = strings.Fields(k)
		}
	default:
		rep.Settings.MixedKnobs = true
	}
	if rep.Settings.Knobs == nil {
		rep.Settings.Knobs = []string{}
	}
	for _, pr := range plan {
		if done[pr.name()] == nil {
			rep.Settings.Missing = append(rep.Settings.Missing, pr.name())
		}
	}
	for _, t := range ts {
		tr := targetReport{Target: t.Name(), Dim: t.Dim(), Published: publishedFigures[t.Name()], NoReference: !hasReference(t), EvalN: o.evalNFor(t)}
		var variants []string
		byVariant := map[string][]*runSummary{}
		for _, pr := range plan {
			if pr.target.Name() != t.Name() {
				continue
			}
			if _, seen := byVariant[pr.variant.name]; !seen {
				variants = append(variants, pr.variant.name)
				byVariant[pr.variant.name] = nil
			}
			if s := done[pr.name()]; s != nil {
				byVariant[pr.variant.name] = append(byVariant[pr.variant.name], s)
			}
		}
		for _, v := range variants {
			if runs := byVariant[v]; len(runs) > 0 {
				tr.Rows = append(tr.Rows, aggregate(runs, o.threshold))
			}
		}
		for _, v := range variants {
			if runs := correctedRuns(byVariant[v]); len(runs) > 0 {
				tr.Rows = append(tr.Rows, aggregate(runs, o.threshold))
				rep.Settings.MALASteps = runs[0].MALA.Steps
			}
		}
		floors, floorX := o.floors(t, rep.Settings.Seeds, false, stderr)
		if len(floors) > 0 {
			row := aggregate(floors, o.threshold)
			tr.Floor = &row
		}
		if symFloors, _ := o.floors(t, rep.Settings.Seeds, true, stderr); len(symFloors) > 0 {
			row := aggregate(symFloors, o.threshold)
			tr.SymmetricFloor = &row
		}
		if !o.noFigures && len(tr.Rows) > 0 {
			figs, err := o.drawFigures(t, variants, byVariant, floors, floorX, runDir, tr)
			if err != nil {
				fmt.Fprintf(stderr, "%s figures: %v\n", t.Name(), err)
			}
			tr.Figures = figs
		}
		rep.Targets = append(rep.Targets, tr)
	}
	return rep, nil
}

// drawFigures draws a target's figures into <out>/figures and returns them
// with paths relative to RESULTS.md.
func (o *reproduceOpts) drawFigures(t targets.Target, variants []string, byVariant map[string][]*runSummary, floors []*runSummary, floorX []float64, runDir string, tr targetReport) ([]figureRef, error) {
	figDir := filepath.Join(o.out, "figures")
	var figs []figureRef
	add := func(file, caption string) {
		figs = append(figs, figureRef{Caption: caption, Path: "figures/" + file})
	}
	var firstErr error
	keep := func(err error) {
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	name, evalN := t.Name(), o.evalNFor(t)
	if t.Dim() == 2 {
		var panels []samplePanel
		seedShown := uint64(0)
		for _, v := range variants {
			runs := byVariant[v]
			if len(runs) == 0 {
				continue
			}
			seed := runs[0].Seed
			for _, r := range runs {
				seed = min(seed, r.Seed)
			}
			x, err := readCSVFile(filepath.Join(runDir, fmt.Sprintf("%s-%s-seed%d.csv", name, v, seed)), 2)
			if err != nil {
				keep(err)
				continue
			}
			if seedShown == 0 {
				seedShown = seed
			}
			panels = append(panels, samplePanel{Name: v, X: x})
		}
		if floorX != nil {
			panels = append(panels, samplePanel{Name: "exact", X: floorX})
		}
		if len(panels) > 0 {
			file := "samples-" + name + ".png"
			title := fmt.Sprintf("%s: final samples (seed %d, %d each) over the target's log density; + marks the mode centres", name, seedShown, evalN)
			if err := samplesFigure(filepath.Join(figDir, file), t, title, panels); err != nil {
				keep(err)
			} else {
				add(file, fmt.Sprintf("%s: final samples of each variant (seed %d) and exact samples, over the log density", name, seedShown))
			}
		}
	}
	var essSets, w2Sets []seriesSet
	for _, v := range variants {
		var essSeeds, w2Seeds []plotter.XYs
		for _, s := range byVariant[v] {
			var e, w plotter.XYs
			for _, p := range s.ESSCurve {
				e = append(e, plotter.XY{X: p.Seconds, Y: float64(p.ESS)})
			}
			for _, p := range s.Curve {
				if p.Metrics != nil {
					w = append(w, plotter.XY{X: p.Seconds, Y: float64(p.Metrics.W2)})
				}
			}
			essSeeds, w2Seeds = append(essSeeds, e), append(w2Seeds, w)
		}
		essSets = append(essSets, seriesSet{Name: v, Seeds: essSeeds, Mean: meanCurve(essSeeds, 100)})
		w2Sets = append(w2Sets, seriesSet{Name: v, Seeds: w2Seeds, Mean: meanCurve(w2Seeds, 60)})
	}
	file := "ess-" + name + ".png"
	if err := curveFigure(filepath.Join(figDir, file), name+": nESS of the importance weights during training",
		"training time (s)", "nESS (mean over the steps between log lines)", essSets, nil, 0, 1); err != nil {
		keep(err)
	} else {
		add(file, name+": normalized ESS of the importance weights over training time (thick: mean over seeds; thin: each seed)")
	}
	var refs []refLine
	if tr.Floor != nil {
		refs = append(refs, refLine{Label: fmt.Sprintf("floor, measured (%.2f)", float64(tr.Floor.W2.Mean)), Y: float64(tr.Floor.W2.Mean), Color: variantColors["exact"]})
	}
	if tr.SymmetricFloor != nil {
		refs = append(refs, refLine{Label: fmt.Sprintf("symmetric floor, measured (%.2f)", float64(tr.SymmetricFloor.W2.Mean)), Y: float64(tr.SymmetricFloor.W2.Mean), Color: variantColors["exact-sym"]})
	}
	pub, hasPub := publishedIDEM[name]
	if hasPub {
		refs = append(refs, refLine{Label: fmt.Sprintf("iDEM re-run, published (%.2f)", pub.W2), Y: pub.W2, Color: variantColors["idem"]})
	}
	file = "w2-" + name + ".png"
	if anyPoints(w2Sets) { // none without reference data
		if err := curveFigure(filepath.Join(figDir, file), name+": x-W2 of "+fmt.Sprint(evalN)+" samples during training",
			"training time (s)", "x-W2", w2Sets, refs, 0, math.NaN()); err != nil {
			keep(err)
		} else {
			add(file, name+": x-W2 over training time (thick: mean over seeds; thin: each seed; dashed: references)")
		}
	}
	if _, ok := t.(targets.ParticleSystem); ok {
		var ew2Sets []seriesSet
		for _, v := range variants {
			var seeds []plotter.XYs
			for _, s := range byVariant[v] {
				var e plotter.XYs
				for _, p := range s.Curve {
					if p.Metrics != nil && p.Metrics.EW2 != nil {
						e = append(e, plotter.XY{X: p.Seconds, Y: float64(*p.Metrics.EW2)})
					}
				}
				seeds = append(seeds, e)
			}
			ew2Sets = append(ew2Sets, seriesSet{Name: v, Seeds: seeds, Mean: meanCurve(seeds, 60)})
		}
		var erefs []refLine
		if tr.Floor != nil && tr.Floor.EW2.N > 0 {
			erefs = append(erefs, refLine{Label: fmt.Sprintf("floor, measured (%.2g)", float64(tr.Floor.EW2.Mean)), Y: float64(tr.Floor.EW2.Mean), Color: variantColors["exact"]})
		}
		if hasPub && pub.EW2 > 0 {
			erefs = append(erefs, refLine{Label: fmt.Sprintf("iDEM re-run, published (%.2f)", pub.EW2), Y: pub.EW2, Color: variantColors["idem"]})
		}
		file = "ew2-" + name + ".png"
		if anyPoints(ew2Sets) {
			if err := curveFigureScale(filepath.Join(figDir, file), name+": E-W2 of "+fmt.Sprint(evalN)+" samples during training",
				"training time (s)", "E-W2 (squared W2 of the energies, log scale)", ew2Sets, erefs, math.NaN(), math.NaN(), true); err != nil {
				keep(err)
			} else {
				add(file, name+": E-W2 over training time, log scale (thick: mean over seeds; thin: each seed; dashed: references)")
			}
		}
		pf, err := o.particleFigures(t, variants, byVariant, floors, floorX, runDir)
		keep(err)
		figs = append(figs, pf...)
	}
	if mo, ok := t.(targets.Moder); ok {
		k := len(mo.Modes())
		var series []countSeries
		for _, v := range variants {
			if mc := meanRunCounts(byVariant[v]); mc != nil {
				series = append(series, countSeries{Name: v, Counts: mc})
			}
		}
		if mc := meanRunCounts(floors); mc != nil {
			series = append(series, countSeries{Name: "exact", Counts: mc})
		}
		file = "modes-" + name + ".png"
		title := fmt.Sprintf("%s: final samples per mode (mean over seeds and batches of %d)", name, evalN)
		if err := modeCountsFigure(filepath.Join(figDir, file), title, float64(evalN)/float64(k), sim.DefaultCoverageConfig().MinShare, series); err != nil {
			keep(err)
		} else {
			add(file, name+": samples per mode against the fair share n/K and the 20 % coverage threshold")
		}
	}
	return figs, firstErr
}

// publishedIDEM are the iDEM re-run's published x-W2 and E-W2 (METHOD.md),
// drawn as reference lines; 0 where none was published.
var publishedIDEM = map[string]struct{ W2, EW2 float64 }{
	"gmm40": {W2: 7.70},
	"dw4":   {W2: 2.05, EW2: 0.44},
	"lj13":  {W2: 4.27, EW2: 5.20},
	"lj55":  {W2: 16.14},
}

// anyPoints reports whether any curve of sets has a point.
func anyPoints(sets []seriesSet) bool {
	for _, s := range sets {
		for _, xy := range s.Seeds {
			if len(xy) > 0 {
				return true
			}
		}
	}
	return false
}

// particleFigures draws the energy and interatomic-distance histograms of a
// particle system: for each variant, the first final batch of its lowest
// seed (the run's CSV) against the whole test set, plus a panel of the
// floor's samples (the validation set) when there is one. Without reference
// data the panels show the samples alone.
func (o *reproduceOpts) particleFigures(t targets.Target, variants []string, byVariant map[string][]*runSummary, floors []*runSummary, floorX []float64, runDir string) ([]figureRef, error) {
	ps, ok := t.(targets.ParticleSystem)
	if !ok {
		return nil, nil
	}
	np, sd := ps.Particles()
	name, d := t.Name(), t.Dim()
	var firstErr error
	var refE, refD []float64
	refLabel := ""
	if r, ok := t.(targets.Referenced); ok {
		if all, err := r.Reference("test"); err == nil {
			refE, refD = targets.EnergyBatch(t, nil, all), targets.PairDistances(nil, all, np, sd)
			refLabel = fmt.Sprintf("test set (%d)", len(all)/d)
		}
	}
	var ePanels, dPanels []histPanel
	type histSource struct {
		variant string
		x       []float64
		batch   *metricsRecord
	}
	var corrected []histSource // after the variants' own panels
	seedShown := uint64(0)
	addPanels := func(v, label string, x []float64, b *metricsRecord) {
		var eNote, dNote string
		if b != nil && b.EW2 != nil {
			eNote = fmt.Sprintf("E-W2 %.3g", float64(*b.EW2))
		}
		if b != nil && b.DistTV != nil {
			dNote = fmt.Sprintf("distance TV %.3f", float64(*b.DistTV))
		}
		ePanels = append(ePanels, histPanel{Name: v, Label: label, Values: targets.EnergyBatch(t, nil, x), Note: eNote, Unit: "samples"})
		dPanels = append(dPanels, histPanel{Name: v, Label: label, Values: targets.PairDistances(nil, x, np, sd), Note: dNote, Unit: "distances"})
	}
	for _, v := range variants {
		runs := byVariant[v]
		if len(runs) == 0 {
			continue
		}
		s := runs[0]
		for _, r := range runs {
			if r.Seed < s.Seed {
				s = r
			}
		}
		x, err := readCSVFile(filepath.Join(runDir, fmt.Sprintf("%s-%s-seed%d.csv", name, v, s.Seed)), d)
		if err != nil {
			if firstErr == nil && !errors.Is(err, fs.ErrNotExist) {
				firstErr = err
			}
			continue
		}
		if seedShown == 0 {
			seedShown = s.Seed
		}
		var b *metricsRecord
		if len(s.Batches) > 0 {
			b = s.Batches[0]
		}
		addPanels(v, "", x, b)
		if len(s.Corrected) > 0 {
			if xc, err := readCSVFile(filepath.Join(runDir, fmt.Sprintf("%s-%s-seed%d%s", name, v, s.Seed, malaCSVSuffix)), d); err == nil {
				corrected = append(corrected, histSource{v + malaSuffix, xc, s.Corrected[0]})
			} else if firstErr == nil && !errors.Is(err, fs.ErrNotExist) {
				firstErr = err
			}
		}
	}
	for _, c := range corrected {
		addPanels(c.variant, "", c.x, c.batch)
	}
	if len(ePanels) == 0 {
		return nil, firstErr
	}
	if floorX != nil {
		var b *metricsRecord
		if len(floors) > 0 && len(floors[0].Batches) > 0 {
			b = floors[0].Batches[0]
		}
		addPanels("exact", "validation set", floorX, b)
	}
	figDir := filepath.Join(o.out, "figures")
	var figs []figureRef
	against := "against the " + refLabel
	if refLabel == "" {
		against = "(no reference data)"
	}
	n := len(ePanels[0].Values)
	if lo, hi, ok := histRange(refE, ePanels, 0.05, 0.25); ok {
		file := "energy-" + name + ".png"
		title := fmt.Sprintf("%s: energies of %d final samples (seed %d) %s", name, n, seedShown, against)
		if err := histogramFigure(filepath.Join(figDir, file), title, "energy E(x)", refE, refLabel, ePanels, lo, hi, 80); err != nil {
			if firstErr == nil {
				firstErr = err
			}
		} else {
			figs = append(figs, figureRef{Path: "figures/" + file,
				Caption: fmt.Sprintf("%s: energy histograms of each variant's final samples (seed %d) %s", name, seedShown, against)})
		}
	}
	if lo, hi, ok := histRange(refD, dPanels, 0.02, 0.1); ok {
		file := "distances-" + name + ".png"
		title := fmt.Sprintf("%s: interatomic distances of %d final samples (seed %d) %s", name, n, seedShown, against)
		if err := histogramFigure(filepath.Join(figDir, file), title, "interatomic distance", refD, refLabel, dPanels, math.Max(lo, 0), hi, 100); err != nil {
			if firstErr == nil {
				firstErr = err
			}
		} else {
			figs = append(figs, figureRef{Path: "figures/" + file,
				Caption: fmt.Sprintf("%s: interatomic-distance histograms of each variant's final samples (seed %d) %s", name, seedShown, against)})
		}
	}
	return figs, firstErr
}

// meanRunCounts averages the per-mode counts of runs.
func meanRunCounts(runs []*runSummary) []float64 {
	var out []float64
	n := 0
	for _, s := range runs {
		if len(s.ModeCounts) == 0 {
			continue
		}
		if out == nil {
			out = make([]float64, len(s.ModeCounts))
		}
		for k := range min(len(out), len(s.ModeCounts)) {
			out[k] += s.ModeCounts[k]
		}
		n++
	}
	for k := range out {
		out[k] /= float64(n)
	}
	return out
}

// quoteArgs renders arguments for a shell, quoting those that need it.
func quoteArgs(args []string) string {
	var b strings.Builder
	for _, a := range args {
		b.WriteByte(' ')
		if a != "" && !strings.ContainsAny(a, " \t\n'\"\\$`*?[]{}()<>|&;#~!") {
			b.WriteString(a)
			continue
		}
		b.WriteString("'" + strings.ReplaceAll(a, "'", `'\''`) + "'")
	}
	return b.String()
}
