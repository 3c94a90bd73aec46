package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"

	"iwsm/sim"
	"iwsm/targets"
)

// streamMALA is the random stream, under the command's seed, of the MALA
// corrector, apart from the sampler's and the reference's.
const streamMALA = 0x6d616c61 << 32 // "mala"

// malaOpts are the corrector's flags, shared by "iwsm sample" and "iwsm eval".
type malaOpts struct {
	steps int
	step  float64
}

func addMALAFlags(fs *flag.FlagSet, o *malaOpts) {
	def := sim.DefaultMALAConfig(0)
	fs.IntVar(&o.steps, "mala", 0, "Metropolis-adjusted Langevin steps on the target's energy applied to the samples (0: none; see sim.MALA)")
	fs.Float64Var(&o.step, "mala-step", def.StepSize, "initial MALA step size, tuned over the first half of the steps")
}

// config returns the corrector's settings with the drift clipped to clip.
func (o malaOpts) config(clip float64) sim.MALAConfig {
	return sim.MALAConfig{Steps: o.steps, StepSize: o.step, Clip: clip}
}

// validate reports bad corrector flags as a usage error before any work.
func (o malaOpts) validate() error { return asUsage(o.config(0).Validate()) }

// apply runs the corrector on x in place with the drift clipped to clip,
// drawing from stream streamMALA|k of seed.
func (o malaOpts) apply(t targets.Target, x []float64, clip float64, seed, k uint64) (sim.MALAStats, error) {
	return sim.MALA(t, x, o.config(clip), rand.New(rand.NewPCG(seed, streamMALA|k)))
}

// correct runs the corrector on x in place (stream 0) and reports what it
// did on w.
func (o malaOpts) correct(t targets.Target, x []float64, clip float64, seed uint64, w io.Writer) (sim.MALAStats, error) {
	st, err := o.apply(t, x, clip, seed, 0)
	if err != nil {
		return st, err
	}
	fmt.Fprintf(w, "MALA corrector: %d steps, acceptance %.3f at step size %.3g; samples with a non-finite energy: %d before, %d after\n",
		o.steps, st.Acceptance, st.StepSize, st.NonFiniteBefore, st.NonFiniteAfter)
	return st, nil
}

// malaRecord is the JSON form of a corrector run: its settings and, over
// several batches, the mean acceptance and step size and the total counts.
type malaRecord struct {
	Steps           int    `json:"steps"`
	InitialStep     jfloat `json:"initial_step"`
	Acceptance      jfloat `json:"acceptance"`
	StepSize        jfloat `json:"step_size"`
	NonFiniteBefore int    `json:"non_finite_before"`
	NonFiniteAfter  int    `json:"non_finite_after"`
}

func newMALARecord(o malaOpts, st sim.MALAStats) malaRecord {
	return malaRecord{Steps: o.steps, InitialStep: jfloat(o.step), Acceptance: jfloat(st.Acceptance), StepSize: jfloat(st.StepSize),
		NonFiniteBefore: st.NonFiniteBefore, NonFiniteAfter: st.NonFiniteAfter}
}

// malaSuffix marks the variant of a table row of corrected samples.
const malaSuffix = "+mala"

// malaCSVSuffix ends the name of a run's corrected first batch, next to its
// <name>.csv.
const malaCSVSuffix = "-mala.csv"

// correctRun gives the finished run with files base.* the corrector's
// metrics: it draws the run's final evaluation batches again from base.ckpt,
// with the same random streams and hence the same samples (a batch whose
// metrics differ from the stored ones is reported on w), applies the
// corrector to each and evaluates it against the same reference; the first
// corrected batch is written to base-mala.csv. It returns false when the run
// has no reference or already holds the metrics of these corrector settings.
func correctRun(ctx context.Context, s *runSummary, base string, o malaOpts, w io.Writer, label string) (bool, error) {
	if s.NoReference || len(s.Batches) == 0 {
		return false, nil
	}
	if _, err := os.Stat(base + malaCSVSuffix); err == nil && s.MALA != nil && s.MALA.Steps == o.steps && float64(s.MALA.InitialStep) == o.step {
		return false, nil
	}
	m, err := loadModel(base+".ckpt", s.Target)
	if err != nil {
		return false, err
	}
	scfg := m.cfg.Sampler
	scfg.Project = targets.MeanFreeProjector(m.target)
	var corrected []*metricsRecord
	var sum sim.MALAStats
	for b, stored := range s.Batches {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		k := uint64(finalEvalIndex + b)
		x, err := sampleNet(ctx, m.net, m.cfg.Schedule, scfg, stored.N, s.Seed, streamEvalSamples|k, 0)
		if err != nil {
			return false, err
		}
		before, _, err := evaluateSamples(m.target, x, s.Seed, k)
		if err != nil {
			return false, err
		}
		if got, want := before.W2, float64(stored.W2); math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
			fmt.Fprintf(w, "%swarning: batch %d drawn again has x-W2 %.6g, the stored one %.6g\n", label, b, got, want)
		}
		st, err := o.apply(m.target, x, m.cfg.ScoreClip, s.Seed, k)
		if err != nil {
			return false, err
		}
		after, _, err := evaluateSamples(m.target, x, s.Seed, k)
		if err != nil {
			return false, err
		}
		fmt.Fprintf(w, "%sbatch %d: x-W2 %.3f → %.3f, E-W2 %.3g → %.3g after %d MALA steps (acceptance %.2f)\n",
			label, b, before.W2, after.W2, before.EnergyW2, after.EnergyW2, o.steps, st.Acceptance)
		if b == 0 {
			if err := writeFileAtomic(base+malaCSVSuffix, func(f io.Writer) error { return writeCSV(f, x, m.target.Dim()) }); err != nil {
				return false, err
			}
		}
		corrected = append(corrected, newMetricsRecord(after))
		sum.Acceptance += st.Acceptance / float64(len(s.Batches))
		sum.StepSize += st.StepSize / float64(len(s.Batches))
		sum.NonFiniteBefore += st.NonFiniteBefore
		sum.NonFiniteAfter += st.NonFiniteAfter
	}
	rec := newMALARecord(o, sum)
	s.Corrected, s.MALA = corrected, &rec
	return true, nil
}

// correctedRuns returns, for the runs holding corrector metrics, copies whose
// final batches are the corrected ones, as variant <variant>+mala, for a row
// of their own. Their training curves are left out: the corrector was
// applied to the final samples only.
func correctedRuns(runs []*runSummary) []*runSummary {
	var out []*runSummary
	for _, s := range runs {
		if len(s.Corrected) == 0 || s.MALA == nil {
			continue
		}
		c := *s
		c.Variant += malaSuffix
		c.Batches, c.Curve, c.ModeCounts = s.Corrected, nil, nil
		out = append(out, &c)
	}
	return out
}
