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
	f.IntVar(&o.evalN, "eval-n", 1000, "samples per evaluation")
	f.IntVar(&o.batches, "eval-batches", 5, "final evaluation batches of -eval-n samples, each against its own reference")
	f.BoolVar(&o.resume, "resume", false, "skip runs whose summary <name>.json exists")
	f.BoolVar(&o.reportOnly, "report-only", false, "train nothing: rebuild RESULTS.md, results.json and the figures from the finished runs")
	f.Float64Var(&o.threshold, "w2-threshold", 5, "x-W2 of the \"time to quality\" criterion (with every mode covered)")
	f.BoolVar(&o.noFigures, "no-figures", false, "do not draw the PNG figures")
	f.BoolVar(&o.quiet, "quiet", false, "no progress line on stderr")
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
		evalEvery: o.budget / time.Duration(o.evals), evalN: o.evalN, evalBatches: o.batches,
		logSteps: 10, logInterval: time.Second, records: bw, abandonOnInterrupt: true}
	if !o.quiet {
		spec.progress, spec.label = stderr, label
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
	if err := writeFileAtomic(base+".json", func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", " ")
		return enc.Encode(s)
	}); err != nil {
		return nil, err
	}
	return s, nil
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

// runLine is the one-line report of a finished run.
func runLine(s *runSummary, threshold float64) string {
	r := seedFigures(s, threshold)
	var b strings.Builder
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
func floorSummary(t targets.Target, seed uint64, n, batches int) (*runSummary, []float64, error) {
	s := &runSummary{Target: t.Name(), Variant: "exact", Seed: seed}
	var first []float64
	var counts [][]int
	for b := range batches {
		x, ok, err := floorSamples(t, n, rand.New(rand.NewPCG(seed, streamExact|uint64(b))))
		if err != nil || !ok {
			return nil, nil, err
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
		tr := targetReport{Target: t.Name(), Dim: t.Dim(), Published: publishedFigures[t.Name()]}
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
		var floors []*runSummary
		var floorX []float64
		for _, seed := range rep.Settings.Seeds {
			s, x, err := floorSummary(t, seed, o.evalN, o.batches)
			if err != nil {
				fmt.Fprintf(stderr, "%s floor, seed %d: %v\n", t.Name(), seed, err)
				break
			}
			if s == nil {
				break
			}
			floors = append(floors, s)
			if floorX == nil {
				floorX = x
			}
		}
		if len(floors) > 0 {
			row := aggregate(floors, o.threshold)
			tr.Floor = &row
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
	name := t.Name()
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
			title := fmt.Sprintf("%s: final samples (seed %d, %d each) over the target's log density; + marks the mode centres", name, seedShown, o.evalN)
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
	if name == "gmm40" {
		refs = append(refs, refLine{Label: "iDEM re-run, published (7.70)", Y: 7.70, Color: variantColors["idem"]})
	}
	file = "w2-" + name + ".png"
	if err := curveFigure(filepath.Join(figDir, file), name+": x-W2 of "+fmt.Sprint(o.evalN)+" samples during training",
		"training time (s)", "x-W2", w2Sets, refs, 0, math.NaN()); err != nil {
		keep(err)
	} else {
		add(file, name+": x-W2 over training time (thick: mean over seeds; thin: each seed; dashed: references)")
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
		title := fmt.Sprintf("%s: final samples per mode (mean over seeds and batches of %d)", name, o.evalN)
		if err := modeCountsFigure(filepath.Join(figDir, file), title, float64(o.evalN)/float64(k), sim.DefaultCoverageConfig().MinShare, series); err != nil {
			keep(err)
		} else {
			add(file, name+": samples per mode against the fair share n/K and the 20 % coverage threshold")
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
