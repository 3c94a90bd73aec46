package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"iwsm/sim"
)

// evalOpts are the flags of "iwsm eval".
type evalOpts struct {
	target, samples string
	seed            uint64
	json            bool
}

func evalFlags() (*flag.FlagSet, *evalOpts) {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	o := &evalOpts{}
	fs.StringVar(&o.target, "target", "gmm40", "target the samples should follow")
	fs.StringVar(&o.samples, "samples", "", "CSV of samples, one row of d numbers each (required)")
	fs.Uint64Var(&o.seed, "seed", 1, "random seed of the reference samples")
	fs.BoolVar(&o.json, "json", false, "print the metrics as one JSON object")
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
	if o.json {
		return json.NewEncoder(stdout).Encode(newMetricsRecord(m))
	}
	fmt.Fprintf(stdout, "%s: %d samples from %s against %d fresh reference samples (seed %d)\n",
		t.Name(), m.N, o.samples, m.N, o.seed)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	writeMetricsTable(tw, []sim.Metrics{m})
	return tw.Flush()
}
