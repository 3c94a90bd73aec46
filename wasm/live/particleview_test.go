package live

import (
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"iwsm/sim"
	"iwsm/targets"
)

// TestEngineTrainsDW4 trains DW-4 (the EGNN) a few steps through the
// goroutine host and waits for a quality check with finite x-W2 and E-W2.
func TestEngineTrainsDW4(t *testing.T) {
	old := particleEvalSamples
	particleEvalSamples.small = 32
	defer func() { particleEvalSamples = old }()

	st := fastState()
	st.Target = "dw4"
	tg, err := st.BuildTarget()
	if err != nil {
		t.Fatal(err)
	}
	cfg := st.TrainConfig(tg, "iwsm")
	if cfg.Net.Arch != "egnn" || cfg.K != st.K || cfg.Groups*cfg.GroupSize != st.Batch || cfg.BufferSize != st.Buffer ||
		cfg.Sampler.Steps > particleRefreshSteps || cfg.RefreshSize > particleRefreshSize {
		t.Fatalf("dw4 train config %+v", cfg)
	}
	h := NewGoroutineHost(nil)
	defer h.Close()
	h.Send(Command{Kind: "reset", State: st.Encode(), Running: true})
	r := waitFor(t, h, 60*time.Second, func(r Report) bool {
		return r.Step >= 3 && r.Eval != nil && !math.IsNaN(r.Eval.W2) && !math.IsNaN(r.Eval.EnergyW2)
	})
	if math.IsNaN(r.Loss) || math.IsInf(r.Loss, 0) || math.IsNaN(r.ESS) {
		t.Fatalf("loss %v, nESS %v", r.Loss, r.ESS)
	}
	ev := r.Eval
	if ev.N != 32 || math.IsInf(ev.W2, 0) || math.IsInf(ev.EnergyW2, 0) || !(ev.DistTV >= 0 && ev.DistTV <= 1) || ev.Modes != 0 {
		t.Fatalf("evaluation %+v", ev)
	}
}

// TestEngineParticlesNoPretrained: a particle system has no shipped network;
// the pane says so and trains from scratch, without an error.
func TestEngineParticlesNoPretrained(t *testing.T) {
	st := fastState()
	st.Target, st.Pretrained = "dw4", true
	e := NewEngine(func(string) ([]byte, error) { return nil, os.ErrNotExist })
	defer e.close()
	if err := e.Handle(Command{Kind: "reset", State: st.Encode()}); err != nil {
		t.Fatal(err)
	}
	r := e.Reports()[0]
	if r.Err != "" || r.Note != "no pretrained network for dw4 iwsm: training from scratch" {
		t.Fatalf("report err %q, note %q", r.Err, r.Note)
	}
	st.Target = "lj13"
	if err := e.Handle(Command{Kind: "reset", State: st.Encode()}); err != nil {
		t.Fatal(err)
	}
	if r := e.Reports()[0]; r.Err != "" || !strings.Contains(r.Note, "from scratch (the EGNN on these particles takes seconds per step)") {
		t.Fatalf("lj13: err %q, note %q", r.Err, r.Note)
	}
}

