package sim

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"iwsm/targets"
)

// smallParticleConfig is DefaultConfig for a particle system shrunk to a
// test's size: a tiny EGNN, few Monte Carlo samples, a small batch and
// buffer, frequent refreshes with a short sampler.
func smallParticleConfig(t targets.Target, weights bool) Config {
	c := DefaultConfig(t)
	c.Weights = weights
	c.Net.EGNN.Hidden, c.Net.EGNN.Layers = 8, 2
	c.Net.EGNN.CoordRange = 15.0 / 2
	c.K = 8
	c.Groups, c.GroupSize = 2, 8
	c.BufferSize = 64
	c.RefreshEvery, c.RefreshSize = 3, 16
	c.Sampler.Steps = 6
	c.Workers = 1
	return c
}

// badLJStates returns m configurations of n particles in 3-D that a young
// sampler produces and the Lennard-Jones energy hates: every particle at
// one point, particles a hair apart, one exactly coincident pair in an
// otherwise spread configuration, and particles flung far away.
func badLJStates(m, n int, rng *rand.Rand) []float64 {
	d := 3 * n
	x := make([]float64, m*d)
	for i := range m {
		row := x[i*d : (i+1)*d]
		switch i % 4 {
		case 0: // all coincident (the zero configuration)
		case 1: // a hair apart: pair distances near 1e-9
			for j := range row {
				row[j] = 1e-9 * rng.NormFloat64()
			}
		case 2: // spread, with particles 0 and 1 exactly on top of each other
			for j := range row {
				row[j] = 1.5 * rng.NormFloat64()
			}
			copy(row[3:6], row[0:3])
		case 3: // far apart: the harmonic tether dominates
			for j := range row {
				row[j] = 1e3 * rng.NormFloat64()
			}
		}
	}
	targets.RemoveMeanBatch(x, n, 3)
	return x
}

// checkFinite fails the test when v holds a NaN or an infinity.
func checkFinite(t *testing.T, what string, v []float64) {
	t.Helper()
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			t.Fatalf("%s[%d] = %v", what, i, x)
		}
	}
}

// TestLJTrainingStaysFinite runs a small LJ-13 training whose replay buffer
// starts full of coincident, nearly coincident and far-flung particles
// (what an untrained sampler produces) through several refreshes, and
// checks that the loss, the nESS, the gradient norm, the importance
// weights, the parameters (trained and EMA), the buffer and the samples
// stay finite: a non-finite energy must be a zero-weight sample, never a
// NaN (METHOD.md).
func TestLJTrainingStaysFinite(t *testing.T) {
	lj, err := targets.Lookup("lj13")
	if err != nil {
		t.Fatal(err)
	}
	n := 13
	for _, weights := range []bool{true, false} {
		cfg := smallParticleConfig(lj, weights)
		t.Run(cfg.Method(), func(t *testing.T) {
			tr, err := NewTrainer(lj, cfg, 7)
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			ring := cfg.BufferSize - tr.Buffer().Defensive()
			bad := badLJStates(ring, n, rand.New(rand.NewPCG(7, 8)))
			if skipped := tr.Buffer().Push(bad); skipped != 0 {
				t.Fatalf("%d finite bad states were skipped", skipped)
			}
			refreshes := 0
			for range 4 * cfg.RefreshEvery {
				st, err := tr.Step()
				if err != nil {
					t.Fatalf("step %d: %v", st.Step+1, err)
				}
				if st.Refreshed {
					refreshes++
				}
				checkFinite(t, "loss, nESS, gradient norm", []float64{st.Loss, st.ESS, st.GradNorm})
				if !(st.ESS >= 0 && st.ESS <= 1+1e-12) {
					t.Fatalf("step %d: nESS %v outside [0, 1]", st.Step, st.ESS)
				}
				w := tr.Weights()
				checkFinite(t, "weights", w)
				for g := range cfg.Groups {
					var sum float64
					for _, v := range w[g*cfg.GroupSize : (g+1)*cfg.GroupSize] {
						if v < 0 {
							t.Fatalf("step %d: negative weight %v", st.Step, v)
						}
						sum += v
					}
					// A group sums to 1, or to 0 when every log weight was -Inf.
					if math.Abs(sum-1) > 1e-9 && sum != 0 {
						t.Fatalf("step %d: group %d weights sum to %v", st.Step, g, sum)
					}
				}
				checkFinite(t, "parameters", tr.Net().Params())
				checkFinite(t, "EMA parameters", tr.SamplingNet().Params())
				checkFinite(t, "buffer", tr.Buffer().Rows())
			}
			if refreshes < 3 {
				t.Fatalf("%d refreshes, want at least 3", refreshes)
			}
			x, err := tr.Sample(16, rand.New(rand.NewPCG(1, 2)))
			if err != nil {
				t.Fatal(err)
			}
			checkFinite(t, "samples", x)
		})
	}
}

