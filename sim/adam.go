package sim

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
)

// AdamConfig holds the settings of the Adam optimizer.
type AdamConfig struct {
	// LR is the learning rate α (iDEM: 5e-4 for gmm40, 1e-3 otherwise).
	LR float64 `json:"lr"`
	// Beta1 and Beta2 are the moment decays β1, β2 (PyTorch: 0.9, 0.999).
	Beta1 float64 `json:"beta1"`
	Beta2 float64 `json:"beta2"`
	// Eps is ε in the denominator √v̂ + ε (PyTorch: 1e-8).
	Eps float64 `json:"eps"`
	// ClipNorm caps the Euclidean norm of the gradient before the update:
	// g ← g · min(1, c/‖g‖₂) (iDEM: 0.5); 0 disables clipping.
	ClipNorm float64 `json:"clip_norm"`
	// WeightDecay adds λθ to the (clipped) gradient, as PyTorch's Adam
	// weight_decay does (an L2 penalty, not AdamW's decoupled decay). 0 by default.
	WeightDecay float64 `json:"weight_decay"`
	// EMADecay, when positive, keeps an exponential moving average of the
	// parameters after every step, θ̄ ← d θ̄ + (1 − d) θ (e.g. 0.999), for
	// sampling; 0 (the default) turns it off.
	EMADecay float64 `json:"ema_decay"`
}

// DefaultAdamConfig returns iDEM's gmm40 optimizer: Adam with learning rate
// 5e-4, PyTorch's β1 = 0.9, β2 = 0.999, ε = 1e-8, gradient norm clipped to
// 0.5, no weight decay, no EMA.
func DefaultAdamConfig() AdamConfig {
	return AdamConfig{LR: 5e-4, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, ClipNorm: 0.5}
}

// Validate reports whether the settings are usable.
func (c AdamConfig) Validate() error {
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case !(c.LR > 0) || !finite(c.LR):
		return fmt.Errorf("sim: adam learning rate %v must be positive and finite", c.LR)
	case !(c.Beta1 >= 0 && c.Beta1 < 1):
		return fmt.Errorf("sim: adam beta1 %v out of range [0, 1)", c.Beta1)
	case !(c.Beta2 >= 0 && c.Beta2 < 1):
		return fmt.Errorf("sim: adam beta2 %v out of range [0, 1)", c.Beta2)
	case !(c.Eps > 0) || !finite(c.Eps):
		return fmt.Errorf("sim: adam eps %v must be positive and finite", c.Eps)
	case !(c.ClipNorm >= 0) || !finite(c.ClipNorm):
		return fmt.Errorf("sim: adam clip norm %v must be ≥ 0 and finite (0 disables)", c.ClipNorm)
	case !(c.WeightDecay >= 0) || !finite(c.WeightDecay):
		return fmt.Errorf("sim: adam weight decay %v must be ≥ 0 and finite", c.WeightDecay)
	case !(c.EMADecay >= 0 && c.EMADecay < 1):
		return fmt.Errorf("sim: adam EMA decay %v out of range [0, 1) (0 disables)", c.EMADecay)
	}
	return nil
}

// NonFiniteGradientError is returned by Adam.Step when the gradient holds a
// NaN or an infinity; the parameters and the optimizer state are untouched.
type NonFiniteGradientError struct {
	Step  int     // the number of steps taken before the rejected one
	Index int     // the first non-finite entry
	Value float64 // its value
}

// Error names the step, the entry and its value.
func (e *NonFiniteGradientError) Error() string {
	return fmt.Sprintf("sim: adam step %d: gradient entry %d is %v", e.Step+1, e.Index, e.Value)
}

// Adam is the Adam optimizer (Kingma & Ba) with PyTorch's conventions. For
// step t = 1, 2, … and gradient g:
//
//	g ← g · min(1, c/‖g‖₂)                      (clipping, when c = ClipNorm > 0)
//	g ← g + λθ                                   (weight decay λ)
//	m ← β1 m + (1 − β1) g,   v ← β2 v + (1 − β2) g²
//	θ ← θ − α (m / (1 − β1ᵗ)) / (√(v / (1 − β2ᵗ)) + ε)
//
// and, with EMA on, θ̄ ← d θ̄ + (1 − d) θ (θ̄ starts at θ after the first
// step). It allocates nothing per step.
type Adam struct {
	cfg   AdamConfig
	m, v  []float64
	ema   []float64 // nil when EMA is off
	t     int
	b1Pow float64 // β1ᵗ
	b2Pow float64 // β2ᵗ
}

