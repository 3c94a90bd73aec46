package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"iwsm/targets"
)

func ptr[T any](v T) *T { return &v }

// syntheticRun is a gmm40 run whose final batches have the given x-W2 and
// coverage, and whose curve reaches every mode with x-W2 ≤ 5 at time reach
// (never when reach < 0).
func syntheticRun(variant string, seed uint64, w2 []float64, covered []int, reach float64) *runSummary {
	s := &runSummary{Target: "gmm40", Variant: variant, Seed: seed, Steps: 1000 + int(seed), TrainSeconds: 300, ESS: 0.25}
	for i, w := range w2 {
		s.Batches = append(s.Batches, &metricsRecord{N: 1000, W2: jfloat(w), MMD: 0.001,
			Covered: ptr(covered[i]), Modes: ptr(40), Outside: ptr(3), ModeTV: ptr(jfloat(0.1))})
	}
	s.Curve = []evalPoint{
		{Step: 100, Seconds: 30, Metrics: &metricsRecord{N: 1000, W2: 9, Covered: ptr(30), Modes: ptr(40)}},
		{Step: 200, Seconds: 60, Metrics: &metricsRecord{N: 1000, W2: 4.9, Covered: ptr(39), Modes: ptr(40)}},
	}
	if reach >= 0 {
		s.Curve = append(s.Curve, evalPoint{Step: 300, Seconds: reach, Metrics: &metricsRecord{N: 1000, W2: 4.5, Covered: ptr(40), Modes: ptr(40)}})
	}
	return s
}

func TestMeanStd(t *testing.T) {
	m, s := meanStd([]float64{4, 5, 6})
	if m != 5 || s != 1 {
		t.Errorf("mean %v std %v, want 5 and 1 (n − 1)", m, s)
	}
	if m, s := meanStd([]float64{2, math.NaN()}); m != 2 || s != 0 {
		t.Errorf("one value: %v ± %v", m, s)
	}
	if m, _ := meanStd(nil); !math.IsNaN(m) {
		t.Errorf("no values: %v", m)
	}
}

func TestAggregate(t *testing.T) {
	runs := []*runSummary{
		syntheticRun("iwsm", 1, []float64{4, 6}, []int{40, 40}, 90),  // seed mean 5
		syntheticRun("iwsm", 2, []float64{6, 8}, []int{40, 38}, 120), // seed mean 7
		syntheticRun("iwsm", 3, []float64{8, 10}, []int{39, 40}, -1), // seed mean 9, never reaches
	}
	row := aggregate(runs, 5)
	if row.W2.Mean != 7 || row.W2.Std != 2 || row.W2.N != 3 {
		t.Errorf("x-W2 %+v, want 7 ± 2 over 3 seeds (the std of the per-seed means)", row.W2)
	}
	if row.CoveredMin != 38 || row.Modes != 40 || !row.HasModes {
		t.Errorf("coverage min %d of %d", row.CoveredMin, row.Modes)
	}
	if math.Abs(float64(row.Covered.Mean)-(40+39+39.5)/3) > 1e-12 {
		t.Errorf("mean coverage %v", row.Covered.Mean)
	}
	// The 4.9 evaluation does not count: it misses a mode.
	if row.TimeToQuality.N != 2 || row.TimeToQuality.Mean != 105 {
		t.Errorf("time to quality %+v, want 105 s over 2 seeds", row.TimeToQuality)
	}
	if got := fmtTime(row.TimeToQuality, row.Seeds); got != "105 ± 21 s (2/3 seeds)" {
		t.Errorf("fmtTime %q", got)
	}
	if got := fmtTime(stat{}, 3); got != "—" {
		t.Errorf("never reached: %q", got)
	}
}

// TestParticleRunHasNoTimeToQuality checks that a particle system's x-W2,
// which is in other units, never meets the 2-D targets' quality threshold.
func TestParticleRunHasNoTimeToQuality(t *testing.T) {
	s := &runSummary{Target: "dw4", Variant: "idem", Seed: 1, Steps: 100, TrainSeconds: 300}
	s.Batches = []*metricsRecord{{N: 1000, W2: 2.1, MMD: 0.01, EW2: ptr(jfloat(0.5)), DistTV: ptr(jfloat(0.1))}}
	s.Curve = []evalPoint{{Step: 50, Seconds: 60, Metrics: &metricsRecord{N: 1000, W2: 2.5, EW2: ptr(jfloat(3)), DistTV: ptr(jfloat(0.2))}}}
	r := seedFigures(s, 5)
	if r.TimeToQuality != nil || r.TimeToModes != nil {
		t.Errorf("time to quality %v, to modes %v; want none for a particle system", r.TimeToQuality, r.TimeToModes)
	}
	if r.W2 != 2.1 || r.EW2 != 0.5 {
		t.Errorf("figures %+v", r)
	}
}

