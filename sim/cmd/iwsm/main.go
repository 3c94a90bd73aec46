// Command iwsm trains, samples and evaluates IW-SM and iDEM diffusion
// samplers, and reproduces the results table and figures of the project.
//
//	iwsm train -target gmm40 -method iwsm -seed 1 -budget 5m -out model.ckpt
//	iwsm sample -model model.ckpt -n 1000 -out samples.csv
//	iwsm eval -target gmm40 -samples samples.csv
//	iwsm reproduce -budget 5m -seeds 3 -out results
//
// Every subcommand is a function of its arguments and two writers, so that
// the tests run it in-process. Bad flags, unknown targets and unreadable or
// truncated files are one-line errors on stderr with exit code 2; a failure
// of the computation itself (a diverged run, a failed write) exits with 1.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // the computation failed (divergence, write error, interrupted reproduce)
	exitUsage   = 2 // bad flags, unknown target, unreadable or malformed input
)

// usageText is the overview printed by "iwsm help".
const usageText = `iwsm: Importance Weighted Score Matching (IW-SM) and iDEM diffusion samplers

Usage:
  iwsm train     -target gmm40 -method iwsm|idem -seed 1 (-steps N | -budget 5m) [-out model.ckpt] [-json] [knobs]
  iwsm sample    -model model.ckpt -n 1000 [-seed 1] [-sde-steps N] [-mala N] [-out samples.csv]
  iwsm eval      -target gmm40 -samples samples.csv [-seed 1] [-mala N] [-json]
  iwsm weights   -model model.ckpt [-sigma 0.1] [-steps 200] [-seed 1]
  iwsm reproduce [-budget 5m] [-seeds 3] [-out results] [-targets gmm40,gmm120] [-resume] [knobs]
  iwsm help [command]

Run "iwsm <command> -h" for the flags of a command. Exit codes: 0 success,
1 the computation failed, 2 bad flags or unreadable input.
`

// cliError is an error with the exit code it maps to.
type cliError struct {
	code int
	err  error
}

// Error returns the message of the wrapped error.
func (e *cliError) Error() string { return e.err.Error() }

// Unwrap returns the wrapped error.
func (e *cliError) Unwrap() error { return e.err }

// usageErr marks an error as bad input (exit code 2).
func usageErr(format string, args ...any) error {
	return &cliError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// asUsage marks an existing error as bad input (exit code 2).
func asUsage(err error) error {
	if err == nil {
		return nil
	}
	return &cliError{code: exitUsage, err: err}
}

// errHelp reports that a command printed its usage on request.
var errHelp = errors.New("help requested")

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
	flags   func() *flag.FlagSet // the command's flag set, for "iwsm help <cmd>"
}

func commands() []command {
	return []command{
		{"train", "train a sampler and optionally save a checkpoint", cmdTrain, func() *flag.FlagSet { fs, _ := trainFlags(); return fs }},
		{"sample", "draw samples from a checkpoint with the reverse SDE", cmdSample, func() *flag.FlagSet { fs, _ := sampleFlags(); return fs }},
		{"eval", "evaluate a CSV of samples against a fresh reference", cmdEval, func() *flag.FlagSet { fs, _ := evalFlags(); return fs }},
		{"weights", "measure how much IW-SM weight a checkpoint's implausible samples get", cmdWeights, func() *flag.FlagSet { fs, _ := weightsFlags(); return fs }},
		{"reproduce", "train every method on every target and seed, write RESULTS.md and figures", cmdReproduce, func() *flag.FlagSet { fs, _ := reproduceFlags(); return fs }},
	}
}

// run executes the command line args (without the program name) and returns
// the exit code. SIGINT cancels the context the commands watch: training
// stops gracefully, evaluates and saves; a second SIGINT kills the process.
func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // restore the default: a second Ctrl-C ends the process
	}()
	return runContext(ctx, args, stdout, stderr)
}

// runContext is run with an explicit context, for tests.
func runContext(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(rest) == 0 {
			fmt.Fprint(stdout, usageText)
			return exitOK
		}
		for _, c := range commands() {
			if c.name == rest[0] {
				printUsage(stdout, c.name, c.flags())
				return exitOK
			}
		}
		fmt.Fprintf(stderr, "iwsm: unknown command %q (valid: %s)\n", rest[0], commandNames())
		return exitUsage
	}
	for _, c := range commands() {
		if c.name != name {
			continue
		}
		err := c.run(ctx, rest, stdout, stderr)
		switch {
		case err == nil:
			return exitOK
		case errors.Is(err, errHelp):
			printUsage(stdout, c.name, c.flags())
			return exitOK
		}
		fmt.Fprintf(stderr, "iwsm %s: %s\n", name, oneLine(err.Error()))
		var ce *cliError
		if errors.As(err, &ce) {
			return ce.code
		}
		return exitFailure
	}
	fmt.Fprintf(stderr, "iwsm: unknown command %q (valid: %s; see \"iwsm help\")\n", name, commandNames())
	return exitUsage
}

