package live

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"iwsm/sim"
	"iwsm/targets"
)

// Timing of one animated run, in wall-clock seconds.
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
)

// noisedScorer is a target whose noised density is closed-form (a Gaussian
// mixture); the oracle view drives the sampler with its exact score.
type noisedScorer interface {
	NoisedBatch(logp, score, x []float64, sigma float64)
}

// noiseHinter is a target that suggests its own noise schedule.
type noiseHinter interface {
	NoiseHint() (sigmaMin, sigmaMax float64)
}

// Session is one live run of the app: a target, the reverse-SDE sampler
// driven by a score, and what the drawing code needs (trails, the predicted
// mode of every particle). It advances within a time budget per frame.
type Session struct {
	state   State
	target  targets.Target
	bounded targets.Bounded
	modes   [][]float64
	sched   sim.VESchedule
	score   sim.ScoreFunc
	sampler *sim.Sampler
	rng     *rand.Rand

	floorStep int       // first step whose σ_t is below the feature scale
	started   time.Time // wall-clock start of the current run
	doneAt    time.Time // when the current run reached t = 0
	runs      int       // completed runs

	trail     [][]float32 // ring of past positions, trailLength × n·d
	trailHead int         // index of the newest entry
	trailLen  int         // filled entries
	mode      []int16     // predicted final mode of every particle, −1 if none
	lastColor int         // sampler step at the last recolouring
	scratch   []float64   // n×d scratch for the denoised estimate
	logpBuf   []float64   // n scratch for the oracle's densities
}

// NewSession builds the oracle view for a state: particles start from the
// prior N(0, h(1) I) and follow the reverse SDE driven by the exact noised
// score of the target.
func NewSession(st State, now time.Time) (*Session, error) {
	tg, err := targets.Lookup(st.Target)
	if err != nil {
		return nil, err
	}
	ns, ok := tg.(noisedScorer)
	if !ok {
		return nil, fmt.Errorf("live: target %s has no closed-form noised score for the oracle view", st.Target)
	}
	b, ok := tg.(targets.Bounded)
	if !ok || tg.Dim() != 2 {
		return nil, fmt.Errorf("live: target %s is not a bounded 2-D target", st.Target)
	}
	s := &Session{state: st, target: tg, bounded: b}
	if m, ok := tg.(targets.Moder); ok {
		s.modes = m.Modes()
	}
	lo, hi := b.Bounds()
	width := math.Max(hi[0]-lo[0], hi[1]-lo[1])
	s.sched = sim.VESchedule{SigmaMin: 1e-5 * width, SigmaMax: width / 2}
	if h, ok := tg.(noiseHinter); ok {
		s.sched.SigmaMin, s.sched.SigmaMax = h.NoiseHint()
	}
	n, d := st.Particles, tg.Dim()
	s.logpBuf = make([]float64, n)
	s.scratch = make([]float64, n*d)
	s.score = sim.ScoreFuncOf(func(dst, x []float64, t float64) {
		ns.NoisedBatch(s.logpBuf[:len(x)/d], dst, x, s.sched.Sigma(t))
	})
	// σ_t below 5e-4 of the box is invisible on screen: play the flow down to
	// there at the planned pace and fast-forward the rest.
	featureSigma := 5e-4 * width
	s.floorStep = st.Steps
	for i := range st.Steps {
		if s.sched.Sigma(1-float64(i)/float64(st.Steps)) < featureSigma {
			s.floorStep = i
			break
		}
	}
	s.rng = rand.New(rand.NewPCG(st.Seed, 0x1a2b))
	cfg := sim.DefaultSamplerConfig()
	cfg.Steps = st.Steps
	s.sampler, err = sim.NewSampler(s.score, s.sched, d, n, cfg, s.rng)
	if err != nil {
		return nil, err
	}
	s.trail = make([][]float32, trailLength)
	for i := range s.trail {
		s.trail[i] = make([]float32, n*d)
	}
	s.mode = make([]int16, n)
	s.restart(now)
	return s, nil
}

// restart draws new prior noise and clears the trails.
func (s *Session) restart(now time.Time) {
	s.sampler.Reset()
	s.started, s.doneAt = now, time.Time{}
	s.trailLen, s.trailHead = 0, 0
	for i := range s.mode {
		s.mode[i] = -1
	}
	s.lastColor = -recolorEvery
	s.pushTrail()
}

