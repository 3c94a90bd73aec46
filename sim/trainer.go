package sim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"iwsm/targets"
)

// trainShards is the fixed number of pieces a batch is split into for the
// parallel phases, whatever the number of workers, so that a run's numbers do
// not depend on how many cores computed them.
const trainShards = 4

// maxLoss is the loss above which a step counts as diverged.
const maxLoss = 1e12

// StepStats are the figures of one gradient step.
type StepStats struct {
	Step        int     // gradient steps taken, including this one
	Loss        float64 // the weighted loss L(θ) before the update
	ESS         float64 // nESS = 1/(n Σ w̄²) of the importance weights, averaged over the groups (reported for iDEM too, whose loss does not use them)
	GradNorm    float64 // ‖∇L‖ before clipping
	EnergyEvals int64   // energy (and score) evaluations since the start, refreshes included
	Seconds     float64 // wall time of this step, including a refresh when one ran
	Refreshed   bool    // a buffer refresh ran before this step
}

// DivergedError stops a trainer whose loss became NaN, infinite or absurdly
// large; the network keeps its parameters from before that step.
type DivergedError struct {
	Step int     // the step that diverged
	Loss float64 // its loss
}

func (e *DivergedError) Error() string {
	return fmt.Sprintf("sim: training diverged at step %d (loss %v)", e.Step, e.Loss)
}

// Trainer trains a score network by IW-SM, or by iDEM with the weights off,
// one gradient step per Step call (METHOD.md):
//
//	draw G times t_g ~ U(0, 1) and n points x_i ~ p_B,t_g (the noised buffer),
//	estimate Ŝ(x_i, t_g) and log p̃_t(x_i) from K energy evaluations,
//	log w_i = log p̃_t(x_i) − log p_Bt(x_i),  w̄ = softmax of log w within each group,
//	L(θ) = (1/G) Σ_g Σ_{i in g} w̄_i λ(t_g) ‖s_θ(x_i, t_g) − Ŝ(x_i, t_g)‖² / d,
//
// then one Adam step; every RefreshEvery steps the current network generates
// RefreshSize new samples for the buffer. iDEM uses w̄_i = 1/n and shares
// every other line. A Trainer owns goroutines: Close it when done.
type Trainer struct {
	target  targets.Target
	cfg     Config
	net     ScoreNet
	opt     *Adam
	buf     *Buffer
	prop    proposal // the buffer, except in tests
	pool    *pool
	seed    uint64
	rng     *rand.Rand // serial draws: times, buffer points, sampler noise
	project func([]float64)
	dim     int
	box     [2][]float64 // defensive box of unstructured targets

	step  int
	evals int64
	err   error // sticky: a diverged trainer refuses to step

	// One batch, flat.
	groupT []float64 // G times
	t      []float64 // B times (t of each point's group)
	x      []float64 // B×d points
	src    []int     // buffer row each point was drawn from
	shat   []float64 // B×d Monte Carlo scores Ŝ
	logpt  []float64 // B estimates of log p̃_t
	logq   []float64 // B values of log p_Bt
	wbar   []float64 // B normalized weights
	lambda []float64 // B values of λ(t)
	grad   []float64 // summed parameter gradient

	shards    [trainShards]trainShard
	sampleNet ScoreNet       // the network that samples: net itself, or a copy holding the EMA of θ
	sampling  *parallelScore // sampleNet as a ScoreFunc for refreshes
	phaseMC   func(w int)    // the parallel phases, built once so a step allocates nothing
	phaseNet  func(w int)
}

// noisedEstimator estimates log p̃_t and the score at a point: the Monte
// Carlo estimator, or in tests the exact noised density of a mixture.
type noisedEstimator interface {
	Estimate(score, x []float64, sigma float64, rng *rand.Rand) float64
}

// proposal is the distribution the batch points are drawn from: the noised
// buffer, or in tests an exact distribution.
type proposal interface {
	SampleNoised(dst []float64, sigma float64, rng *rand.Rand) int
	NoisedLogDensitySubset(scratch, x []float64, sigma float64, source, m int, rng *rand.Rand) float64
}

// trainShard is one fixed piece of the batch with its own scratch.
type trainShard struct {
	est     noisedEstimator
	pcg     *rand.PCG
	rng     *rand.Rand
	scratch []float64 // proposal density scratch (buffer rows)
	ws      Workspace
	out     []float64 // network output rows
	dout    []float64 // ∂L/∂out rows
	grad    []float64 // this shard's parameter gradient
	loss    float64
}