func TestFmtStat(t *testing.T) {
	for _, c := range []struct {
		s    stat
		f    string
		want string
	}{
		{stat{Mean: 7.7, Std: 1.44, N: 5}, "%.2f", "7.70 ± 1.44"},
		{stat{Mean: 7.7, Std: 0, N: 1}, "%.2f", "7.70"},
		{stat{}, "%.2f", "—"},
		{stat{Mean: jfloat(math.NaN()), N: 2}, "%.2f", "—"},
		{stat{Mean: 0.00123, Std: 0.0004, N: 3}, "%.2g", "0.0012 ± 0.0004"},
	} {
		if got := fmtStat(c.s, c.f); got != c.want {
			t.Errorf("fmtStat(%+v, %q) = %q, want %q", c.s, c.f, got, c.want)
		}
	}
}

func TestResultsMarkdown(t *testing.T) {
	iwsm := aggregate([]*runSummary{
		syntheticRun("iwsm", 1, []float64{4, 6}, []int{40, 40}, 90),
		syntheticRun("iwsm", 2, []float64{6, 8}, []int{40, 40}, 110),
	}, 5)
	idem := aggregate([]*runSummary{
		syntheticRun("idem", 1, []float64{7, 9}, []int{36, 37}, -1),
		syntheticRun("idem", 2, []float64{9, 11}, []int{35, 38}, -1),
	}, 5)
	floor := aggregate([]*runSummary{syntheticRun("exact", 1, []float64{4.1, 4.3}, []int{40, 40}, -1)}, 5)
	rep := &report{
		Command: "go run ./sim/cmd/iwsm reproduce -budget 5m -seeds 2",
		Date:    "2025-01-02 03:04 UTC",
		Machine: machineInfo{GOOS: "linux", GOARCH: "amd64", GoVersion: "go1.26.8", GOMAXPROCS: 2, NumCPU: 2, CPU: "Test CPU"},
		Settings: reportSettings{BudgetSeconds: 300, Seeds: []uint64{1, 2}, EvalN: 1000, EvalBatches: 2, Evals: 10,
			W2Threshold: 5, Knobs: []string{"-sde-steps=100"}, Missing: []string{"gmm40-iwsm-def0-seed1"}},
		Targets: []targetReport{{Target: "gmm40", Dim: 2, Rows: []rowResult{iwsm, idem}, Floor: &floor,
			Published: publishedFigures["gmm40"], Figures: []figureRef{{Caption: "x-W2 over time", Path: "figures/w2-gmm40.png"}}}},
	}
	var buf bytes.Buffer
	if err := writeResultsMarkdown(&buf, rep); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	for _, want := range []string{
		"go run ./sim/cmd/iwsm reproduce -budget 5m -seeds 2",
		"2025-01-02 03:04 UTC", "GOMAXPROCS 2", "Test CPU", "linux/amd64", "go1.26.8",
		"`-sde-steps=100`", "gmm40-iwsm-def0-seed1",
		"| IW-SM | 6.00 ± 1.41 | 0.001 ± 0 | 40.0 ± 0.0 / 40 (40) | 0.100 ± 0.000 | 100 ± 14 s | 0.250 ± 0.000 | 1002 ± 1 | 2 |",
		"| iDEM | 9.00 ± 1.41 |", "36.5 ± 0.0 / 40 (35)", "| — | 0.250",
		"| exact samples (floor, measured here) | 4.20 |",
		"| iDEM re-run (published, 5 seeds × 5 batches) | 7.70 ± 1.44 |",
		"| floor: exact vs exact (published) | 4.16 ± 0.60 |",
		"![x-W2 over time](figures/w2-gmm40.png)",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("RESULTS.md lacks %q:\n%s", want, md)
		}
	}
	// Every row of the main table has as many cells as its header.
	lines := strings.Split(md, "\n")
	for i, line := range lines {
		if !strings.HasPrefix(line, "| variant | x-W2") {
			continue
		}
		n := strings.Count(line, "|")
		for _, row := range lines[i+1:] {
			if row == "" {
				break
			}
			if strings.Count(row, "|") != n {
				t.Errorf("row %q has %d separators, the header %d", row, strings.Count(row, "|"), n)
			}
		}
	}
	if _, err := json.Marshal(rep); err != nil {
		t.Errorf("results.json: %v", err)
	}
}

func TestReproduceTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("trains four tiny runs")
	}
	out := t.TempDir()
	args := append([]string{"reproduce", "-budget", "1m", "-steps", "4", "-seeds", "1", "-targets", "gmm40",
		"-ablations", "gmm40", "-eval-n", "40", "-eval-batches", "2", "-evals", "2", "-out", out, "-quiet"}, tinyKnobs...)
	code, stdout, stderr := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("reproduce exited %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "4 of 4 runs finished") {
		t.Errorf("stdout %q", stdout)
	}
	for _, v := range []string{"iwsm", "idem", "iwsm-def0", "idem-def0"} {
		for _, ext := range []string{".jsonl", ".csv", ".ckpt", ".json"} {
			if _, err := os.Stat(filepath.Join(out, "runs", "gmm40-"+v+"-seed1"+ext)); err != nil {
				t.Error(err)
			}
		}
	}
	md, err := os.ReadFile(filepath.Join(out, "RESULTS.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"IW-SM, defensive share 0", "iDEM, defensive share 0", "exact samples (floor", "figures/samples-gmm40.png", "figures/modes-gmm40.png"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("RESULTS.md lacks %q", want)
		}
	}
	var rep report
	b, err := os.ReadFile(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Targets) != 1 || len(rep.Targets[0].Rows) != 4 || rep.Targets[0].Floor == nil {
		t.Fatalf("results.json: %+v", rep.Targets)
	}
	for _, r := range rep.Targets[0].Rows {
		if r.Steps.Mean != 4 || r.W2.N != 1 || !(r.W2.Mean > 0) {
			t.Errorf("row %s: %+v", r.Variant, r)
		}
	}
	for _, f := range []string{"samples-gmm40.png", "ess-gmm40.png", "w2-gmm40.png", "modes-gmm40.png"} {
		checkPNG(t, filepath.Join(out, "figures", f), 0, 0)
	}
	// Resuming trains nothing: the summaries are kept as they are.
	before, _ := os.ReadFile(filepath.Join(out, "runs", "gmm40-iwsm-seed1.json"))
	code, stdout, stderr = runCLI(t, append(args, "-resume")...)
	after, _ := os.ReadFile(filepath.Join(out, "runs", "gmm40-iwsm-seed1.json"))
	if code != 0 || !strings.Contains(stdout, "4 of 4 runs finished") || !bytes.Equal(before, after) {
		t.Errorf("resume: exit %d, stdout %q, stderr %q, summary changed %v", code, stdout, stderr, !bytes.Equal(before, after))
	}
}

// tinyParticleKnobs are tinyKnobs for the EGNN (which has no embedding).
var tinyParticleKnobs = []string{"-K", "8", "-hidden", "8", "-blocks", "1", "-refresh-size", "40", "-refresh-every", "3",
	"-sde-steps", "10", "-buffer", "200", "-groups", "2", "-group-size", "8", "-workers", "2"}

func TestReproduceParticlesTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("trains four tiny runs")
	}
	out := t.TempDir()
	args := append([]string{"reproduce", "-budget", "1m", "-steps", "4", "-seeds", "1", "-targets", "dw4,lj55",
		"-ablations", "none", "-eval-n", "30", "-eval-batches", "2", "-evals", "2", "-out", out, "-quiet", "-mala", "20"}, tinyParticleKnobs...)
	code, stdout, stderr := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("reproduce exited %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "4 of 4 runs finished") {
		t.Errorf("stdout %q", stdout)
	}
	if !strings.Contains(stderr, "lj55 iwsm seed 1: no reference set") {
		t.Errorf("stderr does not say that lj55 has no reference:\n%s", stderr)
	}
	md, err := os.ReadFile(filepath.Join(out, "RESULTS.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## dw4", "| variant | x-W2 | MMD | E-W2 | distance TV |", "| iDEM re-run (published) | 2.05 ± 0.03 | — | 0.44 ± 0.15 |",
		"exact samples (floor", "figures/energy-dw4.png", "figures/distances-dw4.png", "figures/ew2-dw4.png",
		"## lj55", "lj55 has no reference samples here", "| iDEM re-run (published) | 16.14 ± 0.12 |",
		"| IW-SM + MALA |", "| iDEM + MALA |", "Rows \"+ MALA\" are the same final samples after 20 steps",
		"| exact samples, rotated and relabelled at random (symmetric floor, measured here) |"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("RESULTS.md lacks %q", want)
		}
	}
	if strings.Contains(string(md), "figures/energy-lj55.png") || strings.Contains(string(md), "figures/w2-lj55.png") {
		t.Error("RESULTS.md shows sample figures of lj55, which has no samples to show")
	}
	var rep report
	b, err := os.ReadFile(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Targets) != 2 {
		t.Fatalf("results.json: %+v", rep.Targets)
	}
	dw, lj := rep.Targets[0], rep.Targets[1]
	// The corrector draws the final batches again from the checkpoints: the
	// same samples as the trainer's, or it warns.
	if strings.Contains(stderr, "warning: batch") || strings.Count(stderr, "MALA steps (acceptance") != 4 {
		t.Errorf("the corrector did not redraw the 4 dw4 batches faithfully:\n%s", stderr)
	}
	if len(dw.Rows) != 4 || dw.Rows[2].Variant != "iwsm+mala" || dw.Rows[2].EW2.N != 1 {
		t.Errorf("dw4 rows: %+v", dw.Rows)
	}
	dw.Rows = dw.Rows[:2]
	// The symmetric floor rotates and relabels the floor's own samples: the
	// energies and pair distances, hence E-W2 and the distance TV, are the same.
	if sf := dw.SymmetricFloor; sf == nil || lj.SymmetricFloor != nil || dw.Floor == nil ||
		math.Abs(float64(sf.EW2.Mean-dw.Floor.EW2.Mean)) > 1e-9 || math.Abs(float64(sf.DistTV.Mean-dw.Floor.DistTV.Mean)) > 1e-12 {
		t.Errorf("symmetric floors: dw4 %+v (floor %+v), lj55 %+v", dw.SymmetricFloor, dw.Floor, lj.SymmetricFloor)
	}
	if len(dw.Rows) != 2 || dw.Floor == nil || dw.NoReference || !dw.Rows[0].HasEnergy || dw.Rows[0].EW2.N != 1 {
		t.Errorf("dw4 section: %+v", dw)
	}
	if len(lj.Rows) != 2 || lj.Floor != nil || !lj.NoReference || lj.Rows[0].W2.N != 0 {
		t.Errorf("lj55 section: %+v", lj)
	}
	for _, r := range lj.Rows {
		if r.Steps.Mean != 4 {
			t.Errorf("lj55 %s: %v steps", r.Variant, r.Steps.Mean)
		}
		for _, s := range r.PerSeed {
			if s.Error != "" {
				t.Errorf("lj55 %s seed %d: error %q (no reference is not an error)", r.Variant, s.Seed, s.Error)
			}
		}
	}
	if x, err := readCSVFile(filepath.Join(out, "runs", "dw4-iwsm-seed1"+malaCSVSuffix), 8); err != nil || len(x) != 30*8 {
		t.Errorf("corrected samples: %d values, %v", len(x), err)
	}
	for _, f := range []string{"energy-dw4.png", "distances-dw4.png", "ew2-dw4.png", "w2-dw4.png", "ess-dw4.png", "ess-lj55.png"} {
		checkPNG(t, filepath.Join(out, "figures", f), 0, 0)
	}
}

func TestEvalNFor(t *testing.T) {
	lj, dw := mustTarget(t, "lj13"), mustTarget(t, "dw4")
	for _, c := range []struct {
		args      []string
		lj13, dw4 int
	}{
		{nil, 1024, 1000},                         // the benchmark's sizes
		{[]string{"-eval-n", "500"}, 500, 500},    // a given -eval-n applies to every target
		{[]string{"-eval-n", "1000"}, 1000, 1000}, // even when it is the default
	} {
		f, o := reproduceFlags()
		if err := parseFlags(f, c.args); err != nil {
			t.Fatal(err)
		}
		if got := o.evalNFor(lj); got != c.lj13 {
			t.Errorf("%v: lj13 %d, want %d", c.args, got, c.lj13)
		}
		if got := o.evalNFor(dw); got != c.dw4 {
			t.Errorf("%v: dw4 %d, want %d", c.args, got, c.dw4)
		}
	}
}

func mustTarget(t *testing.T, name string) targets.Target {
	t.Helper()
	tg, err := targets.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// TestDefaultSettingsSentence: RESULTS.md describes the default settings of
// the kinds of target it reports, and only those.
func TestDefaultSettingsSentence(t *testing.T) {
	for _, c := range []struct {
		targets    []string
		flat, egnn bool
	}{
		{[]string{"gmm40", "gmm120"}, true, false},
		{[]string{"dw4"}, false, true},
		{[]string{"lj55"}, false, true},
		{[]string{"gmm40", "lj13"}, true, true},
	} {
		var ts []targetReport
		for _, n := range c.targets {
			ts = append(ts, targetReport{Target: n})
		}
		got := defaultSettings(ts)
		if strings.Contains(got, "Tweedie") != c.flat || strings.Contains(got, "EGNN") != c.egnn {
			t.Errorf("%v: %q", c.targets, got)
		}
	}
}
