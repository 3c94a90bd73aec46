package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"iwsm/sim"
	"iwsm/targets"
)

// evalOpts are the flags of "iwsm eval".
type evalOpts struct {
	target, samples string
	seed            uint64
	json            bool
	mala            malaOpts
}

func evalFlags() (*flag.FlagSet, *evalOpts) {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	o := &evalOpts{}
	fs.StringVar(&o.target, "target", "gmm40", "target the samples should follow")
	fs.StringVar(&o.samples, "samples", "", "CSV of samples, one row of d numbers each (required)")
	fs.Uint64Var(&o.seed, "seed", 1, "random seed of the reference samples")
	fs.BoolVar(&o.json, "json", false, "print the metrics as one JSON object")
	addMALAFlags(fs, &o.mala)
	return fs, o
}

func cmdEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, o := evalFlags()
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if o.samples == "" {
		return usageErr("-samples is required (see \"iwsm eval -h\")")
	}
	if err := o.mala.validate(); err != nil {
		return err
	}
	t, err := lookupTarget(o.target)
	if err != nil {
		return err
	}
	x, err := readCSVFile(o.samples, t.Dim())
	if err != nil {
		return err
	}
	if n := len(x) / t.Dim(); n < 2 {
		return usageErr("%s: %d sample, at least 2 are needed", o.samples, n)
	}
	m, _, err := evaluateSamples(t, x, o.seed, 0)
	if err != nil {
		return asUsage(err)
	}
	if o.mala.steps == 0 {
		if o.json {
			return json.NewEncoder(stdout).Encode(newMetricsRecord(m))
		}
		fmt.Fprintf(stdout, "%s: %d samples from %s against %d fresh reference samples (seed %d)\n",
			t.Name(), m.N, o.samples, m.N, o.seed)
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		writeMetricsTable(tw, []sim.Metrics{m})
		return tw.Flush()
	}
	return evalCorrected(t, x, m, o, stdout)
}

// evalCorrected runs the MALA corrector on the samples x, whose metrics are
// before, evaluates them again against the same reference and prints both,
// side by side or as one JSON object {"before", "after", "mala"}.
func evalCorrected(t targets.Target, x []float64, before sim.Metrics, o *evalOpts, stdout io.Writer) error {
	var log bytes.Buffer
	st, err := o.mala.correct(t, x, sim.DefaultConfig(t).ScoreClip, o.seed, &log)
	if err != nil {
		return asUsage(err)
	}
	after, _, err := evaluateSamples(t, x, o.seed, 0)
	if err != nil {
		return asUsage(err)
	}
	if o.json {
		return json.NewEncoder(stdout).Encode(struct {
			Before *metricsRecord `json:"before"`
			After  *metricsRecord `json:"after"`
			MALA   malaRecord     `json:"mala"`
		}{newMetricsRecord(before), newMetricsRecord(after), newMALARecord(o.mala, st)})
	}
	fmt.Fprintf(stdout, "%s: %d samples from %s against %d fresh reference samples (seed %d)\n",
		t.Name(), before.N, o.samples, before.N, o.seed)
	fmt.Fprint(stdout, log.String())
	for _, c := range []struct {
		title string
		m     sim.Metrics
	}{{"as read", before}, {fmt.Sprintf("after %d MALA steps", o.mala.steps), after}} {
		fmt.Fprintf(stdout, "\n%s\n", c.title)
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		writeMetricsTable(tw, []sim.Metrics{c.m})
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}
