package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"iwsm/sim"
	"iwsm/targets"
)

// Random streams of the evaluations: stream ids under the run's seed, so
// that evaluating never draws from the trainer's own generator (a run's
// training does not depend on when or how often it is evaluated) and every
// variant of a seed is compared with the same references.
const (
	streamEvalSamples = 0x65766c73 << 32 // "evls": sampler noise of evaluation k
	streamEvalRef     = 0x65726566 << 32 // "eref": reference of evaluation k
	streamExact       = 0x65786374 << 32 // "exct": exact samples of the floor
	finalEvalIndex    = 1 << 20          // evaluation index of final batch 0
)

// essWindow is the number of last steps whose mean nESS is the run's final nESS.
const essWindow = 100

// trainSpec describes one training run.
type trainSpec struct {
	target      targets.Target
	cfg         sim.Config
	seed        uint64
	steps       int           // stop after this many steps; 0: no limit
	budget      time.Duration // stop after this much training time; 0: no limit
	evalEvery   time.Duration // training time between evaluations; 0: only at the end
	evalN       int           // samples per evaluation
	evalBatches int           // batches of evalN samples at the end (≥ 1)
	logSteps    int           // step records at most every logSteps steps ...
	logInterval time.Duration // ... and at most every logInterval of wall time
	records     io.Writer     // JSON lines; nil: none
	progress    io.Writer     // the updating progress line; nil: none
	label       string        // prefix of the progress line
	// abandonOnInterrupt skips the final evaluation when ctx ends the
	// run (reproduce discards an interrupted run anyway).
	abandonOnInterrupt bool
}

// evalPoint is one evaluation during or at the end of a run.
type evalPoint struct {
	Step    int            `json:"step"`
	Seconds float64        `json:"seconds"` // training time
	ESS     jfloat         `json:"ess"`     // mean nESS over the last steps
	Metrics *metricsRecord `json:"metrics"`
}

// essPoint is the mean nESS of the steps between two step records.
type essPoint struct {
	Step    int     `json:"step"`
	Seconds float64 `json:"seconds"`
	ESS     jfloat  `json:"ess"`
	Loss    jfloat  `json:"loss"`
}

// trainResult is what a run produced.
type trainResult struct {
	net          sim.ScoreNet
	steps        int
	initSeconds  float64
	trainSeconds float64
	totalSeconds float64
	energyEvals  int64
	loss         float64 // the last step's
	recentESS    float64 // mean nESS over the last essWindow steps
	recentLoss   float64 // mean loss over the last essWindow steps
	curve        []evalPoint
	essCurve     []essPoint
	final        []sim.Metrics // one per final batch that succeeded
	finalCounts  [][]int       // per-mode counts of each final batch (mixtures)
	samples      []float64     // the first final batch
	finalErr     error         // the first failed final evaluation
	interrupted  bool          // stopped by the context
	stepErr      error         // the step that stopped training (divergence)
}

// runner is the state of a run in progress.
type runner struct {
	spec      trainSpec
	tr        *sim.Trainer
	res       *trainResult
	start     time.Time
	trainTime time.Duration
	enc       *json.Encoder
	line      progressLine

	essRing         [essWindow]float64
	lossRing        [essWindow]float64
	essN            int
	accLoss, accESS float64
	accN            int
	lastLog         time.Time
	lastLogStep     int
	lastMetrics     *sim.Metrics
	evaluating      bool
	nextEval        time.Duration
	encodeErr       error
}