// NewTrainer builds a trainer for a target: a fresh network initialised from
// seed, the optimizer, and the replay buffer, filled as cfg.InitBuffer says.
func NewTrainer(t targets.Target, cfg Config, seed uint64) (*Trainer, error) {
	if err := cfg.Validate(t); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x6977736d)) // "iwsm"
	var net ScoreNet
	var err error
	switch cfg.Net.Arch {
	case "mlp":
		net, err = NewMLP(cfg.Net.MLP, rng)
	case "egnn":
		net, err = NewEGNN(cfg.Net.EGNN, rng)
	}
	if err != nil {
		return nil, err
	}
	return newTrainer(t, cfg, seed, net, rng)
}

// NewTrainerFrom is NewTrainer starting from an existing network (for
// example a checkpoint), which the trainer then owns and updates.
func NewTrainerFrom(t targets.Target, cfg Config, seed uint64, net ScoreNet) (*Trainer, error) {
	if err := cfg.Validate(t); err != nil {
		return nil, err
	}
	if net == nil || net.Dim() != t.Dim() {
		return nil, fmt.Errorf("sim: network does not match target %s (dim %d)", t.Name(), t.Dim())
	}
	return newTrainer(t, cfg, seed, net, rand.New(rand.NewPCG(seed, 0x6977736d)))
}

func newTrainer(t targets.Target, cfg Config, seed uint64, net ScoreNet, rng *rand.Rand) (*Trainer, error) {
	opt, err := NewAdam(len(net.Params()), cfg.Adam)
	if err != nil {
		return nil, err
	}
	d := t.Dim()
	dEff := d
	var project func([]float64)
	if ps, ok := t.(targets.ParticleSystem); ok {
		n, sd := ps.Particles()
		dEff = targets.EffectiveDim(n, sd)
		project = func(x []float64) { targets.RemoveMeanBatch(x, n, sd) }
	}
	defensive := int(math.Round(cfg.DefensiveShare * float64(cfg.BufferSize)))
	buf, err := NewBuffer(d, cfg.BufferSize, defensive, dEff, project)
	if err != nil {
		return nil, err
	}
	tr := &Trainer{target: t, cfg: cfg, net: net, opt: opt, buf: buf, prop: buf, seed: seed, rng: rng,
		project: project, dim: d, pool: newPool(min(cfg.workers(), trainShards))}
	if b, ok := t.(targets.Bounded); ok {
		tr.box[0], tr.box[1] = b.Bounds()
	}
	batch := cfg.Groups * cfg.GroupSize
	tr.groupT = make([]float64, cfg.Groups)
	tr.t = make([]float64, batch)
	tr.x = make([]float64, batch*d)
	tr.src = make([]int, batch)
	tr.shat = make([]float64, batch*d)
	tr.logpt = make([]float64, batch)
	tr.logq = make([]float64, batch)
	tr.wbar = make([]float64, batch)
	tr.lambda = make([]float64, batch)
	tr.grad = make([]float64, len(net.Params()))
	rows := (batch + trainShards - 1) / trainShards
	sampleRows := (cfg.RefreshSize + trainShards - 1) / trainShards
	tr.sampleNet = net
	if cfg.Adam.EMADecay > 0 {
		if tr.sampleNet, err = CloneNet(net); err != nil {
			return nil, err
		}
	}
	inner := make([]ScoreFunc, trainShards)
	for s := range tr.shards {
		pcg := rand.NewPCG(0, 0)
		est := NewMCEstimator(t, cfg.K, cfg.ScoreClip)
		est.SetMix(cfg.ScoreMix)
		tr.shards[s] = trainShard{
			est: est, pcg: pcg, rng: rand.New(pcg),
			scratch: ProposalScratch(cfg.BufferSize), ws: net.NewWorkspace(rows),
			out: make([]float64, rows*d), dout: make([]float64, rows*d), grad: make([]float64, len(net.Params())),
		}
		inner[s] = NewNetScore(tr.sampleNet, sampleRows)
	}
	tr.sampling = newParallelScore(inner, d, tr.pool)
	tr.phaseMC = tr.estimatePhase
	tr.phaseNet = tr.networkPhase
	if err := tr.initBuffer(); err != nil {
		tr.Close()
		return nil, err
	}
	return tr, nil
}

