package live

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"iwsm/sim"
	"iwsm/targets"
)

// Timing of one animated run, in wall-clock seconds at speed 1.
const (
	// flowSeconds is how long the visible part of the flow (σ_t from σ_max
	// down to the target's feature scale) takes on screen.
	flowSeconds = 6.0
	// holdSeconds is how long the finished samples stay on screen before the
	// next run starts from new noise.
	holdSeconds = 1.5
	// trailLength is the number of past positions kept per particle.
	trailLength = 10
	// recolorEvery is the number of steps between updates of each particle's
	// predicted mode.
	recolorEvery = 5
	// historyCap bounds the points kept for the live charts.
	historyCap = 1024
	// fieldCells is the side of the grid of the score-field layer.
	fieldCells = 21
)

// PaneView animates one pane: particles drawn from the prior follow the
// reverse SDE driven by the pane's score (the exact noised score for the
// oracle, the latest network the engine reported otherwise), run after run.
// It keeps what the drawing code needs: trails, the mode each particle is
// heading for, the engine's figures and their history.
type PaneView struct {
	variant string
	target  targets.Target
	box     [2][]float64
	modes   [][]float64
	exact   noisedScorer // nil unless the target is a mixture
	sched   sim.VESchedule
	dim     int
	speed   float64

	net      sim.ScoreNet // the pane's copy of the sampling network; nil for the oracle
	netScore sim.ScoreFunc
	score    sim.ScoreFunc
	sampler  *sim.Sampler

	floorStep int
	started   time.Time
	doneAt    time.Time
	runs      int

	trail     [][]float32
	trailHead int
	trailLen  int
	mode      []int16
	lastColor int
	scratch   []float64
	logpBuf   []float64

	gen      int
	report   Report
	history  []HistoryPoint
	buffer   *sim.Buffer // the last reported buffer sample, for the proposal layer
	proposal []float32
	propRng  *rand.Rand
	field    Field
	fieldAge int

	particles *particleView // nil unless the target is a particle system
}

// noisedScorer is a target whose noised density is closed-form (a Gaussian
// mixture).
type noisedScorer interface {
	NoisedBatch(logp, score, x []float64, sigma float64)
}

// HistoryPoint is one sample of the live charts.
type HistoryPoint struct {
	Seconds  float64 // training seconds
	Step     int
	Loss     float64
	ESS      float64
	Covered  int     // −1 until the first quality check
	W2       float64 // NaN until the first quality check
	EnergyW2 float64 // E-W2 of a particle system; NaN until known and for other targets
}

// Field is the score-field layer: the learned score and the exact one on a
// grid over the box at the animation's current time.
type Field struct {
	Points  []float32 // n×2 grid points
	Learned []float32 // n×2 learned scores
	Exact   []float32 // n×2 exact scores (empty without a closed form)
	Sigma   float64   // σ_t of the field
}