// train runs one training: the trainer, steps until the limits or ctx end
// it, evaluations on schedule and the final evaluation. An error is
// returned only when the run could not start; a failed step (divergence)
// ends the training and is reported in the result, whose network is then
// the last good one.
func train(ctx context.Context, spec trainSpec) (*trainResult, error) {
	if spec.evalBatches < 1 {
		spec.evalBatches = 1
	}
	r := &runner{spec: spec, res: &trainResult{}, start: time.Now()}
	r.line.w = spec.progress
	if spec.records != nil {
		r.enc = json.NewEncoder(spec.records)
	}
	r.line.show(r.spec.label+"building the trainer and its initial buffer…", true)
	tr, err := sim.NewTrainer(spec.target, spec.cfg, spec.seed)
	if err != nil {
		r.line.done()
		return nil, err
	}
	defer tr.Close()
	r.tr = tr
	r.res.net = tr.SamplingNet()
	r.trainTime = time.Since(r.start)
	r.res.initSeconds = r.trainTime.Seconds()
	r.lastLog = time.Now()
	// Evaluations fall on the multiples of evalEvery of training time;
	// those that passed while the initial buffer was built are skipped.
	r.nextEval = spec.evalEvery
	for spec.evalEvery > 0 && r.nextEval <= r.trainTime {
		r.nextEval += spec.evalEvery
	}
	for {
		if r.limitReached() {
			break
		}
		if ctx.Err() != nil {
			r.res.interrupted = true
			break
		}
		t0 := time.Now()
		st, err := tr.Step()
		r.trainTime += time.Since(t0)
		if err != nil {
			r.res.stepErr = err
			break
		}
		r.observe(st)
		if spec.evalEvery > 0 && r.trainTime >= r.nextEval && !r.limitReached() && ctx.Err() == nil {
			r.evaluateDuring()
			for r.nextEval <= r.trainTime {
				r.nextEval += spec.evalEvery
			}
		}
		r.showProgress(false)
	}
	r.res.steps = tr.Steps()
	r.res.trainSeconds = r.trainTime.Seconds()
	r.res.energyEvals = tr.EnergyEvals()
	r.res.recentESS = r.meanRecentESS()
	r.res.recentLoss = r.meanRecentLoss()
	if r.accN > 0 {
		r.logStep()
	}
	if !(r.res.interrupted && spec.abandonOnInterrupt) {
		r.evaluateFinal()
	}
	r.res.totalSeconds = time.Since(r.start).Seconds()
	r.line.done()
	if r.encodeErr != nil {
		return r.res, fmt.Errorf("writing the JSON lines: %w", r.encodeErr)
	}
	return r.res, nil
}

// limitReached reports whether the step limit or the training budget is used up.
func (r *runner) limitReached() bool {
	return (r.spec.steps > 0 && r.tr.Steps() >= r.spec.steps) ||
		(r.spec.budget > 0 && r.trainTime >= r.spec.budget)
}

// observe accumulates a step's figures and writes a step record when due.
func (r *runner) observe(st sim.StepStats) {
	r.res.loss = st.Loss
	r.essRing[r.essN%essWindow] = st.ESS
	r.lossRing[r.essN%essWindow] = st.Loss
	r.essN++
	r.accLoss += st.Loss
	r.accESS += st.ESS
	r.accN++
	steps := max(r.spec.logSteps, 1)
	if st.Step-r.lastLogStep >= steps && time.Since(r.lastLog) >= r.spec.logInterval {
		r.logStep()
	}
}

// logStep writes a step record with the means since the previous one.
func (r *runner) logStep() {
	loss, ess := r.accLoss/float64(r.accN), r.accESS/float64(r.accN)
	step := r.tr.Steps()
	r.res.essCurve = append(r.res.essCurve, essPoint{Step: step, Seconds: r.trainTime.Seconds(), ESS: jfloat(ess), Loss: jfloat(loss)})
	r.emit(record{Event: eventStep, Step: step, Seconds: jfloat(r.trainTime.Seconds()),
		Total: jfloat(time.Since(r.start).Seconds()), Loss: jfloat(loss), ESS: jfloat(ess),
		EnergyEvals: r.tr.EnergyEvals()})
	r.accLoss, r.accESS, r.accN = 0, 0, 0
	r.lastLog, r.lastLogStep = time.Now(), step
}

// meanRecentESS is the mean nESS of the last essWindow steps (NaN before any).
func (r *runner) meanRecentESS() float64 { return r.recentMean(&r.essRing) }

// meanRecentLoss is the mean loss of the last essWindow steps (NaN before any).
func (r *runner) meanRecentLoss() float64 { return r.recentMean(&r.lossRing) }

func (r *runner) recentMean(ring *[essWindow]float64) float64 {
	n := min(r.essN, essWindow)
	if n == 0 {
		return math.NaN()
	}
	var s float64
	for _, v := range ring[:n] {
		s += v
	}
	return s / float64(n)
}

// emit writes one JSON line, keeping the first write error.
func (r *runner) emit(rec record) {
	if r.enc == nil || r.encodeErr != nil {
		return
	}
	r.encodeErr = r.enc.Encode(rec)
}