// Close stops the trainer's worker goroutines. The trainer can still report
// its network and statistics but must not Step again.
func (tr *Trainer) Close() {
	tr.pool.close()
	if tr.err == nil {
		tr.err = errors.New("sim: trainer is closed")
	}
}

// Net returns the network being trained (its parameters change with Step).
func (tr *Trainer) Net() ScoreNet { return tr.net }

// SamplingNet returns the network that generates samples: the trained one,
// or with an EMA (AdamConfig.EMADecay > 0) a copy holding the moving average
// of its parameters, updated after every step. Checkpoints save this one.
func (tr *Trainer) SamplingNet() ScoreNet { return tr.sampleNet }

// Config returns the trainer's settings.
func (tr *Trainer) Config() Config { return tr.cfg }

// Buffer returns the replay buffer.
func (tr *Trainer) Buffer() *Buffer { return tr.buf }

// Steps returns the number of gradient steps taken.
func (tr *Trainer) Steps() int { return tr.step }

// EnergyEvals returns the number of energy evaluations so far.
func (tr *Trainer) EnergyEvals() int64 { return tr.evals }

// Weights returns the normalized importance weights w̄ of the last step's
// batch (uniform for iDEM); the slice is the trainer's own.
func (tr *Trainer) Weights() []float64 { return tr.wbar }

// BatchPoints returns the last step's batch points (B×d) and their times;
// the slices are the trainer's own.
func (tr *Trainer) BatchPoints() (x, t []float64) { return tr.x, tr.t }

// Step takes one gradient step (after a buffer refresh when one is due) and
// returns its figures. After a DivergedError every call returns that error.
func (tr *Trainer) Step() (StepStats, error) {
	if tr.err != nil {
		return StepStats{Step: tr.step}, tr.err
	}
	start := time.Now()
	var st StepStats
	if tr.step > 0 && tr.step%tr.cfg.RefreshEvery == 0 {
		if err := tr.Refresh(); err != nil {
			return StepStats{Step: tr.step}, err
		}
		st.Refreshed = true
	}
	st.ESS = tr.prepareBatch()
	loss := tr.lossAndGradient()
	if math.IsNaN(loss) || math.IsInf(loss, 0) || loss > maxLoss {
		tr.err = &DivergedError{Step: tr.step + 1, Loss: loss}
		return StepStats{Step: tr.step}, tr.err
	}
	gn, err := tr.opt.Step(tr.net.Params(), tr.grad)
	if err != nil {
		tr.err = fmt.Errorf("sim: step %d: %w", tr.step+1, err)
		return StepStats{Step: tr.step}, tr.err
	}
	tr.step++
	if ema := tr.opt.EMA(); ema != nil {
		copy(tr.sampleNet.Params(), ema)
	}
	st.Step, st.Loss, st.GradNorm, st.EnergyEvals = tr.step, loss, gn, tr.evals
	st.Seconds = time.Since(start).Seconds()
	return st, nil
}

// prepareBatch draws the batch, estimates the targets Ŝ and the weights w̄
// and the λ(t) of every point, and returns the mean nESS.
func (tr *Trainer) prepareBatch() float64 {
	tr.drawBatch()
	tr.pool.run(tr.phaseMC)
	tr.evals += int64(len(tr.t)) * int64(tr.cfg.K)
	ess := tr.normalizeWeights()
	for i := range tr.t {
		if tr.cfg.LambdaOne {
			tr.lambda[i] = 1
		} else {
			tr.lambda[i] = tr.cfg.Schedule.H(tr.t[i]) + tr.cfg.LambdaFloor
		}
	}
	return ess
}

// lossAndGradient evaluates the loss of the prepared batch at the current
// parameters and leaves its gradient in tr.grad.
func (tr *Trainer) lossAndGradient() float64 {
	tr.pool.run(tr.phaseNet)
	for i := range tr.grad {
		tr.grad[i] = 0
	}
	var loss float64
	for s := range tr.shards {
		sh := &tr.shards[s]
		loss += sh.loss
		for i, g := range sh.grad {
			tr.grad[i] += g
		}
	}
	return loss
}