// NewPaneView builds the view of pane (0 or 1) of a state for a target built
// by st.BuildTarget. For a particle system the view animates a few whole
// configurations (particleConfigs) instead of st.Particles points; see
// MoleculesInto.
func NewPaneView(st State, pane int, t targets.Target, now time.Time) (*PaneView, error) {
	variants := st.Variants()
	if pane < 0 || pane >= len(variants) {
		return nil, fmt.Errorf("live: no pane %d", pane)
	}
	v := &PaneView{variant: variants[pane], target: t, dim: t.Dim(), speed: st.Speed,
		propRng: rand.New(rand.NewPCG(st.Seed, 0x9a0e)), gen: -1}
	cfg := st.TrainConfig(t, v.variant)
	var mala sim.MALAConfig // off
	if st.Corrector {
		mala = sim.DefaultMALAConfig(cfg.ScoreClip)
	}
	v.particles = newParticleView(t, cfg.Schedule.SigmaMax, mala, rand.New(rand.NewPCG(st.Seed, 0x3a1a)))
	if b, ok := t.(targets.Bounded); ok {
		v.box[0], v.box[1] = b.Bounds()
	} else if v.particles == nil {
		return nil, fmt.Errorf("live: target %s has no drawing box", t.Name())
	}
	if m, ok := t.(targets.Moder); ok {
		v.modes = m.Modes()
	}
	v.exact, _ = t.(noisedScorer)
	v.sched = cfg.Schedule
	n, d := st.Particles, v.dim
	if v.particles != nil {
		n = v.particles.configs
		st.Steps = particleSteps(v.particles.n, st.Steps)
	}
	v.logpBuf = make([]float64, n)
	v.scratch = make([]float64, n*d)
	if v.variant == "oracle" {
		if v.exact == nil {
			return nil, fmt.Errorf("live: the oracle needs a mixture target, not %s", t.Name())
		}
		v.score = sim.ScoreFuncOf(v.exactScore)
	} else {
		var err error
		switch cfg.Net.Arch {
		case "mlp":
			v.net, err = sim.NewMLP(cfg.Net.MLP, nil)
		case "egnn":
			v.net, err = sim.NewEGNN(cfg.Net.EGNN, nil)
		default:
			err = fmt.Errorf("live: unknown network %q", cfg.Net.Arch)
		}
		if err != nil {
			return nil, err
		}
		v.netScore = sim.NewNetScore(v.net, min(n, 1024))
		v.score = v.netScore
	}
	// σ_t below 5e-4 of the box is invisible on screen: play the flow down to
	// there at the planned pace and fast-forward the rest. A particle system
	// is drawn in a box of about ±σ_max.
	var width float64
	if v.particles != nil {
		width = 2 * cfg.Schedule.SigmaMax
	} else {
		width = math.Max(v.box[1][0]-v.box[0][0], v.box[1][1]-v.box[0][1])
	}
	v.floorStep = st.Steps
	for i := range st.Steps {
		if v.sched.Sigma(1-float64(i)/float64(st.Steps)) < 5e-4*width {
			v.floorStep = i
			break
		}
	}
	sc := cfg.Sampler
	sc.Steps = st.Steps
	sc.Project = targets.MeanFreeProjector(t)
	// Both panes draw the same noise: the same seed, the same stream.
	var err error
	if v.sampler, err = sim.NewSampler(v.score, v.sched, d, n, sc, rand.New(rand.NewPCG(st.Seed, 0x1a2b))); err != nil {
		return nil, err
	}
	v.trail = make([][]float32, trailLength)
	for i := range v.trail {
		v.trail[i] = make([]float32, n*d)
	}
	v.mode = make([]int16, n)
	v.restart(now)
	return v, nil
}

// exactScore is the oracle's score: the closed-form noised mixture.
func (v *PaneView) exactScore(dst, x []float64, t float64) {
	v.exact.NoisedBatch(v.logpBuf[:len(x)/v.dim], dst, x, v.sched.Sigma(t))
}

// Net returns the pane's copy of the sampling network (nil for the oracle).
func (v *PaneView) Net() sim.ScoreNet { return v.net }

// Positions returns the particles' current positions (n×d); the slice is the
// sampler's own.
func (v *PaneView) Positions() []float64 { return v.sampler.Positions() }

// Variant returns the pane's variant.
func (v *PaneView) Variant() string { return v.variant }

// Target returns the pane's target.
func (v *PaneView) Target() targets.Target { return v.target }

// Modes returns the target's mode centres (nil if it has none).
func (v *PaneView) Modes() [][]float64 { return v.modes }

// Bounds returns the drawing box.
func (v *PaneView) Bounds() (lo, hi []float64) { return v.box[0], v.box[1] }

// Report returns the latest report of the engine for this pane.
func (v *PaneView) Report() Report { return v.report }

// History returns the chart points; the slice is the view's own.
func (v *PaneView) History() []HistoryPoint { return v.history }

// Apply takes a report of the engine: new network parameters go into the
// pane's copy at once (the particles in flight follow the newest network),
// figures into the history. Reports of an older reset are ignored.
func (v *PaneView) Apply(r Report) {
	if r.Gen < v.gen {
		return
	}
	v.gen = r.Gen
	if r.Params != nil && v.net != nil {
		if len(r.Params) != len(v.net.Params()) {
			r.Err = fmt.Sprintf("network with %d parameters, want %d", len(r.Params), len(v.net.Params()))
		} else {
			copy(v.net.Params(), r.Params)
		}
	}
	if r.Buffer == nil {
		r.Buffer = v.report.Buffer
	} else if n := len(r.Buffer) / v.dim; n > 0 && v.particles == nil { // the proposal layer is 2-D only
		v.buffer, _ = sim.NewBuffer(v.dim, n, 0, targets.EffectiveDimOf(v.target), targets.MeanFreeProjector(v.target))
		rows := make([]float64, len(r.Buffer))
		for i, x := range r.Buffer {
			rows[i] = float64(x)
		}
		v.buffer.Push(rows)
	}
	if r.Batch == nil {
		r.Batch, r.Weights = v.report.Batch, v.report.Weights
	}
	v.report = r
	if r.Step > 0 || r.Eval != nil {
		v.record(r)
	}
}