// evaluation draws n samples with the network and compares them with a
// fresh reference, both from streams k of the run's seed.
func evaluation(tr *sim.Trainer, t targets.Target, seed, k uint64, n int) (sim.Metrics, []float64, []int, error) {
	x, err := tr.Sample(n, rand.New(rand.NewPCG(seed, streamEvalSamples|k)))
	if err != nil {
		return sim.Metrics{}, nil, nil, err
	}
	m, counts, err := evaluateSamples(t, x, seed, k)
	return m, x, counts, err
}

// evaluateSamples compares samples x (n×d) with n reference samples drawn
// from stream k of seed, and returns the per-mode counts for mixtures.
func evaluateSamples(t targets.Target, x []float64, seed, k uint64) (sim.Metrics, []int, error) {
	n := len(x) / t.Dim()
	ev, err := sim.NewEvaluator(t, n, rand.New(rand.NewPCG(seed, streamEvalRef|k)))
	if err != nil {
		return sim.Metrics{}, nil, err
	}
	m, err := ev.Evaluate(x)
	if err != nil {
		return m, nil, err
	}
	var counts []int
	if mo, ok := t.(targets.Moder); ok {
		cov, err := sim.Coverage(x, mo)
		if err != nil {
			return m, nil, err
		}
		counts = cov.Counts
	}
	return m, counts, nil
}

// evaluateDuring runs a scheduled evaluation (not counted as training time).
func (r *runner) evaluateDuring() {
	r.evaluating = true
	r.showProgress(true)
	t0 := time.Now()
	k := uint64(len(r.res.curve) + 1)
	m, _, _, err := evaluation(r.tr, r.spec.target, r.spec.seed, k, r.spec.evalN)
	r.evaluating = false
	secs := jfloat(time.Since(t0).Seconds())
	rec := record{Event: eventEval, Step: r.tr.Steps(), Seconds: jfloat(r.trainTime.Seconds()),
		Total: jfloat(time.Since(r.start).Seconds()), Loss: jfloat(r.meanRecentLoss()), ESS: jfloat(r.meanRecentESS()),
		EnergyEvals: r.tr.EnergyEvals(), EvalSeconds: &secs}
	if err != nil {
		rec.Error = oneLine(err.Error())
	} else {
		mr := newMetricsRecord(m)
		rec.metricsRecord = mr
		r.lastMetrics = &m
		r.res.curve = append(r.res.curve, evalPoint{Step: r.tr.Steps(), Seconds: r.trainTime.Seconds(),
			ESS: jfloat(r.meanRecentESS()), Metrics: mr})
	}
	r.emit(rec)
}

// evaluateFinal evaluates the final network on evalBatches batches and adds
// their mean to the curve.
func (r *runner) evaluateFinal() {
	r.evaluating = true
	for b := range r.spec.evalBatches {
		r.showProgress(true)
		t0 := time.Now()
		m, x, counts, err := evaluation(r.tr, r.spec.target, r.spec.seed, uint64(finalEvalIndex+b), r.spec.evalN)
		secs := jfloat(time.Since(t0).Seconds())
		batch := b
		rec := record{Event: eventFinal, Step: r.tr.Steps(), Seconds: jfloat(r.trainTime.Seconds()),
			Total: jfloat(time.Since(r.start).Seconds()), Loss: jfloat(r.res.recentLoss), ESS: jfloat(r.res.recentESS),
			EnergyEvals: r.tr.EnergyEvals(), Batch: &batch, EvalSeconds: &secs}
		if err != nil {
			rec.Error = oneLine(err.Error())
			if r.res.finalErr == nil {
				r.res.finalErr = err
			}
		} else {
			rec.metricsRecord = newMetricsRecord(m)
			r.res.final = append(r.res.final, m)
			r.res.finalCounts = append(r.res.finalCounts, counts)
			if r.res.samples == nil {
				r.res.samples = x
			}
			r.lastMetrics = &m
		}
		r.emit(rec)
	}
	r.evaluating = false
	if len(r.res.final) > 0 {
		mean := meanMetrics(r.res.final)
		r.res.curve = append(r.res.curve, evalPoint{Step: r.tr.Steps(), Seconds: r.trainTime.Seconds(),
			ESS: jfloat(r.res.recentESS), Metrics: newMetricsRecord(mean)})
	}
}