// NewAdam returns an optimizer for n parameters, or an error for bad settings.
func NewAdam(n int, cfg AdamConfig) (*Adam, error) {
	if n < 1 {
		return nil, fmt.Errorf("sim: adam needs at least one parameter, got %d", n)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &Adam{cfg: cfg, m: make([]float64, n), v: make([]float64, n), b1Pow: 1, b2Pow: 1}
	if cfg.EMADecay > 0 {
		a.ema = make([]float64, n)
	}
	return a, nil
}

// Config returns the settings.
func (a *Adam) Config() AdamConfig { return a.cfg }

// SetLR changes the learning rate (e.g. from a schedule or the app's
// slider); a non-positive or non-finite value panics.
func (a *Adam) SetLR(lr float64) {
	if !(lr > 0) || math.IsInf(lr, 0) {
		panic(fmt.Sprintf("sim: adam learning rate %v must be positive and finite", lr))
	}
	a.cfg.LR = lr
}

// Steps returns the number t of steps taken.
func (a *Adam) Steps() int { return a.t }

// EMA returns the moving average θ̄ of the parameters (the optimizer's own
// slice; nil when EMA is off or before the first step).
func (a *Adam) EMA() []float64 {
	if a.t == 0 {
		return nil
	}
	return a.ema
}

// Reset clears the moments, the step count and the EMA.
func (a *Adam) Reset() {
	clear(a.m)
	clear(a.v)
	clear(a.ema)
	a.t, a.b1Pow, a.b2Pow = 0, 1, 1
}

// Step applies one update to params using grad and returns ‖grad‖₂ before
// clipping. When clipping is on, grad is scaled in place to the clipped
// gradient (as torch.nn.utils.clip_grad_norm_ does). A gradient with a NaN
// or infinite entry returns a *NonFiniteGradientError and changes nothing.
// Mismatched lengths panic.
func (a *Adam) Step(params, grad []float64) (gradNorm float64, err error) {
	n := len(a.m)
	if len(params) != n || len(grad) != n {
		panic(fmt.Sprintf("sim: adam has %d parameters, got params %d and gradient %d", n, len(params), len(grad)))
	}
	norm := floats.Norm(grad, 2) // scaled: finite for any finite gradient
	if math.IsNaN(norm) || math.IsInf(norm, 0) {
		for i, g := range grad {
			if math.IsNaN(g) || math.IsInf(g, 0) {
				return norm, &NonFiniteGradientError{Step: a.t, Index: i, Value: g}
			}
		}
	}
	if c := a.cfg.ClipNorm; c > 0 && norm > c {
		floats.Scale(c/norm, grad)
	}
	a.t++
	b1, b2 := a.cfg.Beta1, a.cfg.Beta2
	a.b1Pow *= b1
	a.b2Pow *= b2
	step := a.cfg.LR / (1 - a.b1Pow)
	vCorr := 1 / (1 - a.b2Pow)
	eps, wd := a.cfg.Eps, a.cfg.WeightDecay
	m, v := a.m[:n], a.v[:n]
	params = params[:n]
	for i, g := range grad[:n] {
		if wd != 0 {
			g += wd * params[i]
		}
		mi := b1*m[i] + (1-b1)*g
		vi := b2*v[i] + (1-b2)*g*g
		m[i], v[i] = mi, vi
		params[i] -= step * mi / (math.Sqrt(vi*vCorr) + eps)
	}
	if a.ema != nil {
		if a.t == 1 {
			copy(a.ema, params)
		} else {
			d := a.cfg.EMADecay
			for i, p := range params {
				a.ema[i] = d*a.ema[i] + (1-d)*p
			}
		}
	}
	return norm, nil
}
