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
	st := DefaultStateFor("dw4")
	st.Steps = 10
	v := newParticleTestView(t, st)
	if !v.IsParticleSystem() {
		t.Fatal("dw4 view is not a particle view")
	}
	var m Molecules
	v.MoleculesInto(&m)
	if m.Holding || m.Particles != 4 || m.SpatialDim != 2 || m.Configs != smallSystemConfigs || m.Shown != shownConfigs ||
		len(m.X) != m.Configs*8 || !(m.Extent > 0) {
		t.Fatalf("fresh view: %+v", m)
	}
	now := playToHold(t, v, time.Unix(0, 0), &m)
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

// newParticleTestView builds pane 0's view of st (a particle system) with a
// random network (seed 3) applied.
func newParticleTestView(t *testing.T, st State) *PaneView {
	t.Helper()
	tg, err := st.BuildTarget()
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewPaneView(st, 0, tg, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	net, err := sim.NewEGNN(st.TrainConfig(tg, "iwsm").Net.EGNN, rand.New(rand.NewPCG(3, 4)))
	if err != nil {
		t.Fatal(err)
	}
	v.Apply(Report{Gen: 1, Params: net.Params()})
	if v.Report().Err != "" {
		t.Fatal(v.Report().Err)
	}
	return v
}

// playToHold plays v's run on a fake clock from now, at 60 frames a second,
// to its hold, waits for the reference histograms (loaded in the
// background), fills m and returns the clock.
func playToHold(t *testing.T, v *PaneView, now time.Time, m *Molecules) time.Time {
	t.Helper()
	for frames := 0; !v.sampler.Done(); frames++ {
		if frames > 60*(flowSeconds+2) {
			t.Fatalf("run not finished after %d frames", frames)
		}
		now = now.Add(time.Second / 60)
		v.Advance(now, time.Hour)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		v.MoleculesInto(m)
		if m.Energy.Ref != nil || time.Now().After(deadline) {
			return now
		}
	}
}

// runParticleViewToHold plays one run of a particle view of st and returns
// its figures at the hold.
func runParticleViewToHold(t *testing.T, st State) Molecules {
	t.Helper()
	var m Molecules
	playToHold(t, newParticleTestView(t, st), time.Unix(0, 0), &m)
	if !m.Holding || m.Energy.Ref == nil {
		t.Fatalf("holding %v, reference histogram %v", m.Holding, m.Energy.Ref != nil)
	}
	return m
}

// TestParticleViewCorrector: with the corrector on, the same run's samples
// (same seed, same network) are relaxed at the hold: energies inside the
// reference set's range where the sampler's lay mostly beyond it, every
// configuration still mean-free, and the acceptance near MALA's target.
func TestParticleViewCorrector(t *testing.T) {
	st := DefaultStateFor("dw4")
	st.Steps = 10
	plain := runParticleViewToHold(t, st)
	st.Corrector = true
	relaxed := runParticleViewToHold(t, st)
	inRange := func(m Molecules) (share float64) {
		for _, e := range m.Energies {
			if e >= m.Energy.Lo && e <= m.Energy.Hi {
				share++
			}
		}
		return share / float64(len(m.Energies))
	}
	t.Logf("energies within the reference's range: %.2f without the corrector, %.2f with it (acceptance %.2f)",
		inRange(plain), inRange(relaxed), relaxed.Acceptance)
	if plain.Corrector != 0 || relaxed.Corrector != sim.DefaultMALAConfig(0).Steps || relaxed.CorrectorErr != "" {
		t.Fatalf("corrector steps %d and %d, error %q", plain.Corrector, relaxed.Corrector, relaxed.CorrectorErr)
	}
	if !(inRange(plain) < 0.5 && inRange(relaxed) >= 0.9) {
		t.Errorf("share of energies within the reference's range: %.2f without the corrector, %.2f with it; want < 0.5 and ≥ 0.9",
			inRange(plain), inRange(relaxed))
	}
	if !(relaxed.Acceptance > 0.4 && relaxed.Acceptance < 0.75) {
		t.Errorf("acceptance %.3f, want near 0.574", relaxed.Acceptance)
	}
	for c := range relaxed.Configs {
		var cx, cy float64
		for i := range 4 {
			cx += float64(relaxed.X[c*8+2*i])
			cy += float64(relaxed.X[c*8+2*i+1])
		}
		if math.Hypot(cx, cy)/4 > 1e-5 { // X is float32
			t.Fatalf("configuration %d has its centre of mass at (%g, %g)", c, cx/4, cy/4)
		}
	}
	for _, e := range relaxed.Energies {
		if math.IsNaN(e) || math.IsInf(e, 0) {
			t.Fatalf("non-finite energy %v after the corrector", e)
		}
	}
}

// TestCorrectorOnlyForParticles: the corrector setting is refused, with a
// warning, on a 2-D target, and dropped when the target changes to one.
func TestCorrectorOnlyForParticles(t *testing.T) {
	s, w := Decode("target=dw4&corrector=1")
	if !s.Corrector || len(w) != 0 {
		t.Fatalf("dw4 with the corrector: %v, warnings %v", s.Corrector, w)
	}
	if got, _ := Decode(s.Encode()); !got.Corrector {
		t.Fatal("the corrector did not round-trip")
	}
	if s2, w := Decode("target=rings&corrector=1"); s2.Corrector || len(w) != 1 || !strings.Contains(w[0], "particle systems") {
		t.Fatalf("rings with the corrector: %v, warnings %v", s2.Corrector, w)
	}
	if s.WithTarget("gmm40").Corrector || !s.WithTarget("lj13").Corrector {
		t.Fatal("WithTarget: the corrector should go on a 2-D target and stay on a particle system")
	}
}