// record appends a chart point, at most one per half second of training,
// halving the history's resolution when it is full.
func (v *PaneView) record(r Report) {
	p := HistoryPoint{Seconds: r.Seconds, Step: r.Step, Loss: r.Loss, ESS: r.ESS, Covered: -1, W2: math.NaN(), EnergyW2: math.NaN()}
	if r.Eval != nil {
		p.Covered, p.W2 = r.Eval.Covered, r.Eval.W2
		if v.particles != nil {
			p.EnergyW2 = r.Eval.EnergyW2
		}
	}
	if n := len(v.history); n > 0 {
		last := &v.history[n-1]
		sameEW2 := last.EnergyW2 == p.EnergyW2 || math.IsNaN(last.EnergyW2) && math.IsNaN(p.EnergyW2)
		if p.Seconds-last.Seconds < 0.5 && (r.Eval == nil || last.Covered == p.Covered && last.W2 == p.W2 && sameEW2) {
			return
		}
	}
	if len(v.history) >= historyCap {
		k := 0
		for i := 0; i < len(v.history); i += 2 {
			v.history[k] = v.history[i]
			k++
		}
		v.history = v.history[:k]
	}
	v.history = append(v.history, p)
}

// restart draws new prior noise and clears the trails.
func (v *PaneView) restart(now time.Time) {
	v.sampler.Reset()
	v.started, v.doneAt = now, time.Time{}
	v.trailLen, v.trailHead = 0, 0
	for i := range v.mode {
		v.mode[i] = -1
	}
	v.lastColor = -recolorEvery
	if v.particles != nil {
		v.particles.clear()
	}
	v.pushTrail()
}

// Restart begins a new run from new noise now.
func (v *PaneView) Restart(now time.Time) { v.restart(now) }

// Advance moves the run forward to where the clock says it should be, doing
// at most budget worth of work so that a frame is never late by much. At
// t = 0 the samples are held for a moment, then a new run starts.
func (v *PaneView) Advance(now time.Time, budget time.Duration) {
	if v.sampler.Done() {
		if now.Sub(v.doneAt).Seconds() >= holdSeconds/v.speed {
			v.runs++
			v.restart(now)
		}
		return
	}
	elapsed := now.Sub(v.started).Seconds() * v.speed
	want := v.sampler.Steps()
	if elapsed < flowSeconds {
		want = int(math.Ceil(elapsed / flowSeconds * float64(v.floorStep)))
	}
	v.advanceTo(want, now, now.Add(budget))
}

// StepOnce takes a single SDE step (for stepping by hand while paused).
func (v *PaneView) StepOnce(now time.Time) {
	if v.sampler.Done() {
		v.runs++
		v.restart(now)
		return
	}
	v.advanceTo(v.sampler.StepIndex()+1, now, now.Add(time.Hour))
}

func (v *PaneView) advanceTo(want int, now, deadline time.Time) {
	moved := false
	for v.sampler.StepIndex() < want {
		v.sampler.Step()
		moved = true
		if v.sampler.StepIndex()-v.lastColor >= recolorEvery {
			v.recolor()
		}
		if time.Now().After(deadline) {
			break
		}
	}
	if moved {
		if v.sampler.Done() {
			v.recolor()
			v.doneAt = now
			if v.particles != nil {
				v.particles.hold(v.sampler.Positions())
			}
		}
		v.pushTrail()
		v.fieldAge++
	}
}

// recolor predicts the mode each particle ends in: the nearest mode to the
// Tweedie estimate E[x_0 | x_t] = x_t + σ_t² s(x_t, t) with the pane's score.
func (v *PaneView) recolor() {
	v.lastColor = v.sampler.StepIndex()
	if len(v.modes) == 0 {
		return
	}
	x := v.sampler.Positions()
	t := v.sampler.Time()
	v.score.Score(v.scratch, x, t)
	h := v.sched.H(t)
	d := v.dim
	for i := range v.mode {
		best, bestD := -1, math.Inf(1)
		for k, m := range v.modes {
			var r2 float64
			for j := range d {
				e := x[i*d+j] + h*v.scratch[i*d+j] - m[j]
				r2 += e * e
			}
			if r2 < bestD {
				best, bestD = k, r2
			}
		}
		v.mode[i] = int16(best)
	}
}

// pushTrail records the current positions as the newest trail entry.
func (v *PaneView) pushTrail() {
	v.trailHead = (v.trailHead + 1) % trailLength
	dst := v.trail[v.trailHead]
	for i, x := range v.sampler.Positions() {
		dst[i] = float32(x)
	}
	v.trailLen = min(v.trailLen+1, trailLength)
}

