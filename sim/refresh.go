package sim

import (
	"fmt"
	"math/rand/v2"
	"runtime"
)

// initBuffer fills the replay buffer before the first step: defensive
// samples, then RefreshSize samples of the prior or of the reverse SDE driven
// by the Monte Carlo score (cfg.InitBuffer).
func (tr *Trainer) initBuffer() error {
	tr.redrawDefensive()
	n, d := tr.cfg.RefreshSize, tr.dim
	switch tr.cfg.InitBuffer {
	case "prior":
		x := make([]float64, n*d)
		sd := tr.cfg.Schedule.PriorStd()
		for i := range x {
			x[i] = sd * tr.rng.NormFloat64()
		}
		if tr.project != nil {
			tr.project(x)
		}
		tr.buf.Push(x)
	case "mc":
		mc := newMCScore(tr)
		cfg := tr.cfg.Sampler
		cfg.Steps = tr.cfg.InitSteps
		cfg.Project = tr.project
		s, err := NewSampler(mc, tr.cfg.Schedule, d, n, cfg, tr.rng)
		if err != nil {
			return err
		}
		s.Run()
		tr.evals += mc.evals
		if skipped := tr.buf.Push(s.Positions()); skipped == n {
			return fmt.Errorf("sim: every initial sample was non-finite")
		}
	}
	return nil
}

// Refresh generates RefreshSize samples with the current network, corrects
// them with RefreshMALA MALA steps if set, pushes them into the buffer (the
// oldest go) and redraws the defensive samples.
// Step calls it every RefreshEvery steps.
func (tr *Trainer) Refresh() error {
	x, err := tr.Sample(tr.cfg.RefreshSize, tr.rng)
	if err != nil {
		return err
	}
	if steps := tr.cfg.RefreshMALA; steps > 0 {
		mala := DefaultMALAConfig(tr.cfg.ScoreClip)
		mala.Steps = steps
		if _, err := MALA(tr.target, x, mala, tr.rng); err != nil {
			return err
		}
		tr.evals += int64(steps+1) * int64(tr.cfg.RefreshSize)
	}
	if skipped := tr.buf.Push(x); skipped > 0 && skipped == tr.cfg.RefreshSize {
		return fmt.Errorf("sim: refresh at step %d: every sample was non-finite", tr.step)
	}
	tr.redrawDefensive()
	return nil
}

// Sample draws n samples (n×d) from the sampling network (SamplingNet) with
// the reverse SDE of cfg.Sampler. It must not run concurrently with Step.
func (tr *Trainer) Sample(n int, rng *rand.Rand) ([]float64, error) {
	return tr.SampleWith(n, tr.cfg.Sampler, rng)
}

// SampleWith is Sample with another sampler setting, e.g. fewer steps for a
// quick quality check. The trainer's mean-free projection, if any, replaces
// cfg.Project.
func (tr *Trainer) SampleWith(n int, cfg SamplerConfig, rng *rand.Rand) ([]float64, error) {
	if n < 1 {
		return nil, fmt.Errorf("sim: cannot draw %d samples", n)
	}
	cfg.Project = tr.project
	s, err := NewSampler(tr.sampling, tr.cfg.Schedule, tr.dim, n, cfg, rng)
	if err != nil {
		return nil, err
	}
	s.Run()
	return s.Positions(), nil
}

// redrawDefensive fills the buffer's defensive block: uniform samples of the
// target's box, or a wide mean-free Gaussian for particle systems.
func (tr *Trainer) redrawDefensive() {
	m := tr.buf.Defensive()
	if m == 0 {
		return
	}
	d := tr.dim
	x := make([]float64, m*d)
	if tr.project != nil {
		for i := range x {
			x[i] = tr.cfg.DefensiveStd * tr.rng.NormFloat64()
		}
		tr.project(x)
	} else {
		lo, hi := tr.box[0], tr.box[1]
		for i := range m {
			for j := range d {
				x[i*d+j] = lo[j] + (hi[j]-lo[j])*tr.rng.Float64()
			}
		}
	}
	tr.buf.SetDefensive(x)
}

