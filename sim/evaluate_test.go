package sim

import (
	"math"
	"math/rand/v2"
	"testing"

	"iwsm/targets"
)

// TestEvaluatorOnItsReference checks the evaluator against known answers: its
// own reference scores zero on every distance, and a configuration with one
// particle pulled far away raises E-W2 and counts as one sample above the
// reference's highest energy.
func TestEvaluatorOnItsReference(t *testing.T) {
	dw4, err := targets.Lookup("dw4")
	if err != nil {
		t.Fatal(err)
	}
	const n = 200
	ev, err := NewEvaluator(dw4, n, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	x := append([]float64(nil), ev.Reference()...)
	m, err := ev.Evaluate(x)
	if err != nil {
		t.Fatal(err)
	}
	if !m.HasEnergy || m.HasModes || m.N != n {
		t.Fatalf("metrics %+v: want energy metrics only, n = %d", m, n)
	}
	if m.W2 > 1e-9 || m.EnergyW2 > 1e-12 || m.DistTV != 0 || m.HighEnergy != 0 || m.MMD > 1e-12 {
		t.Errorf("the reference against itself: %+v, want zeros", m)
	}

	// Pull particle 0 of sample 7 ten units away: the double-well's quartic
	// term makes its energy far higher than any reference configuration's.
	x[7*8] += 10
	targets.RemoveMean(x[7*8:8*8], 4, 2)
	m, err = ev.Evaluate(x)
	if err != nil {
		t.Fatal(err)
	}
	if m.HighEnergy != 1 || !(m.EnergyW2 > 1) || !(m.W2 > 0) || !(m.DistTV > 0) {
		t.Errorf("one exploded configuration: %+v, want 1 above the highest energy and positive distances", m)
	}

	x[3] = math.NaN()
	if _, err := ev.Evaluate(x); err == nil {
		t.Error("a NaN sample evaluated without error")
	}
	if _, err := ev.Evaluate(x[:8]); err == nil {
		t.Error("a wrong sample count evaluated without error")
	}
}

// TestEvaluatorMixture checks the mixture metrics on exact samples: the
// evaluator's own reference covers every mode with no distance, and fresh
// exact samples cover every mode too.
func TestEvaluatorMixture(t *testing.T) {
	g, err := targets.Lookup("gmm40")
	if err != nil {
		t.Fatal(err)
	}
	const n = 1000
	ev, err := NewEvaluator(g, n, rand.New(rand.NewPCG(3, 4)))
	if err != nil {
		t.Fatal(err)
	}
	m, err := ev.Evaluate(ev.Reference())
	if err != nil {
		t.Fatal(err)
	}
	if !m.HasModes || m.HasEnergy || m.Modes != 40 || m.Covered != 40 || m.W2 > 1e-9 {
		t.Errorf("reference against itself: %+v", m)
	}
	x := make([]float64, 2*n)
	g.(targets.ExactSampler).SampleInto(x, rand.New(rand.NewPCG(5, 6)))
	if m, err = ev.Evaluate(x); err != nil || m.Covered != 40 || !(m.W2 > 0) {
		t.Errorf("fresh exact samples: %+v, %v; want 40/40 and a positive x-W2", m, err)
	}
	if _, err := NewEvaluator(g, 1, rand.New(rand.NewPCG(1, 1))); err == nil {
		t.Error("an evaluator of 1 sample was built")
	}
}