// Snapshot is a copy of what the drawing code needs from a pane.
type Snapshot struct {
	Variant   string
	T         float64     // current diffusion time t ∈ [0, 1]
	Sigma     float64     // σ_t
	Step      int         // SDE steps taken in this run
	Steps     int         // SDE steps per run
	Runs      int         // completed runs
	Particles int         // number of particles
	Dim       int         // coordinates per particle
	Trail     [][]float32 // past positions, oldest first; the last entry is the current one
	Mode      []int16     // predicted final mode per particle, −1 if unknown
	Holding   bool        // the run has finished and its samples are on show
	NonFinite int         // score entries the sampler had to drop this run
}

// SnapshotInto copies the pane's animation state into snap, reusing its
// buffers.
func (v *PaneView) SnapshotInto(snap *Snapshot) {
	snap.Variant = v.variant
	snap.T, snap.Step, snap.Steps = v.sampler.Time(), v.sampler.StepIndex(), v.sampler.Steps()
	snap.Sigma = v.sched.Sigma(snap.T)
	snap.Runs, snap.Particles, snap.Dim = v.runs, v.sampler.Len(), v.dim
	snap.Holding, snap.NonFinite = v.sampler.Done(), v.sampler.NonFinite
	if cap(snap.Trail) < v.trailLen {
		snap.Trail = make([][]float32, 0, trailLength)
	}
	snap.Trail = snap.Trail[:v.trailLen]
	for k := range v.trailLen {
		src := v.trail[(v.trailHead-v.trailLen+1+k+trailLength)%trailLength]
		snap.Trail[k] = append(snap.Trail[k][:0], src...)
	}
	snap.Mode = append(snap.Mode[:0], v.mode...)
}

// Proposal returns points drawn from the proposal p_Bt at the animation's
// current time: the reported buffer sample, each row noised by σ_t.
func (v *PaneView) Proposal() []float32 {
	if v.buffer == nil || v.buffer.Len() == 0 {
		return nil
	}
	sigma := v.sched.Sigma(v.sampler.Time())
	n := v.buffer.Len()
	if cap(v.proposal) < n*v.dim {
		v.proposal = make([]float32, n*v.dim)
	}
	v.proposal = v.proposal[:n*v.dim]
	x := make([]float64, v.dim)
	for i := range n {
		v.buffer.SampleNoised(x, sigma, v.propRng)
		for j, c := range x {
			v.proposal[i*v.dim+j] = float32(c)
		}
	}
	return v.proposal
}

// ScoreField returns the learned and the exact score on a grid over the box
// at the animation's current time, recomputed every few SDE steps.
func (v *PaneView) ScoreField() Field {
	if v.dim != 2 || (len(v.field.Points) > 0 && v.fieldAge < 3) {
		return v.field
	}
	v.fieldAge = 0
	n := fieldCells * fieldCells
	pts := make([]float64, 2*n)
	for r := range fieldCells {
		for c := range fieldCells {
			i := r*fieldCells + c
			pts[2*i] = v.box[0][0] + (float64(c)+0.5)/fieldCells*(v.box[1][0]-v.box[0][0])
			pts[2*i+1] = v.box[0][1] + (float64(r)+0.5)/fieldCells*(v.box[1][1]-v.box[0][1])
		}
	}
	t := v.sampler.Time()
	learned := make([]float64, 2*n)
	v.score.Score(learned, pts, t)
	f := Field{Points: toFloat32(pts), Learned: toFloat32(learned), Sigma: v.sched.Sigma(t)}
	if v.exact != nil {
		exact := make([]float64, 2*n)
		v.exact.NoisedBatch(make([]float64, n), exact, pts, f.Sigma)
		f.Exact = toFloat32(exact)
	}
	v.field = f
	return f
}

// LogDensityGrid evaluates log π̃ of a 2-D target on a w×h grid over the box
// [lo, hi] (cell centres, row 0 at the top, i.e. at hi[1]) into dst (w·h).
func LogDensityGrid(dst []float64, tg targets.Target, lo, hi []float64, w, h int) {
	if tg.Dim() != 2 || len(dst) != w*h {
		panic("live: density grid needs a 2-D target and w·h cells")
	}
	x := make([]float64, 2*w)
	for r := range h {
		y := hi[1] - (float64(r)+0.5)/float64(h)*(hi[1]-lo[1])
		for c := range w {
			x[2*c] = lo[0] + (float64(c)+0.5)/float64(w)*(hi[0]-lo[0])
			x[2*c+1] = y
		}
		targets.LogProbScoreBatch(tg, dst[r*w:(r+1)*w], nil, x)
	}
}
