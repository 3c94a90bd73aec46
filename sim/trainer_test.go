package sim

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"iwsm/targets"
)

// smallConfig is a fast configuration of the gmm40 trainer for tests.
func smallConfig(t *testing.T) (targets.Target, Config) {
	t.Helper()
	g, err := targets.Lookup("gmm40")
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig(g)
	cfg.Net.MLP.EmbedSize, cfg.Net.MLP.Hidden, cfg.Net.MLP.Blocks = 8, 16, 1
	cfg.K = 16
	cfg.Groups, cfg.GroupSize = 3, 8
	cfg.BufferSize, cfg.RefreshSize, cfg.RefreshEvery = 200, 40, 3
	cfg.Sampler.Steps, cfg.InitSteps = 20, 10
	return g, cfg
}

func newTestTrainer(t *testing.T, g targets.Target, cfg Config, seed uint64) *Trainer {
	t.Helper()
	tr, err := NewTrainer(g, cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.Close)
	return tr
}

// exactNoised is the exact noised density and score of a mixture, in place of
// the Monte Carlo estimates, and its exact sampler as the proposal.
type exactNoised struct{ m *targets.Mixture }

func (e exactNoised) Estimate(score, x []float64, sigma float64, _ *rand.Rand) float64 {
	return e.m.NoisedLogProbScore(score, x, sigma)
}

func (e exactNoised) SampleNoised(dst []float64, sigma float64, rng *rand.Rand) int {
	e.m.SampleInto(dst, rng)
	for i := range dst {
		dst[i] += sigma * rng.NormFloat64()
	}
	return 0
}

func (e exactNoised) NoisedLogDensitySubset(_, x []float64, sigma float64, _, _ int, _ *rand.Rand) float64 {
	return e.m.NoisedLogProbScore(nil, x, sigma)
}

// TestWeightsUniformWithExactDensities: with the exact noised density in
// place of both estimates and the target itself as the proposal, every log
// weight is 0 and the self-normalized weights are exactly uniform.
func TestWeightsUniformWithExactDensities(t *testing.T) {
	g, cfg := smallConfig(t)
	tr := newTestTrainer(t, g, cfg, 1)
	ex := exactNoised{g.(*targets.Mixture)}
	for s := range tr.shards {
		tr.shards[s].est = ex
	}
	tr.prop = ex
	if ess := tr.prepareBatch(); ess != 1 {
		t.Fatalf("nESS = %v, want exactly 1", ess)
	}
	for i, w := range tr.wbar {
		if w != 1/float64(cfg.GroupSize) {
			t.Fatalf("w̄[%d] = %v, want 1/%d", i, w, cfg.GroupSize)
		}
	}
}

// TestLossGradient checks the trainer's loss gradient against central finite
// differences of the loss, on a fixed prepared batch.
func TestLossGradient(t *testing.T) {
	g, cfg := smallConfig(t)
	for _, weights := range []bool{true, false} {
		cfg.Weights = weights
		tr := newTestTrainer(t, g, cfg, 2)
		tr.prepareBatch()
		tr.lossAndGradient()
		grad := slices.Clone(tr.grad)
		theta := tr.net.Params()
		rng := rand.New(rand.NewPCG(1, 2))
		for range 40 {
			k := rng.IntN(len(theta))
			old := theta[k]
			h := 1e-5 * math.Max(1, math.Abs(old))
			theta[k] = old + h
			lp := tr.lossAndGradient()
			theta[k] = old - h
			lm := tr.lossAndGradient()
			theta[k] = old
			fd := (lp - lm) / (2 * h)
			if err := math.Abs(fd - grad[k]); err > 1e-6*math.Max(math.Abs(fd), 1e-3) {
				t.Errorf("weights %v: ∂L/∂θ[%d] = %.10g, finite difference %.10g", weights, k, grad[k], fd)
			}
		}
	}
}

// TestIDEMIsIWSMWithoutWeights: the two methods share every line but the
// weights. With one point per time the self-normalized weight is 1 = 1/n, so
// IW-SM and iDEM must take bit-for-bit the same steps, refreshes included.
// With more points per time they see the same batches and differ only in w̄.
func TestIDEMIsIWSMWithoutWeights(t *testing.T) {
	g, cfg := smallConfig(t)
	cfg.Groups, cfg.GroupSize = 8, 1
	run := func(weights bool) []float64 {
		c := cfg
		c.Weights = weights
		tr := newTestTrainer(t, g, c, 7)
		for range 7 { // two refreshes
			if _, err := tr.Step(); err != nil {
				t.Fatal(err)
			}
		}
		return slices.Clone(tr.net.Params())
	}
	if a, b := run(true), run(false); !slices.Equal(a, b) {
		t.Fatal("IW-SM with one point per time differs from iDEM")
	}

	_, cfg = smallConfig(t)
	cfg.Weights = true
	iw := newTestTrainer(t, g, cfg, 7)
	cfg.Weights = false
	id := newTestTrainer(t, g, cfg, 7)
	iw.prepareBatch()
	id.prepareBatch()
	if !slices.Equal(iw.x, id.x) || !slices.Equal(iw.shat, id.shat) || !slices.Equal(iw.logq, id.logq) {
		t.Fatal("same seed, different batches")
	}
	if slices.Equal(iw.wbar, id.wbar) {
		t.Fatal("IW-SM weights equal iDEM's uniform ones")
	}
	for _, w := range id.wbar {
		if w != 1/float64(cfg.GroupSize) {
			t.Fatalf("iDEM weight %v, want 1/n", w)
		}
	}
}