// drawBatch draws the group times and the points x_i ~ p_B,t_g.
func (tr *Trainer) drawBatch() {
	d, n := tr.dim, tr.cfg.GroupSize
	for g := range tr.groupT {
		tr.groupT[g] = tr.rng.Float64()
		sigma := tr.cfg.Schedule.Sigma(tr.groupT[g])
		for i := g * n; i < (g+1)*n; i++ {
			tr.t[i] = tr.groupT[g]
			tr.src[i] = tr.prop.SampleNoised(tr.x[i*d:(i+1)*d], sigma, tr.rng)
		}
	}
}

// estimatePhase computes Ŝ, log p̃_t and log p_Bt for the points of the
// shards of worker w. Every point has its own random stream, seeded by the
// run's seed, the step and the point, so the result does not depend on the
// number of workers.
func (tr *Trainer) estimatePhase(w int) {
	d, b := tr.dim, len(tr.t)
	for s := w; s < trainShards; s += tr.pool.workers {
		sh := &tr.shards[s]
		lo, hi := span(b, trainShards, s)
		for i := lo; i < hi; i++ {
			sh.pcg.Seed(tr.seed^0x9e3779b97f4a7c15, uint64(tr.step)<<24|uint64(i))
			sigma := tr.cfg.Schedule.Sigma(tr.t[i])
			xi := tr.x[i*d : (i+1)*d]
			tr.logpt[i] = sh.est.Estimate(tr.shat[i*d:(i+1)*d], xi, sigma, sh.rng)
			// Drawn after the estimator's, the subset's random rows cannot
			// change Ŝ: iDEM evaluates p_Bt too, for its nESS diagnostic only.
			tr.logq[i] = tr.prop.NoisedLogDensitySubset(sh.scratch, xi, sigma, tr.src[i], tr.cfg.ProposalSubset, sh.rng)
		}
	}
}

// normalizeWeights turns the log weights into self-normalized weights within
// each group (uniform for iDEM) and returns the mean nESS over the groups.
func (tr *Trainer) normalizeWeights() float64 {
	n := tr.cfg.GroupSize
	var essSum float64
	for g := range tr.groupT {
		w := tr.wbar[g*n : (g+1)*n]
		maxLW := math.Inf(-1)
		for i := range w {
			lw := tr.logpt[g*n+i] - tr.logq[g*n+i]
			if math.IsNaN(lw) || math.IsInf(lw, 0) {
				lw = math.Inf(-1)
			}
			w[i] = lw
			maxLW = math.Max(maxLW, lw)
		}
		var sum, sum2 float64
		for i := range w {
			if math.IsInf(maxLW, -1) {
				w[i] = 0
				continue
			}
			w[i] = math.Exp(w[i] - maxLW)
			sum += w[i]
		}
		for i := range w {
			if sum > 0 {
				w[i] /= sum
			}
			sum2 += w[i] * w[i]
		}
		if sum2 > 0 {
			essSum += 1 / (float64(n) * sum2)
		}
		switch floor := tr.cfg.WeightFloor; {
		case !tr.cfg.Weights:
			for i := range w {
				w[i] = 1 / float64(n)
			}
		case floor > 0:
			for i := range w {
				w[i] = (1-floor)*w[i] + floor/float64(n)
			}
		}
	}
	return essSum / float64(len(tr.groupT))
}

// networkPhase runs the network forward on the shards of worker w, forms the
// loss and its gradient with respect to the outputs, and backpropagates into
// the shard's parameter gradient.
func (tr *Trainer) networkPhase(w int) {
	d, b := tr.dim, len(tr.t)
	scale := 1 / (float64(len(tr.groupT)) * float64(d))
	for s := w; s < trainShards; s += tr.pool.workers {
		sh := &tr.shards[s]
		lo, hi := span(b, trainShards, s)
		m := hi - lo
		out, dout := sh.out[:m*d], sh.dout[:m*d]
		sh.ws.Forward(out, tr.x[lo*d:hi*d], tr.t[lo:hi])
		var loss float64
		for r := range m {
			i := lo + r
			c := tr.wbar[i] * tr.lambda[i] * scale
			var sq float64
			for j := range d {
				e := out[r*d+j] - tr.shat[i*d+j]
				sq += e * e
				dout[r*d+j] = 2 * c * e
			}
			loss += c * sq
		}
		sh.loss = loss
		for k := range sh.grad {
			sh.grad[k] = 0
		}
		sh.ws.Backward(sh.grad, dout)
	}
}