func commandNames() string {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	return strings.Join(names, ", ")
}

// oneLine folds a message onto one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// commandUsage is the first lines of each command's help.
var commandUsage = map[string]string{
	"train": `Usage: iwsm train -target gmm40 -method iwsm|idem -seed 1 (-steps N | -budget 5m) [flags] [knobs]

Trains a score network by IW-SM (importance weights on) or iDEM (weights off)
from the target's energy alone, until -steps gradient steps or -budget of
training wall time (evaluations do not count against it), whichever comes
first. Every -eval-every of training time, and at the end, it draws -eval-n
samples with the reverse SDE and compares them with as many fresh reference
samples. Ctrl-C stops the training gracefully: it evaluates and saves.

With -json, stdout receives one JSON object per line: "event":"step" lines
(at most every 10 steps and every second) with step, seconds (training wall
time), total_seconds, loss and ess (means over the steps since the previous
line) and energy_evals; "event":"eval" and "event":"final" lines (one per
final batch) carry loss and ess as means over the last 100 steps, the
evaluation's eval_seconds, and the metrics: n, w2, mmd, and covered, modes,
outside, mode_tv (mixtures) or e_w2, dist_tv (particle systems). Without
-json, a progress line goes to stderr and a summary to stdout.

Knob flags override the target's defaults (sim.DefaultConfig) only when given.
`,
	"sample": `Usage: iwsm sample -model model.ckpt [-n 1000] [-seed 1] [-sde-steps N] [-mala N] [-out samples.csv]

Loads a checkpoint written by "iwsm train -out", rebuilds its noise schedule
and sampler settings from the checkpoint's metadata, and draws n samples with
the reverse SDE. Writes CSV (header x0,x1,...; one row per sample, full
float64 precision) to -out or stdout. With -mala N the samples then take N
Metropolis-adjusted Langevin steps on the target's energy (sim.MALA), a
corrector that is not part of IW-SM or iDEM.
`,
	"eval": `Usage: iwsm eval -target gmm40 -samples samples.csv [-seed 1] [-mala N] [-json]

Reads n samples from CSV (an optional header row, then one row of d numbers
per sample) and compares them with n fresh reference samples of the target:
x-W2, MMD, and mode coverage (mixtures) or E-W2 and the interatomic-distance
TV (particle systems). With -mala N it also applies N steps of the MALA
corrector (sim.MALA) to the samples and reports the metrics before and after.
`,
	"weights": `Usage: iwsm weights -model model.ckpt [-sigma 0.1] [-steps 200] [-fill 2000] [-seed 1]

Fills a replay buffer with -fill of the checkpoint's own samples (plus the
defensive share), draws -steps training batches as IW-SM would, without
learning, and reports, for the batch points at noise σ_t ≤ -sigma, the share
that is implausible under the target (above the test set's highest energy for
particle systems, beyond 3σ of every mode for mixtures) and the share of the
self-normalized importance weight they receive. A weight share far below the
point share means the IW-SM loss never corrects the network there.
`,
	"reproduce": `Usage: iwsm reproduce [-budget 5m] [-seeds 3] [-out results] [-targets gmm40,gmm120] [flags] [knobs]

For every seed, target and variant (iwsm, idem, and on the -ablations targets
iwsm-def0 and idem-def0 with the defensive share 0) trains for -budget of
training time, evaluating -evals times on an even schedule, then evaluates
the final network on -eval-batches batches of -eval-n samples against
independent references. Writes <out>/runs/<target>-<variant>-seed<k>.jsonl,
.csv (final samples), .ckpt and .json (summary, written last), then
<out>/RESULTS.md, <out>/results.json and the PNG figures in <out>/figures/.
With -resume, runs whose summary exists are not trained again. With -mala N
every finished run's final batches are drawn again from its checkpoint (the
same samples) and corrected by N MALA steps on the target's energy; the
table gets "+ MALA" rows (with -report-only, without training anything).
Knob flags apply to every run.
`,
}

// printUsage prints a command's help and flags.
func printUsage(w io.Writer, name string, fs *flag.FlagSet) {
	fmt.Fprint(w, commandUsage[name])
	fmt.Fprintln(w, "\nFlags:")
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// parseFlags parses args with fs, turning -h into errHelp and any other
// problem, including stray positional arguments, into a usage error.
func parseFlags(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return usageErr("%v (see \"iwsm %s -h\")", err, fs.Name())
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q (see \"iwsm %s -h\")", fs.Arg(0), fs.Name())
	}
	return nil
}

// setFlags returns the names of the flags given on the command line.
func setFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}
