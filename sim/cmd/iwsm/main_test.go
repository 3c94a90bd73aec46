package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"iwsm/sim"
	"iwsm/targets"
)

// tinyKnobs make a training run take milliseconds: a small network, few
// Monte Carlo samples, a small buffer and short SDEs.
var tinyKnobs = []string{"-K", "8", "-hidden", "8", "-embed", "4", "-blocks", "1", "-init-buffer", "prior",
	"-refresh-size", "40", "-refresh-every", "3", "-sde-steps", "10", "-buffer", "200",
	"-groups", "2", "-group-size", "8", "-workers", "2"}

// runCLI runs the command line in-process and returns the exit code and outputs.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := runContext(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// writeFile writes data into a fresh file of the test's temporary directory.
func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// trainTiny trains a tiny model for steps steps and returns the checkpoint path.
func trainTiny(t *testing.T, steps string, extra ...string) (ckpt string, stdout string) {
	t.Helper()
	ckpt = filepath.Join(t.TempDir(), "model.ckpt")
	args := append([]string{"train", "-target", "gmm40", "-steps", steps, "-seed", "3", "-eval-n", "30",
		"-eval-every", "0", "-out", ckpt, "-json", "-log-interval", "0", "-log-steps", "2"}, tinyKnobs...)
	code, out, errOut := runCLI(t, append(args, extra...)...)
	if code != 0 {
		t.Fatalf("train exited %d: %s", code, errOut)
	}
	return ckpt, out
}