// TestWeightFloor: the floored weights are the mixture (1 − f)·w̄ + f/n of
// the same batch's IW-SM weights and iDEM's uniform ones: f = 1 is iDEM, and
// every floored weight is at least f/n and they still sum to one per time.
func TestWeightFloor(t *testing.T) {
	g, cfg := smallConfig(t)
	cfg.Weights = true
	iw := newTestTrainer(t, g, cfg, 7)
	iw.prepareBatch()
	n := float64(cfg.GroupSize)
	for _, f := range []float64{0.3, 1} {
		c := cfg
		c.WeightFloor = f
		fl := newTestTrainer(t, g, c, 7)
		fl.prepareBatch()
		if essIW, essFl := iw.normalizeWeights(), fl.normalizeWeights(); essIW != essFl {
			t.Errorf("floor %v: nESS %v, want the unfloored weights' %v", f, essFl, essIW)
		}
		for g := range cfg.Groups {
			var sum float64
			for i := g * cfg.GroupSize; i < (g+1)*cfg.GroupSize; i++ {
				want := (1-f)*iw.wbar[i] + f/n
				if math.Abs(fl.wbar[i]-want) > 1e-15 || fl.wbar[i] < f/n*(1-1e-12) {
					t.Fatalf("floor %v: weight %d = %v, want %v", f, i, fl.wbar[i], want)
				}
				sum += fl.wbar[i]
			}
			if math.Abs(sum-1) > 1e-12 {
				t.Errorf("floor %v: weights of time %d sum to %v", f, g, sum)
			}
		}
	}
	bad := cfg
	bad.WeightFloor = 1.5
	if err := bad.Validate(g); err == nil || !strings.Contains(err.Error(), "weight floor") {
		t.Errorf("floor 1.5: %v", err)
	}
}

// TestTrainerWorkersInvariant: the result does not depend on the number of
// goroutines.
func TestTrainerWorkersInvariant(t *testing.T) {
	g, cfg := smallConfig(t)
	run := func(workers int) []float64 {
		c := cfg
		c.Workers = workers
		tr := newTestTrainer(t, g, c, 3)
		for range 4 {
			if _, err := tr.Step(); err != nil {
				t.Fatal(err)
			}
		}
		return slices.Clone(tr.net.Params())
	}
	if a, b := run(1), run(3); !slices.Equal(a, b) {
		t.Fatal("1 and 3 workers give different parameters")
	}
}

// TestTrainerDiverges: an absurd loss stops the trainer with an error naming
// the step and leaves the parameters as they were.
func TestTrainerDiverges(t *testing.T) {
	g, cfg := smallConfig(t)
	cfg.LambdaFloor = 1e30
	tr := newTestTrainer(t, g, cfg, 4)
	before := slices.Clone(tr.net.Params())
	_, err := tr.Step()
	var div *DivergedError
	if !errors.As(err, &div) || div.Step != 1 {
		t.Fatalf("err = %v, want a DivergedError at step 1", err)
	}
	if !slices.Equal(before, tr.net.Params()) {
		t.Fatal("a diverged step changed the parameters")
	}
	if _, err2 := tr.Step(); !errors.As(err2, &div) {
		t.Fatalf("after divergence Step returned %v", err2)
	}
}

// TestTrainerStats: the figures of a step are sane and the buffer refreshes on
// schedule.
func TestTrainerStats(t *testing.T) {
	g, cfg := smallConfig(t)
	tr := newTestTrainer(t, g, cfg, 5)
	var last int64
	for i := 1; i <= 4; i++ {
		st, err := tr.Step()
		if err != nil {
			t.Fatal(err)
		}
		if st.Step != i || st.Refreshed != (i == 4) {
			t.Errorf("step %d: stats %+v", i, st)
		}
		if !(st.Loss >= 0) || !(st.ESS > 0 && st.ESS <= 1) || st.EnergyEvals <= last {
			t.Errorf("step %d: loss %v, nESS %v, evals %d", i, st.Loss, st.ESS, st.EnergyEvals)
		}
		last = st.EnergyEvals
	}
	if tr.Buffer().Len() != cfg.BufferSize/10+2*cfg.RefreshSize {
		t.Errorf("buffer holds %d rows, want %d", tr.Buffer().Len(), cfg.BufferSize/10+2*cfg.RefreshSize)
	}
}

func TestConfigValidate(t *testing.T) {
	g, base := smallConfig(t)
	cases := map[string]func(*Config){
		"K":         func(c *Config) { c.K = 0 },
		"groups":    func(c *Config) { c.Groups = 0 },
		"lr":        func(c *Config) { c.Adam.LR = math.NaN() },
		"share":     func(c *Config) { c.DefensiveShare = 1 },
		"buffer":    func(c *Config) { c.BufferSize = 1 },
		"init":      func(c *Config) { c.InitBuffer = "magic" },
		"arch":      func(c *Config) { c.Net.Arch = "transformer" },
		"egnn":      func(c *Config) { c.Net.Arch = "egnn" },
		"schedule":  func(c *Config) { c.Schedule.SigmaMax = 0 },
		"sde steps": func(c *Config) { c.Sampler.Steps = 0 },
		"mlp dim":   func(c *Config) { c.Net.MLP.Dim = 3 },
	}
	for name, mut := range cases {
		c := base
		mut(&c)
		if _, err := NewTrainer(g, c, 1); err == nil {
			t.Errorf("%s: bad config accepted", name)
		}
	}
}
