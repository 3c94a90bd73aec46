package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"iwsm/targets"
)

// DSMConfig holds the settings of denoising score matching on exact samples.
type DSMConfig struct {
	// Batch is the number n of (x₀, t, z) triples per step (512, as iDEM's
	// training batch).
	Batch int `json:"batch"`
	// TMin is the lower end of t ~ U(TMin, 1). The default 0 is safe: with
	// the weighting λ(t) = σ_t² the per-sample loss ‖σ_t s + z‖²/d has no
	// 1/σ_t in it, and at σ_t → 0 it tends to the constant ‖z‖²/d with a
	// vanishing gradient, so tiny times waste a little of the batch but never
	// blow up.
	TMin float64 `json:"t_min"`
	// Adam configures the optimizer (iDEM's gmm40 settings by default).
	Adam AdamConfig `json:"adam"`
	// Workers splits each batch across this many goroutines, each with its
	// own workspace (natively; js/wasm has one thread). The gradient is the
	// same sum in any case, up to rounding. 1 by default.
	Workers int `json:"workers"`
}

// DefaultDSMConfig returns batch 512, t ~ U(0, 1), Adam with iDEM's gmm40
// settings (learning rate 5e-4, gradient norm clipped to 0.5) and one worker.
func DefaultDSMConfig() DSMConfig {
	return DSMConfig{Batch: 512, Adam: DefaultAdamConfig(), Workers: 1}
}

// Validate reports whether the settings are usable.
func (c DSMConfig) Validate() error {
	if c.Batch < 1 || c.Batch > 1<<20 {
		return fmt.Errorf("sim: DSM batch %d out of range [1, 1048576]", c.Batch)
	}
	if !(c.TMin >= 0 && c.TMin < 1) {
		return fmt.Errorf("sim: DSM t_min %v out of range [0, 1)", c.TMin)
	}
	if c.Workers < 1 || c.Workers > 256 {
		return fmt.Errorf("sim: DSM workers %d out of range [1, 256]", c.Workers)
	}
	return c.Adam.Validate()
}

// DSMStats reports one DSMTrainer step.
type DSMStats struct {
	Step     int     // steps taken, this one included
	Loss     float64 // the batch loss before the update
	GradNorm float64 // ‖∇θ loss‖₂ before clipping
	Seconds  float64 // wall-clock time of the step
}

// DSMTrainer trains a score network by denoising score matching on exact
// samples of a target (the "with data" baseline): each step draws x₀ from
// the target, t ~ U(TMin, 1) and z ~ N(0, I), sets x = x₀ + σ_t z, and takes
// one Adam step on
//
//	L(θ) = (1/n) Σ_i λ(t_i) ‖s_θ(x_i, t_i) + z_i/σ_{t_i}‖² / d,   λ(t) = σ_t²,
//	     = (1/n) Σ_i ‖σ_{t_i} s_θ(x_i, t_i) + z_i‖² / d,
//
// whose minimizer is the noised score ∇ log p_t (−z/σ_t is the score of the
// Gaussian kernel, an unbiased target for it). λ = σ² is the ε-prediction
// weighting: σ s_θ is a prediction of −z, every time contributes a loss of
// order one, and the minimum value is 1 − E[σ_t² ‖∇ log p_t‖²]/d rather
// than 0. It allocates nothing per step with one worker.
type DSMTrainer struct {
	net    ScoreNet
	target targets.ExactSampler
	sched  VESchedule
	cfg    DSMConfig
	rng    *rand.Rand
	opt    *Adam
	dim    int
	ws     []Workspace
	grads  [][]float64 // per worker; grads[0] is the one Adam sees
	x0, z  []float64   // n×d
	x, out []float64   // n×d
	dout   []float64   // n×d
	t, sig []float64   // n
	step   int
	wg     sync.WaitGroup
}

// NewDSMTrainer returns a trainer of net on exact samples of target (whose
// dimension must be net.Dim()) under the schedule sched, drawing all its
// randomness from rng.
func NewDSMTrainer(net ScoreNet, target targets.ExactSampler, sched VESchedule, cfg DSMConfig, rng *rand.Rand) (*DSMTrainer, error) {
	if net == nil || target == nil || rng == nil {
		return nil, fmt.Errorf("sim: DSM needs a network, an exact sampler and a random source")
	}
	if err := sched.Validate(); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if t, ok := target.(targets.Target); ok && t.Dim() != net.Dim() {
		return nil, fmt.Errorf("sim: target %s has dimension %d, the network %d", t.Name(), t.Dim(), net.Dim())
	}
	opt, err := NewAdam(len(net.Params()), cfg.Adam)
	if err != nil {
		return nil, err
	}
	n, d := cfg.Batch, net.Dim()
	w := min(cfg.Workers, n)
	tr := &DSMTrainer{net: net, target: target, sched: sched, cfg: cfg, rng: rng, opt: opt, dim: d,
		x0: make([]float64, n*d), z: make([]float64, n*d), x: make([]float64, n*d),
		out: make([]float64, n*d), dout: make([]float64, n*d), t: make([]float64, n), sig: make([]float64, n)}
	for i := range w {
		lo, hi := shard(n, w, i)
		tr.ws = append(tr.ws, net.NewWorkspace(hi-lo))
		tr.grads = append(tr.grads, make([]float64, len(net.Params())))
	}
	return tr, nil
}