func TestUsageErrors(t *testing.T) {
	ckpt, _ := trainTiny(t, "2")
	good, err := os.ReadFile(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	truncated := writeFile(t, "trunc.ckpt", good[:len(good)/2])
	garbage := writeFile(t, "garbage.ckpt", []byte("this is not a checkpoint at all"))
	shortRow := writeFile(t, "short.csv", []byte("x0,x1\n1,2\n3\n"))
	nan := writeFile(t, "nan.csv", []byte("1,2\n3,NaN\n"))
	word := writeFile(t, "word.csv", []byte("x0,x1\n1,2\n3,four\n"))
	single := writeFile(t, "single.csv", []byte("x0,x1\n1,2\n"))
	empty := writeFile(t, "empty.csv", nil)
	missing := filepath.Join(t.TempDir(), "missing.csv")
	cases := []struct {
		name string
		args []string
		want string // a substring of the error line
	}{
		{"no command", nil, "Usage"},
		{"unknown command", []string{"fly"}, `unknown command "fly"`},
		{"unknown flag", []string{"train", "-frobnicate", "-steps", "1"}, "flag provided but not defined: -frobnicate"},
		{"bad flag value", []string{"train", "-steps", "many"}, `invalid value "many" for flag -steps`},
		{"stray argument", []string{"train", "-steps", "1", "extra"}, `unexpected argument "extra"`},
		{"unknown target", []string{"train", "-target", "gmm41", "-steps", "1"}, "unknown target \"gmm41\" (valid: dw4, gmm120, gmm40"},
		{"no limit", []string{"train"}, "give -steps N, -budget DURATION or both"},
		{"unknown method", []string{"train", "-steps", "1", "-method", "dem"}, `unknown method "dem"`},
		{"method contradicts weights", []string{"train", "-steps", "1", "-method", "idem", "-weights"}, "contradicts -weights=true"},
		{"invalid knob", []string{"train", "-steps", "1", "-K", "0"}, "invalid settings for gmm40"},
		{"bad defensive share", []string{"train", "-steps", "1", "-defensive", "1.5"}, "defensive share"},
		{"embed on a particle system", []string{"train", "-target", "dw4", "-steps", "1", "-embed", "8"}, "-embed sets the MLP's embedding"},
		{"bad eval size", []string{"train", "-steps", "1", "-eval-n", "1"}, "-eval-n 1 out of range"},
		{"unwritable output", []string{"train", "-steps", "1", "-out", filepath.Join(missing, "x", "m.ckpt")}, "cannot write"},
		{"sample without model", []string{"sample"}, "-model is required"},
		{"sample missing file", []string{"sample", "-model", missing}, "no such file"},
		{"sample truncated", []string{"sample", "-model", truncated}, "truncated"},
		{"sample garbage", []string{"sample", "-model", garbage}, "not a checkpoint"},
		{"sample wrong target", []string{"sample", "-model", ckpt, "-target", "gmm120"}, "was trained on gmm40, not gmm120"},
		{"sample bad n", []string{"sample", "-model", ckpt, "-n", "0"}, "-n 0 out of range"},
		{"sample bad MALA steps", []string{"sample", "-model", ckpt, "-mala", "-1"}, "-1 MALA steps out of range"},
		{"eval bad MALA step", []string{"eval", "-samples", single, "-mala", "10", "-mala-step", "NaN"}, "MALA step size NaN must be positive"},
		{"reproduce bad MALA steps", []string{"reproduce", "-mala", "-5"}, "-5 MALA steps out of range"},
		{"eval without samples", []string{"eval"}, "-samples is required"},
		{"eval missing file", []string{"eval", "-samples", missing}, "no such file"},
		{"eval short row", []string{"eval", "-samples", shortRow}, "line 3: 1 column, want 2"},
		{"eval NaN", []string{"eval", "-samples", nan}, `line 2, column 2: "NaN" is not a finite number`},
		{"eval word", []string{"eval", "-samples", word}, `line 3, column 2: "four" is not a finite number`},
		{"eval wrong dimension", []string{"eval", "-samples", single, "-target", "dw4"}, "line 1: 2 columns, want 8"},
		{"eval one sample", []string{"eval", "-samples", single}, "at least 2 are needed"},
		{"eval empty", []string{"eval", "-samples", empty}, "no samples"},
		{"eval unknown target", []string{"eval", "-samples", single, "-target", "x"}, `unknown target "x"`},
		{"reproduce unknown target", []string{"reproduce", "-targets", "gmm40,nope"}, `unknown target "nope"`},
		{"reproduce unknown ablation", []string{"reproduce", "-ablations", "nope"}, `unknown target "nope"`},
		{"reproduce weights knob", []string{"reproduce", "-weights"}, "flag provided but not defined: -weights"},
		{"reproduce bad budget", []string{"reproduce", "-budget", "0s"}, "-budget must be positive"},
		{"help unknown", []string{"help", "fly"}, `unknown command "fly"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, c.args...)
			if code != exitUsage {
				t.Fatalf("exit code %d, want %d; stderr %q", code, exitUsage, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			if !strings.Contains(strings.ToLower(stderr), strings.ToLower(c.want)) {
				t.Errorf("stderr %q does not mention %q", stderr, c.want)
			}
			if c.args != nil && strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr is not one line: %q", stderr)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"help", "train"}, {"train", "-h"}, {"sample", "-help"}, {"eval", "-h"}, {"reproduce", "-h"}} {
		code, stdout, stderr := runCLI(t, args...)
		if code != 0 || stderr != "" || !strings.Contains(stdout, "Usage") {
			t.Errorf("%v: exit %d, stderr %q, stdout without usage", args, code, stderr)
		}
	}
	_, stdout, _ := runCLI(t, "train", "-h")
	for _, knob := range append([]string{"weights"}, knobNames...) {
		if !strings.Contains(stdout, "  -"+knob+" ") && !strings.Contains(stdout, "  -"+knob+"\n") {
			t.Errorf("train -h does not list -%s", knob)
		}
	}
}

func TestCSVRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n, d = 200, 3
	x := make([]float64, n*d)
	for i := range x {
		x[i] = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(40)-20))
	}
	x[0], x[1], x[2] = math.SmallestNonzeroFloat64, -math.MaxFloat64, 0.1
	var buf bytes.Buffer
	if err := writeCSV(&buf, x, d); err != nil {
		t.Fatal(err)
	}
	if first, _, _ := strings.Cut(buf.String(), "\n"); first != "x0,x1,x2" {
		t.Errorf("header %q", first)
	}
	got, err := readCSV(bytes.NewReader(buf.Bytes()), d)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(x) {
		t.Fatalf("read %d values, wrote %d", len(got), len(x))
	}
	for i := range x {
		if got[i] != x[i] {
			t.Fatalf("value %d: read %v, wrote %v", i, got[i], x[i])
		}
	}
	// Without a header, with CRLF line ends and spaces.
	got, err = readCSV(strings.NewReader("1, 2\r\n-3e2,4.5\r\n"), 2)
	if err != nil || len(got) != 4 || got[2] != -300 || got[3] != 4.5 {
		t.Errorf("headerless CRLF: %v, %v", got, err)
	}
}

// readRecords parses JSON lines.
func readRecords(t *testing.T, out string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q is not JSON: %v", sc.Text(), err)
		}
		recs = append(recs, m)
	}
	return recs
}

func TestTrainSampleEval(t *testing.T) {
	ckpt, out := trainTiny(t, "5")
	recs := readRecords(t, out)
	if len(recs) < 3 {
		t.Fatalf("%d JSON lines, want step lines and a final line:\n%s", len(recs), out)
	}
	lastStep := 0.0
	for _, r := range recs[:len(recs)-1] {
		if r["event"] != eventStep {
			t.Errorf("line %v: event %v, want step", r, r["event"])
		}
		for _, k := range []string{"step", "seconds", "total_seconds", "loss", "ess", "energy_evals"} {
			if _, ok := r[k].(float64); !ok {
				t.Errorf("step line %v lacks the number %q", r, k)
			}
		}
		if s := r["step"].(float64); s <= lastStep {
			t.Errorf("steps not increasing: %v after %v", s, lastStep)
		} else {
			lastStep = s
		}
	}
	final := recs[len(recs)-1]
	if final["event"] != eventFinal || final["step"] != 5.0 {
		t.Errorf("last line %v, want the final evaluation at step 5", final)
	}
	for _, k := range []string{"w2", "mmd", "covered", "modes", "mode_tv", "n"} {
		if _, ok := final[k].(float64); !ok {
			t.Errorf("final line lacks the number %q: %v", k, final)
		}
	}
	if final["modes"] != 40.0 || final["n"] != 30.0 {
		t.Errorf("final line: modes %v, n %v; want 40, 30", final["modes"], final["n"])
	}

	f, err := os.Open(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	ck, err := sim.ReadCheckpoint(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if ck.Meta["target"] != "gmm40" || ck.Meta["method"] != "iwsm" || ck.Meta["seed"] != "3" || ck.Meta["step"] != "5" {
		t.Errorf("checkpoint metadata %v", ck.Meta)
	}
	var cfg sim.Config
	if err := json.Unmarshal([]byte(ck.Meta["config"]), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.K != 8 || cfg.Net.MLP.Hidden != 8 || cfg.Sampler.Steps != 10 || cfg.BufferSize != 200 || !cfg.Weights {
		t.Errorf("checkpoint settings lost the knobs: %+v", cfg)
	}

	dir := t.TempDir()
	samples := filepath.Join(dir, "s.csv")
	code, stdout, stderr := runCLI(t, "sample", "-model", ckpt, "-n", "40", "-seed", "7", "-out", samples)
	if code != 0 || stdout != "" {
		t.Fatalf("sample exited %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	x, err := readCSVFile(samples, 2)
	if err != nil || len(x) != 80 {
		t.Fatalf("samples: %d values, %v", len(x), err)
	}
	// The same seed gives the same samples, whatever the number of workers.
	code, again, _ := runCLI(t, "sample", "-model", ckpt, "-n", "40", "-seed", "7", "-workers", "1")
	written, _ := os.ReadFile(samples)
	if code != 0 || again != string(written) {
		t.Errorf("sampling is not reproducible across worker counts")
	}
	code, stdout, stderr = runCLI(t, "eval", "-target", "gmm40", "-samples", samples, "-json")
	if code != 0 {
		t.Fatalf("eval exited %d: %s", code, stderr)
	}
	var m metricsRecord
	if err := json.Unmarshal([]byte(stdout), &m); err != nil {
		t.Fatalf("eval -json: %v in %q", err, stdout)
	}
	if m.N != 40 || !(m.W2 > 0) || m.Modes == nil || *m.Modes != 40 || m.Covered == nil {
		t.Errorf("eval metrics %+v", m)
	}
	code, stdout, _ = runCLI(t, "eval", "-target", "gmm40", "-samples", samples)
	if code != 0 || !strings.Contains(stdout, "x-W2") || !strings.Contains(stdout, "modes covered") {
		t.Errorf("eval table:\n%s", stdout)
	}
	// The corrector: same SDE samples, then MALA steps, reported on stderr.
	code, corrected, stderr := runCLI(t, "sample", "-model", ckpt, "-n", "40", "-seed", "7", "-mala", "20")
	if code != 0 || !strings.Contains(stderr, "MALA corrector: 20 steps, acceptance") {
		t.Errorf("sample -mala exited %d, stderr %q", code, stderr)
	}
	if corrected == string(written) {
		t.Error("sample -mala 20 wrote the uncorrected samples")
	}
}

// TestEvalMALA heats 200 DW-4 reference configurations with Gaussian noise
// of standard deviation 0.3 and checks that "eval -mala" reports the heated
// samples as read and, after the corrector, an E-W2 and a count above the
// reference's highest energy back near those of exact samples.
func TestEvalMALA(t *testing.T) {
	dw, err := targets.Lookup("dw4")
	if err != nil {
		t.Fatal(err)
	}
	ref, err := dw.(targets.Referenced).Reference("test")
	if err != nil {
		t.Fatal(err)
	}
	const n = 200
	x := append([]float64(nil), ref[len(ref)-n*8:]...)
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range x {
		x[i] += 0.3 * rng.NormFloat64()
	}
	targets.RemoveMeanBatch(x, 4, 2)
	var buf bytes.Buffer
	if err := writeCSV(&buf, x, 8); err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, "hot.csv", buf.Bytes())
	code, stdout, stderr := runCLI(t, "eval", "-target", "dw4", "-samples", path, "-mala", "300", "-json")
	if code != 0 {
		t.Fatalf("eval -mala exited %d: %s", code, stderr)
	}
	var got struct {
		Before, After *metricsRecord
		MALA          malaRecord
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil || got.Before == nil || got.After == nil {
		t.Fatalf("eval -mala -json: %v in %q", err, stdout)
	}
	t.Logf("E-W2 %.3g → %.3g, above the highest energy %d → %d, acceptance %.2f",
		*got.Before.EW2, *got.After.EW2, *got.Before.High, *got.After.High, got.MALA.Acceptance)
	if !(*got.Before.EW2 > 10) || !(*got.After.EW2 < 1) || *got.After.High > 2 {
		t.Errorf("E-W2 %v → %v, above the highest energy %d → %d: want hot samples mended",
			*got.Before.EW2, *got.After.EW2, *got.Before.High, *got.After.High)
	}
	if got.MALA.Steps != 300 || got.MALA.Acceptance < 0.3 || got.MALA.Acceptance > 0.9 {
		t.Errorf("corrector record %+v", got.MALA)
	}
	code, stdout, _ = runCLI(t, "eval", "-target", "dw4", "-samples", path, "-mala", "300")
	if code != 0 || !strings.Contains(stdout, "as read") || !strings.Contains(stdout, "after 300 MALA steps") ||
		!strings.Contains(stdout, "MALA corrector: 300 steps") {
		t.Errorf("eval -mala table:\n%s", stdout)
	}
}

func TestTrainInterrupted(t *testing.T) {
	// A cancelled context (Ctrl-C) stops training before the next step but
	// still evaluates and saves.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ckpt := filepath.Join(t.TempDir(), "m.ckpt")
	var stdout, stderr bytes.Buffer
	args := append([]string{"train", "-steps", "1000", "-eval-n", "20", "-out", ckpt}, tinyKnobs...)
	if code := runContext(ctx, args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "interrupted") || !strings.Contains(stdout.String(), "0 steps") {
		t.Errorf("stdout %q, stderr %q", stdout.String(), stderr.String())
	}
	if _, err := os.Stat(ckpt); err != nil {
		t.Errorf("no checkpoint after an interruption: %v", err)
	}
}

func TestJFloat(t *testing.T) {
	b, err := json.Marshal(struct{ A, B jfloat }{jfloat(math.NaN()), 1.5})
	if err != nil || string(b) != `{"A":null,"B":1.5}` {
		t.Fatalf("%s, %v", b, err)
	}
	var v struct{ A, B jfloat }
	if err := json.Unmarshal(b, &v); err != nil || !math.IsNaN(float64(v.A)) || v.B != 1.5 {
		t.Errorf("%+v, %v", v, err)
	}
}

func TestMetricsRecordKeepsZeroCoverage(t *testing.T) {
	m := sim.Metrics{N: 10, W2: 3, HasModes: true, Covered: 0, Modes: 40, ModeTV: 1}
	b, err := json.Marshal(newMetricsRecord(m))
	if err != nil || !strings.Contains(string(b), `"covered":0`) {
		t.Fatalf("%s, %v", b, err)
	}
	var r metricsRecord
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if got := r.metrics(); got != m {
		t.Errorf("round trip %+v, want %+v", got, m)
	}
}

// loadParams reads the network parameters of a checkpoint.
func loadParams(t *testing.T, path string) []float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ck, err := sim.ReadCheckpoint(f)
	if err != nil {
		t.Fatal(err)
	}
	return ck.Net.Params()
}

func TestEvaluationDoesNotPerturbTraining(t *testing.T) {
	// Evaluations draw from their own random streams: evaluating after
	// every step leaves the trained network bit for bit the same.
	quiet, _ := trainTiny(t, "7")
	busy, out := trainTiny(t, "7", "-eval-every", "1ns")
	evals := 0
	for _, r := range readRecords(t, out) {
		if r["event"] == eventEval {
			evals++
		}
	}
	if evals != 6 {
		t.Errorf("%d evaluations during 7 steps, want 6 (the last step's is the final one)", evals)
	}
	a, b := loadParams(t, quiet), loadParams(t, busy)
	if len(a) != len(b) {
		t.Fatalf("%d and %d parameters", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("parameter %d: %v without evaluations, %v with", i, a[i], b[i])
		}
	}
}

// TestKnobNamesComplete: every flag addKnobs registers is in knobNames, so
// that the summaries and reports name every setting a run was trained with.
func TestKnobNamesComplete(t *testing.T) {
	fs := flag.NewFlagSet("knobs", flag.ContinueOnError)
	addKnobs(fs, true)
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name != "weights" && !slices.Contains(knobNames, f.Name) {
			t.Errorf("knob -%s is missing from knobNames", f.Name)
		}
	})
}