// TestParticleViewRun plays a whole DW-4 run with a random network on a
// fake clock: the configurations stay mean-free, and at the hold the
// energies, distances and histograms are complete and finite.
func TestParticleViewRun(t *testing.T) {
	st := DefaultState()
	st.Target, st.Steps = "dw4", 10
	tg, err := st.BuildTarget()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(0, 0)
	v, err := NewPaneView(st, 0, tg, now)
	if err != nil {
		t.Fatal(err)
	}
	if !v.IsParticleSystem() {
		t.Fatal("dw4 view is not a particle view")
	}
	cfg := st.TrainConfig(tg, "iwsm")
	net, err := sim.NewEGNN(cfg.Net.EGNN, rand.New(rand.NewPCG(3, 4)))
	if err != nil {
		t.Fatal(err)
	}
	v.Apply(Report{Gen: 1, Params: net.Params()})
	if v.Report().Err != "" {
		t.Fatal(v.Report().Err)
	}
	var m Molecules
	v.MoleculesInto(&m)
	if m.Holding || m.Particles != 4 || m.SpatialDim != 2 || m.Configs != smallSystemConfigs || m.Shown != shownConfigs ||
		len(m.X) != m.Configs*8 || !(m.Extent > 0) {
		t.Fatalf("fresh view: %+v", m)
	}
	for frames := 0; !v.sampler.Done(); frames++ {
		if frames > 60*(flowSeconds+2) {
			t.Fatalf("run not finished after %d frames", frames)
		}
		now = now.Add(time.Second / 60)
		v.Advance(now, time.Hour)
	}
	// Wait for the reference histograms (loaded in the background).
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		v.MoleculesInto(&m)
		if m.Energy.Ref != nil || time.Now().After(deadline) {
			break
		}
	}
	if !m.Holding || m.Energy.Ref == nil || m.Distance.Ref == nil {
		t.Fatalf("finished run: holding %v, reference histograms %v %v", m.Holding, m.Energy.Ref != nil, m.Distance.Ref != nil)
	}
	x := v.Positions()
	for c := range m.Configs {
		var cx, cy float64
		for i := range 4 {
			cx += x[c*8+2*i]
			cy += x[c*8+2*i+1]
		}
		if math.Hypot(cx, cy)/4 >= 1e-9 {
			t.Fatalf("configuration %d has its centre of mass at (%g, %g)", c, cx/4, cy/4)
		}
	}
	pairs := targets.NumPairs(4)
	if len(m.Energies) != m.Configs || len(m.Distances) != m.Configs*pairs {
		t.Fatalf("%d energies, %d distances", len(m.Energies), len(m.Distances))
	}
	for _, e := range append(append([]float64(nil), m.Energies...), m.Distances...) {
		if math.IsNaN(e) || math.IsInf(e, 0) {
			t.Fatalf("non-finite energy or distance %v", e)
		}
	}
	sum := func(c []int) (s int) {
		for _, n := range c {
			s += n
		}
		return s
	}
	if sum(m.Energy.Counts) != m.Configs || sum(m.Distance.Counts) != m.Configs*pairs {
		t.Fatalf("histogram counts sum to %d and %d, want %d and %d", sum(m.Energy.Counts), sum(m.Distance.Counts), m.Configs, m.Configs*pairs)
	}
	var share float64
	for _, s := range m.Energy.Ref {
		share += s
	}
	if !(share > 0.9 && share <= 1+1e-9) || !(m.Energy.Lo < m.Energy.Hi) || m.Distance.Lo != 0 || !(m.Distance.Hi > 0) {
		t.Fatalf("energy histogram over [%v, %v] holds %v of the reference; distances over [%v, %v]", m.Energy.Lo, m.Energy.Hi, share, m.Distance.Lo, m.Distance.Hi)
	}

	// After the hold a new run starts from new noise, without figures.
	now = now.Add(time.Duration(holdSeconds*float64(time.Second)) + time.Millisecond)
	v.Advance(now, time.Hour)
	v.MoleculesInto(&m)
	if m.Holding || m.Energies != nil || m.Energy.Counts != nil || m.Energy.Ref == nil {
		t.Fatalf("new run: holding %v, %d energies, counts %v", m.Holding, len(m.Energies), m.Energy.Counts)
	}
	var snap Snapshot
	v.SnapshotInto(&snap)
	if snap.Runs != 1 || snap.Particles != m.Configs || snap.Dim != 8 {
		t.Fatalf("snapshot: runs %d, %d particles of dim %d", snap.Runs, snap.Particles, snap.Dim)
	}
	if f := v.ScoreField(); len(f.Points) != 0 {
		t.Fatal("a particle system has a score field")
	}
}

// TestParticleViewLJ13 builds the LJ-13 view: 3-D configurations, fewer of
// them, and fewer SDE steps.
func TestParticleViewLJ13(t *testing.T) {
	st := DefaultState()
	st.Target, st.Method, st.Compare = "lj13", "iwsm", "idem"
	tg, err := st.BuildTarget()
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewPaneView(st, 1, tg, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var m Molecules
	v.MoleculesInto(&m)
	if m.Particles != 13 || m.SpatialDim != 3 || m.Configs != largeSystemConfigs || len(m.X) != m.Configs*39 || v.sampler.Steps() != largeSystemSteps {
		t.Fatalf("lj13 view: %d particles in %d-D, %d configurations, %d steps", m.Particles, m.SpatialDim, m.Configs, v.sampler.Steps())
	}
	var snap Snapshot
	v.SnapshotInto(&snap)
	if snap.Variant != "idem" || snap.Particles != largeSystemConfigs {
		t.Fatalf("snapshot %+v", snap)
	}
}

func TestHistogramBins(t *testing.T) {
	c := counts([]float64{-5, 0, 0.5, 1, 7, math.Inf(1), math.NaN()}, 0, 1)
	if c[0] != 2 || c[histogramBins/2] != 1 || c[histogramBins-1] != 4 {
		t.Fatalf("counts %v", c)
	}
	if lo, hi := finiteRange([]float64{math.Inf(1), 2, math.NaN()}); lo != 1.5 || hi != 2.5 {
		t.Fatalf("range [%v, %v]", lo, hi)
	}
}

// TestParticleViewReferenceMissing: without a reference set the view says
// why and draws no outline; a later view tries again.
func TestParticleViewReferenceMissing(t *testing.T) {
	resetCache := func() {
		refCache.mu.Lock()
		refCache.m = nil
		refCache.mu.Unlock()
	}
	resetCache()
	t.Cleanup(resetCache)
	targets.SetReferenceLoader(func(string) ([]byte, error) { return nil, os.ErrNotExist })
	st := DefaultState()
	st.Target = "dw4"
	tg, _ := st.BuildTarget()
	poll := func(ok func(m *Molecules) bool) *Molecules {
		v, err := NewPaneView(st, 0, tg, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		var m Molecules
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if v.MoleculesInto(&m); ok(&m) {
				return &m
			}
		}
		t.Fatalf("molecules %+v", m)
		return nil
	}
	m := poll(func(m *Molecules) bool { return m.RefErr != "" })
	if m.Energy.Ref != nil || m.Extent != 3 {
		t.Fatalf("without a reference: outline %v, extent %v", m.Energy.Ref, m.Extent)
	}
	targets.SetReferenceLoader(nil)
	m = poll(func(m *Molecules) bool { return m.Energy.Ref != nil })
	if m.RefErr != "" || !(m.Radius > 0) || m.Bond != 0 {
		t.Fatalf("with the reference: err %q, radius %v, bond %v", m.RefErr, m.Radius, m.Bond)
	}
}