// meanMetrics averages metrics field by field (Covered and Modes rounded
// down to whole modes for display; the exact means are computed elsewhere).
func meanMetrics(ms []sim.Metrics) sim.Metrics {
	if len(ms) == 0 {
		return sim.Metrics{}
	}
	out := ms[0]
	if len(ms) == 1 {
		return out
	}
	var w2, mmd, tv, ew2, dtv, cov, outside float64
	for _, m := range ms {
		w2 += m.W2
		mmd += m.MMD
		tv += m.ModeTV
		ew2 += m.EnergyW2
		dtv += m.DistTV
		cov += float64(m.Covered)
		outside += float64(m.Outside)
	}
	n := float64(len(ms))
	out.W2, out.MMD, out.ModeTV, out.EnergyW2, out.DistTV = w2/n, mmd/n, tv/n, ew2/n, dtv/n
	out.Covered, out.Outside = int(math.Floor(cov/n)), int(math.Round(outside/n))
	return out
}

// showProgress updates the progress line (at most a few times a second
// unless force).
func (r *runner) showProgress(force bool) {
	if r.line.w == nil {
		return
	}
	if !force && time.Since(r.line.last) < 200*time.Millisecond {
		return
	}
	var b strings.Builder
	b.WriteString(r.spec.label)
	step := r.tr.Steps()
	if r.spec.steps > 0 {
		fmt.Fprintf(&b, "step %d/%d", step, r.spec.steps)
	} else {
		fmt.Fprintf(&b, "step %d", step)
	}
	if step > 0 {
		fmt.Fprintf(&b, "  loss %.3g  nESS %.3f", r.meanRecentLoss(), r.meanRecentESS())
	}
	if m := r.lastMetrics; m != nil {
		fmt.Fprintf(&b, "  W2 %.2f", m.W2)
		if m.HasModes {
			fmt.Fprintf(&b, "  modes %d/%d", m.Covered, m.Modes)
		}
		if m.HasEnergy {
			fmt.Fprintf(&b, "  E-W2 %.3g", m.EnergyW2)
		}
	}
	fmt.Fprintf(&b, "  train %s", fmtDuration(r.trainTime))
	if r.evaluating {
		b.WriteString("  (evaluating…)")
	} else if eta, ok := r.eta(); ok {
		fmt.Fprintf(&b, "  ETA %s", fmtDuration(eta))
	}
	r.line.show(b.String(), force)
}

// eta estimates the training time left.
func (r *runner) eta() (time.Duration, bool) {
	var eta time.Duration
	ok := false
	if r.spec.budget > 0 {
		eta, ok = max(r.spec.budget-r.trainTime, 0), true
	}
	if step := r.tr.Steps(); r.spec.steps > 0 && step > 0 {
		perStep := (r.trainTime - time.Duration(r.res.initSeconds*float64(time.Second))) / time.Duration(step)
		left := perStep * time.Duration(r.spec.steps-step)
		if !ok || left < eta {
			eta, ok = max(left, 0), true
		}
	}
	return eta, ok
}

// fmtDuration prints a duration as 1h02m03s, 2m03s or 4.2s.
func fmtDuration(d time.Duration) string {
	switch {
	case d < 10*time.Second:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Minute:
		return fmt.Sprintf("%.0fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	default:
		return fmt.Sprintf("%dh%02dm%02ds", int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60)
	}
}

// plainInterval is how often a progress line is printed, as a whole line,
// when stderr is not a terminal (a log file).
const plainInterval = 30 * time.Second

// progressLine is a status line rewritten in place with a carriage return
// on a terminal, or printed as a whole line every plainInterval otherwise.
type progressLine struct {
	w      io.Writer
	last   time.Time
	width  int
	shown  bool
	plain  bool // not a terminal
	probed bool
}

// show replaces the line with s.
func (p *progressLine) show(s string, force bool) {
	if p.w == nil {
		return
	}
	if !p.probed {
		p.probed, p.plain = true, !isTerminal(p.w)
	}
	if p.plain {
		if !p.last.IsZero() && time.Since(p.last) < plainInterval {
			return
		}
		fmt.Fprintln(p.w, s)
		p.last = time.Now()
		return
	}
	pad := ""
	if n := len([]rune(s)); n < p.width {
		pad = strings.Repeat(" ", p.width-n)
	}
	p.width = len([]rune(s))
	fmt.Fprintf(p.w, "\r%s%s", s, pad)
	p.last, p.shown = time.Now(), true
}

// done ends the line so that later output starts on a fresh one.
func (p *progressLine) done() {
	if p.w != nil && p.shown && !p.plain {
		fmt.Fprintln(p.w)
		p.shown, p.width = false, 0
	}
}

// isTerminal reports whether w is a character device such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