// TestLJEstimatorAtCoincidentParticles checks the Monte Carlo estimates at
// the configurations that overflow the Lennard-Jones energy, at the
// smallest and the largest noise level of the default schedule: the score
// is finite and within the per-particle clip, and log p̃_t is finite or
// −Inf, never NaN.
func TestLJEstimatorAtCoincidentParticles(t *testing.T) {
	lj, err := targets.Lookup("lj13")
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig(lj)
	est := NewMCEstimator(lj, 16, cfg.ScoreClip)
	est.SetMix(cfg.ScoreMix)
	rng := rand.New(rand.NewPCG(3, 4))
	d := lj.Dim()
	bad := badLJStates(8, 13, rng)
	score := make([]float64, d)
	for i := range 8 {
		for _, sigma := range []float64{cfg.Schedule.SigmaMin, cfg.Schedule.SigmaMax, 1e-12} {
			logp := est.Estimate(score, bad[i*d:(i+1)*d], sigma, rng)
			if math.IsNaN(logp) || math.IsInf(logp, 1) {
				t.Errorf("state %d, σ = %g: log p̃_t = %v", i, sigma, logp)
			}
			checkFinite(t, "score", score)
			for p := 0; p < d; p += 3 {
				if nrm := math.Sqrt(score[p]*score[p] + score[p+1]*score[p+1] + score[p+2]*score[p+2]); cfg.ScoreClip > 0 && nrm > cfg.ScoreClip*(1+1e-12) {
					t.Errorf("state %d, σ = %g: particle %d score norm %v above the clip %v", i, sigma, p/3, nrm, cfg.ScoreClip)
				}
			}
		}
	}
}

// TestRefreshMALA checks the refresh corrector experiment on DW-4: with
// RefreshMALA the samples a refresh pushes into the buffer come out of the
// corrector (an untrained network's samples relax to far lower energies),
// the energy evaluations it costs are counted, and a negative count is
// rejected.
func TestRefreshMALA(t *testing.T) {
	dw, err := targets.Lookup("dw4")
	if err != nil {
		t.Fatal(err)
	}
	d := dw.Dim()
	refreshed := func(steps int) (meanEnergy float64, evals int64) {
		cfg := smallParticleConfig(dw, true)
		cfg.RefreshMALA = steps
		tr, err := NewTrainer(dw, cfg, 3)
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		before := tr.EnergyEvals()
		if err := tr.Refresh(); err != nil {
			t.Fatal(err)
		}
		b := tr.Buffer()
		start := (b.Defensive() + cfg.RefreshSize) * d // after the initial prior samples
		newest := b.Rows()[start : start+cfg.RefreshSize*d]
		for _, e := range targets.EnergyBatch(dw, nil, newest) {
			meanEnergy += e / float64(cfg.RefreshSize)
		}
		return meanEnergy, tr.EnergyEvals() - before
	}
	plain, plainEvals := refreshed(0)
	corrected, correctedEvals := refreshed(300)
	t.Logf("mean energy of a refresh: %.3g plain, %.3g after 300 MALA steps", plain, corrected)
	if !(corrected < plain-5) || corrected > -10 {
		t.Errorf("mean energy %v after the corrector, %v without: want relaxed samples", corrected, plain)
	}
	if got, want := correctedEvals-plainEvals, int64(301*16); got != want {
		t.Errorf("the corrector added %d energy evaluations, want %d", got, want)
	}
	bad := smallParticleConfig(dw, true)
	bad.RefreshMALA = -1
	if err := bad.Validate(dw); err == nil || !strings.Contains(err.Error(), "refresh MALA") {
		t.Errorf("RefreshMALA -1: %v", err)
	}
}