// ParallelNetScore evaluates a network on the rows of a batch split into a
// fixed number of shards, each with its own workspace, on several
// goroutines: the sampler's ScoreFunc for a native run that uses every core.
// The result does not depend on the number of workers. Close it when done.
type ParallelNetScore struct {
	ps   *parallelScore
	pool *pool
}

// NewParallelNetScore returns the network as a parallel ScoreFunc for
// batches of any size (shards of up to maxRows/4 rows are evaluated in
// chunks) on workers goroutines (0: GOMAXPROCS).
func NewParallelNetScore(net ScoreNet, maxRows, workers int) *ParallelNetScore {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	p := newPool(min(workers, trainShards))
	inner := make([]ScoreFunc, trainShards)
	for s := range inner {
		inner[s] = NewNetScore(net, max(1, (maxRows+trainShards-1)/trainShards))
	}
	return &ParallelNetScore{ps: newParallelScore(inner, net.Dim(), p), pool: p}
}

// Score writes s_θ(x_i, t) into row i of dst for every row of x.
func (p *ParallelNetScore) Score(dst, x []float64, t float64) { p.ps.Score(dst, x, t) }

// Close stops the worker goroutines.
func (p *ParallelNetScore) Close() { p.pool.close() }

// parallelScore splits the rows of a ScoreFunc call into trainShards fixed
// pieces, each evaluated by its own inner ScoreFunc on the pool's workers.
// The result does not depend on the number of workers.
type parallelScore struct {
	inner []ScoreFunc
	dim   int
	pool  *pool
	dst   []float64
	x     []float64
	t     float64
	phase func(w int)
}

func newParallelScore(inner []ScoreFunc, dim int, p *pool) *parallelScore {
	ps := &parallelScore{inner: inner, dim: dim, pool: p}
	ps.phase = ps.run
	return ps
}

// Score evaluates every row of x at time t.
func (ps *parallelScore) Score(dst, x []float64, t float64) {
	ps.dst, ps.x, ps.t = dst, x, t
	ps.pool.run(ps.phase)
	ps.dst, ps.x = nil, nil
}

func (ps *parallelScore) run(w int) {
	n, d := len(ps.x)/ps.dim, ps.dim
	for s := w; s < len(ps.inner); s += ps.pool.workers {
		lo, hi := span(n, len(ps.inner), s)
		if hi > lo {
			ps.inner[s].Score(ps.dst[lo*d:hi*d], ps.x[lo*d:hi*d], ps.t)
		}
	}
}

// mcScore is the Monte Carlo score Ŝ as a ScoreFunc: it drives the sampler
// that fills the initial buffer for targets whose iDEM configuration does
// so. Each row has its own random stream.
type mcScore struct {
	tr    *Trainer
	calls uint64
	evals int64
	dst   []float64
	x     []float64
	sigma float64
	phase func(w int)
}

func newMCScore(tr *Trainer) *mcScore {
	m := &mcScore{tr: tr}
	m.phase = m.run
	return m
}

func (m *mcScore) Score(dst, x []float64, t float64) {
	m.dst, m.x, m.sigma = dst, x, m.tr.cfg.Schedule.Sigma(t)
	m.tr.pool.run(m.phase)
	m.evals += int64(len(x)/m.tr.dim) * int64(m.tr.cfg.K)
	m.calls++
	m.dst, m.x = nil, nil
}

func (m *mcScore) run(w int) {
	tr, d := m.tr, m.tr.dim
	n := len(m.x) / d
	for s := w; s < trainShards; s += tr.pool.workers {
		sh := &tr.shards[s]
		lo, hi := span(n, trainShards, s)
		for i := lo; i < hi; i++ {
			sh.pcg.Seed(tr.seed^0x5851f42d4c957f2d, m.calls<<24|uint64(i))
			sh.est.Estimate(m.dst[i*d:(i+1)*d], m.x[i*d:(i+1)*d], m.sigma, sh.rng)
		}
	}
}