// shard returns rows [lo, hi) of part i when n rows are split into w parts.
func shard(n, w, i int) (lo, hi int) { return i * n / w, (i + 1) * n / w }

// Net returns the network being trained.
func (tr *DSMTrainer) Net() ScoreNet { return tr.net }

// Optimizer returns the Adam optimizer (for its EMA or learning rate).
func (tr *DSMTrainer) Optimizer() *Adam { return tr.opt }

// Steps returns the number of steps taken.
func (tr *DSMTrainer) Steps() int { return tr.step }

// Step draws a fresh batch and takes one Adam step. A non-finite loss is a
// *DivergedError (the trainer's type) and a non-finite gradient a *NonFiniteGradientError; in
// both cases the parameters are unchanged.
func (tr *DSMTrainer) Step() (DSMStats, error) {
	start := time.Now()
	tr.drawBatch()
	loss := tr.lossGrad(tr.grads[0])
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return DSMStats{Step: tr.step, Loss: loss}, &DivergedError{Step: tr.step + 1, Loss: loss}
	}
	norm, err := tr.opt.Step(tr.net.Params(), tr.grads[0])
	if err != nil {
		return DSMStats{Step: tr.step, Loss: loss, GradNorm: norm}, err
	}
	tr.step++
	return DSMStats{Step: tr.step, Loss: loss, GradNorm: norm, Seconds: time.Since(start).Seconds()}, nil
}

// drawBatch fills x₀ with exact samples, t ~ U(TMin, 1), z ~ N(0, I) and
// x = x₀ + σ_t z.
func (tr *DSMTrainer) drawBatch() {
	tr.target.SampleInto(tr.x0, tr.rng)
	d := tr.dim
	for i := range tr.t {
		t := tr.cfg.TMin + (1-tr.cfg.TMin)*tr.rng.Float64()
		tr.t[i], tr.sig[i] = t, tr.sched.Sigma(t)
	}
	for i := range tr.z {
		tr.z[i] = tr.rng.NormFloat64()
		tr.x[i] = tr.x0[i] + tr.sig[i/d]*tr.z[i]
	}
}

// lossGrad evaluates the loss of the current batch and writes its gradient
// into grad (overwriting it).
func (tr *DSMTrainer) lossGrad(grad []float64) float64 {
	w := len(tr.ws)
	if w == 1 {
		return tr.shardLossGrad(0, grad)
	}
	losses := make([]float64, w) // one small allocation per step with several workers
	tr.wg.Add(w - 1)
	for i := 1; i < w; i++ {
		go func() {
			defer tr.wg.Done()
			losses[i] = tr.shardLossGrad(i, tr.grads[i])
		}()
	}
	losses[0] = tr.shardLossGrad(0, grad)
	tr.wg.Wait()
	loss := losses[0]
	for i := 1; i < w; i++ {
		loss += losses[i]
		for k, g := range tr.grads[i] {
			grad[k] += g
		}
	}
	return loss
}

// shardLossGrad runs rows of worker i forward and backward: it returns their
// share of the loss, (1/n) Σ_i ‖σ_i s_i + z_i‖²/d, and writes the gradient of
// that share into grad, with ∂L/∂s_i = (2/(n d)) σ_i (σ_i s_i + z_i).
func (tr *DSMTrainer) shardLossGrad(i int, grad []float64) float64 {
	n, d := len(tr.t), tr.dim
	lo, hi := shard(n, len(tr.ws), i)
	x, out, dout := tr.x[lo*d:hi*d], tr.out[lo*d:hi*d], tr.dout[lo*d:hi*d]
	z, sig := tr.z[lo*d:hi*d], tr.sig[lo:hi]
	tr.ws[i].Forward(out, x, tr.t[lo:hi])
	scale := 1 / float64(n*d)
	var loss float64
	for r := range hi - lo {
		s := sig[r]
		for j := r * d; j < (r+1)*d; j++ {
			e := s*out[j] + z[j]
			loss += e * e
			dout[j] = 2 * scale * s * e
		}
	}
	clear(grad)
	tr.ws[i].Backward(grad, dout)
	return loss * scale
}

// Loss returns the DSM loss of the current network on the given batch
// (x₀ n×d, z n×d, t n; no gradient, no update), e.g. a fixed validation set.
func (tr *DSMTrainer) Loss(x0, z, t []float64) float64 {
	d := tr.dim
	if len(x0) != len(t)*d || len(z) != len(x0) {
		panic("sim: batch size mismatch")
	}
	n := len(t)
	maxB := len(tr.t) / len(tr.ws) // the smallest workspace is at least this big
	var loss float64
	x, out, tt := tr.x[:0], tr.out, tr.t
	for lo := 0; lo < n; lo += maxB {
		hi := min(lo+maxB, n)
		x = tr.x[:(hi-lo)*d]
		for i := lo; i < hi; i++ {
			s := tr.sched.Sigma(t[i])
			tt[i-lo] = t[i]
			for j := range d {
				x[(i-lo)*d+j] = x0[i*d+j] + s*z[i*d+j]
			}
		}
		o := out[:(hi-lo)*d]
		tr.ws[0].Forward(o, x, tt[:hi-lo])
		for i := lo; i < hi; i++ {
			s := tr.sched.Sigma(t[i])
			for j := range d {
				e := s*o[(i-lo)*d+j] + z[i*d+j]
				loss += e * e
			}
		}
	}
	return loss / float64(n*d)
}