// Advance moves the run forward to where the clock says it should be, doing
// at most budget worth of work so that a frame is never late by much.
func (s *Session) Advance(now time.Time, budget time.Duration) {
	if s.sampler.Done() {
		if now.Sub(s.doneAt).Seconds() >= holdSeconds {
			s.runs++
			s.restart(now)
		}
		return
	}
	elapsed := now.Sub(s.started).Seconds()
	want := s.sampler.Steps()
	if elapsed < flowSeconds {
		want = int(math.Ceil(elapsed / flowSeconds * float64(s.floorStep)))
	}
	deadline := now.Add(budget)
	moved := false
	for s.sampler.StepIndex() < want {
		s.sampler.Step()
		moved = true
		if s.sampler.StepIndex()-s.lastColor >= recolorEvery {
			s.recolor()
		}
		if time.Now().After(deadline) {
			break
		}
	}
	if moved {
		if s.sampler.Done() {
			s.recolor()
			s.doneAt = now
		}
		s.pushTrail()
	}
}

// recolor predicts the mode each particle ends in: the nearest mode to the
// Tweedie estimate E[x_0 | x_t] = x_t + σ_t² ∇ log p_t(x_t).
func (s *Session) recolor() {
	s.lastColor = s.sampler.StepIndex()
	if len(s.modes) == 0 {
		return
	}
	x := s.sampler.Positions()
	t := s.sampler.Time()
	s.score.Score(s.scratch, x, t)
	h := s.sched.H(t)
	d := s.target.Dim()
	for i := range s.mode {
		best, bestD := -1, math.Inf(1)
		for k, m := range s.modes {
			var r2 float64
			for j := range d {
				e := x[i*d+j] + h*s.scratch[i*d+j] - m[j]
				r2 += e * e
			}
			if r2 < bestD {
				best, bestD = k, r2
			}
		}
		s.mode[i] = int16(best)
	}
}

// pushTrail records the current positions as the newest trail entry.
func (s *Session) pushTrail() {
	s.trailHead = (s.trailHead + 1) % trailLength
	dst := s.trail[s.trailHead]
	for i, v := range s.sampler.Positions() {
		dst[i] = float32(v)
	}
	s.trailLen = min(s.trailLen+1, trailLength)
}

// Snapshot is an immutable copy of what the drawing code needs from a session.
type Snapshot struct {
	T         float64     // current diffusion time t ∈ [0, 1]
	Step      int         // SDE steps taken in this run
	Steps     int         // SDE steps per run
	Runs      int         // completed runs
	Particles int         // number of particles
	Dim       int         // coordinates per particle (2)
	Trail     [][]float32 // past positions, oldest first; the last entry is the current one
	Mode      []int16     // predicted final mode per particle, −1 if unknown
	Holding   bool        // the run has finished and its samples are on show
}

// SnapshotInto copies the session's state into snap, reusing its buffers.
func (s *Session) SnapshotInto(snap *Snapshot) {
	snap.T, snap.Step, snap.Steps = s.sampler.Time(), s.sampler.StepIndex(), s.sampler.Steps()
	snap.Runs, snap.Particles, snap.Dim = s.runs, s.sampler.Len(), s.sampler.Dim()
	snap.Holding = s.sampler.Done()
	if cap(snap.Trail) < s.trailLen {
		snap.Trail = make([][]float32, 0, trailLength)
	}
	snap.Trail = snap.Trail[:s.trailLen]
	for k := range s.trailLen {
		src := s.trail[(s.trailHead-s.trailLen+1+k+trailLength)%trailLength]
		snap.Trail[k] = append(snap.Trail[k][:0], src...)
	}
	snap.Mode = append(snap.Mode[:0], s.mode...)
}

// Target returns the session's target.
func (s *Session) Target() targets.Target { return s.target }

// Modes returns the target's mode centres (nil if it has none).
func (s *Session) Modes() [][]float64 { return s.modes }

// Bounds returns the drawing box of the target.
func (s *Session) Bounds() (lo, hi []float64) { return s.bounded.Bounds() }

// State returns the settings the session was built from.
func (s *Session) State() State { return s.state }

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
