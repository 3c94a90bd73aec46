package sim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"iwsm/targets"
)

// gmm40MLPConfig is the network DSM trains on gmm40: iDEM's sizes (or
// smaller ones for fast tests) on coordinates divided by 50, predicting the
// score in data units.
func gmm40MLPConfig(small bool) MLPConfig {
	c := DefaultMLPConfig(2)
	c.InputScale = 1.0 / 50
	if small {
		c.EmbedSize, c.Hidden, c.Blocks = 16, 24, 2
	}
	return c
}

func newDSM(t testing.TB, cfg MLPConfig, dcfg DSMConfig, seed uint64) *DSMTrainer {
	rng := rand.New(rand.NewPCG(seed, 7))
	net, err := NewMLP(cfg, rng)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewDSMTrainer(net, gmm40(t), gmm40Schedule, dcfg, rng)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestDSMGradientFiniteDifferences checks the trainer's gradient against
// five-point differences of Loss (a separate evaluation of the loss) on the
// same batch, for sampled entries of every parameter block, with one and
// with three workers.
func TestDSMGradientFiniteDifferences(t *testing.T) {
	cfg := gmm40MLPConfig(true)
	for _, workers := range []int{1, 3} {
		t.Run(fmt.Sprintf("workers%d", workers), func(t *testing.T) {
			dcfg := DefaultDSMConfig()
			dcfg.Batch, dcfg.Workers = 7, workers
			tr := newDSM(t, cfg, dcfg, 1)
			tr.drawBatch()
			x0, z, tt := append([]float64(nil), tr.x0...), append([]float64(nil), tr.z...), append([]float64(nil), tr.t...)
			grad := make([]float64, len(tr.net.Params()))
			loss := tr.lossGrad(grad)
			if l2 := tr.Loss(x0, z, tt); math.Abs(l2-loss) > 1e-12*loss {
				t.Fatalf("Loss %v, lossGrad %v", l2, loss)
			}
			theta := tr.net.Params()
			f := func() float64 { return tr.Loss(x0, z, tt) }
			rng := rand.New(rand.NewPCG(2, 2))
			for li, l := range tr.net.(*MLP).layers {
				for _, blk := range [][2]int{{l.wOff, l.in * l.out}, {l.wOff + l.in*l.out, l.out}} {
					for range 6 {
						k := blk[0] + rng.IntN(blk[1])
						num := fd5(f, &theta[k], 1e-3)
						if e := relErr(grad[k], num); e > 1e-6 {
							t.Errorf("layer %d entry %d: analytic %v, finite difference %v (rel %v)", li, k, grad[k], num, e)
						}
					}
				}
			}
		})
	}
}

// exactDSMLoss is the oracle minimum: the DSM loss of the exact noised
// score of the mixture on the same batch.
func exactDSMLoss(m *targets.Mixture, sched VESchedule, x0, z, t []float64) float64 {
	d := m.Dim()
	s, lp, x := make([]float64, d), make([]float64, 1), make([]float64, d)
	var loss float64
	for i := range t {
		sig := sched.Sigma(t[i])
		for j := range d {
			x[j] = x0[i*d+j] + sig*z[i*d+j]
		}
		m.NoisedBatch(lp, s, x, sig)
		for j := range d {
			e := sig*s[j] + z[i*d+j]
			loss += e * e
		}
	}
	return loss / float64(len(t)*d)
}

// TestDSMShortRunApproachesExactScoreLoss trains a small network briefly and
// checks, on a fixed validation batch, that the loss falls from its initial
// value most of the way to the loss of the exact noised score (the minimum
// of the objective).
func TestDSMShortRunApproachesExactScoreLoss(t *testing.T) {
	steps := 400
	if runtime.GOARCH == "wasm" {
		steps = 150
	}
	dcfg := DefaultDSMConfig()
	dcfg.Batch = 128
	dcfg.Adam.LR = 3e-3
	tr := newDSM(t, gmm40MLPConfig(true), dcfg, 3)
	m := gmm40(t)
	rng := rand.New(rand.NewPCG(9, 9))
	n := 2000
	x0, z, tt := make([]float64, 2*n), make([]float64, 2*n), make([]float64, n)
	m.SampleInto(x0, rng)
	for i := range z {
		z[i] = rng.NormFloat64()
	}
	for i := range tt {
		tt[i] = rng.Float64()
	}
	before := tr.Loss(x0, z, tt)
	best := exactDSMLoss(m, gmm40Schedule, x0, z, tt)
	var last DSMStats
	for range steps {
		st, err := tr.Step()
		if err != nil {
			t.Fatal(err)
		}
		last = st
	}
	after := tr.Loss(x0, z, tt)
	t.Logf("validation loss %.4f → %.4f after %d steps (exact score %.4f); last batch loss %.4f, grad norm %.3g, %.2f ms/step",
		before, after, steps, best, last.Loss, last.GradNorm, 1e3*last.Seconds)
	if last.Step != steps || tr.Steps() != steps {
		t.Errorf("step counter %d/%d, want %d", last.Step, tr.Steps(), steps)
	}
	if !(best < after && after < before) {
		t.Fatalf("losses out of order: exact %v, trained %v, initial %v", best, after, before)
	}
	if gap := (after - best) / (before - best); gap > 0.2 {
		t.Errorf("training closed only %.0f%% of the gap to the exact-score loss", 100*(1-gap))
	}
}

func TestDSMStepAllocatesNothing(t *testing.T) {
	dcfg := DefaultDSMConfig()
	dcfg.Batch = 16
	tr := newDSM(t, gmm40MLPConfig(true), dcfg, 4)
	if a := testing.AllocsPerRun(5, func() { tr.Step() }); a != 0 {
		t.Fatalf("%v allocations per step", a)
	}
}

func TestDSMRejectsBadInput(t *testing.T) {
	net, _ := NewMLP(gmm40MLPConfig(true), rand.New(rand.NewPCG(1, 1)))
	rng := rand.New(rand.NewPCG(1, 1))
	m := gmm40(t)
	for name, mod := range map[string]func(*DSMConfig){
		"zero batch":   func(c *DSMConfig) { c.Batch = 0 },
		"t_min 1":      func(c *DSMConfig) { c.TMin = 1 },
		"NaN t_min":    func(c *DSMConfig) { c.TMin = math.NaN() },
		"zero workers": func(c *DSMConfig) { c.Workers = 0 },
		"bad adam":     func(c *DSMConfig) { c.Adam.LR = -1 },
	} {
		c := DefaultDSMConfig()
		mod(&c)
		if _, err := NewDSMTrainer(net, m, gmm40Schedule, c, rng); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	three, _ := NewMLP(MLPConfig{Dim: 3, EmbedSize: 8, Hidden: 4, Blocks: 1, CoordScale: 1, TimeScale: 1, InputScale: 1, OutputScale: 1}, rng)
	if _, err := NewDSMTrainer(three, m, gmm40Schedule, DefaultDSMConfig(), rng); err == nil || !strings.Contains(err.Error(), "dimension") {
		t.Errorf("dimension mismatch: %v", err)
	}
	if _, err := NewDSMTrainer(net, nil, gmm40Schedule, DefaultDSMConfig(), rng); err == nil {
		t.Error("accepted a nil target")
	}
}

func TestDSMDivergedLeavesParameters(t *testing.T) {
	dcfg := DefaultDSMConfig()
	dcfg.Batch = 8
	tr := newDSM(t, gmm40MLPConfig(true), dcfg, 5)
	p := tr.net.Params()
	p[len(p)-1] = math.Inf(1) // output bias: every output infinite
	before := append([]float64(nil), p...)
	_, err := tr.Step()
	var div *DivergedError
	if !errors.As(err, &div) || div.Step != 1 {
		t.Fatalf("error %v, want a DivergedError at step 1", err)
	}
	for i := range p {
		if math.Float64bits(p[i]) != math.Float64bits(before[i]) {
			t.Fatal("a diverged step changed the parameters")
		}
	}
}

// ExampleDSMTrainer trains a small network on exact gmm40 samples by
// denoising score matching for a few hundred steps.
func ExampleDSMTrainer() {
	m, err := targets.NewGMM("gmm40")
	if err != nil {
		panic(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	cfg := MLPConfig{Dim: 2, EmbedSize: 16, Hidden: 24, Blocks: 2,
		CoordScale: 25, TimeScale: 1, InputScale: 1.0 / 50, OutputScale: 1}
	net, err := NewMLP(cfg, rng)
	if err != nil {
		panic(err)
	}
	dcfg := DefaultDSMConfig()
	dcfg.Batch, dcfg.Adam.LR = 128, 3e-3
	tr, err := NewDSMTrainer(net, m, VESchedule{SigmaMin: 5e-4, SigmaMax: 50}, dcfg, rng)
	if err != nil {
		panic(err)
	}
	var first, last float64
	for i := range 300 {
		st, err := tr.Step()
		if err != nil {
			panic(err)
		}
		if i < 20 {
			first += st.Loss / 20
		}
		if i >= 280 {
			last += st.Loss / 20
		}
	}
	fmt.Println("steps:", tr.Steps())
	// The loss cannot fall below 1 − E[σ²‖∇ log p_t‖²]/d ≈ 0.82 (the exact
	// score's value, see TestDSMShortRunApproachesExactScoreLoss).
	fmt.Printf("mean batch loss: first 20 steps %.1f, last 20 steps %.1f\n", first, last)
	// Output:
	// steps: 300
	// mean batch loss: first 20 steps 1.2, last 20 steps 0.9
}
