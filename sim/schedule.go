package sim

import (
	"fmt"
	"math"
)

// VESchedule is the geometric variance-exploding noise schedule
//
//	x_t = x_0 + σ_t z,  h(t) = σ_t² = σ_min² ((σ_max/σ_min)^{2t} − 1),
//	g(t)² = dh/dt = 2 ln(σ_max/σ_min) σ_min² (σ_max/σ_min)^{2t},
//
// for t ∈ [0, 1]. The prior is N(0, h(1) I).
type VESchedule struct {
	SigmaMin float64 `json:"sigma_min"` // σ_min
	SigmaMax float64 `json:"sigma_max"` // σ_max
}

// NewVESchedule returns the schedule for 0 < σ_min < σ_max < ∞, or an error.
func NewVESchedule(sigmaMin, sigmaMax float64) (VESchedule, error) {
	s := VESchedule{sigmaMin, sigmaMax}
	return s, s.Validate()
}

// Validate reports whether 0 < σ_min < σ_max < ∞.
func (s VESchedule) Validate() error {
	if !(s.SigmaMin > 0) || !(s.SigmaMax > s.SigmaMin) || math.IsInf(s.SigmaMax, 0) {
		return fmt.Errorf("sim: noise schedule needs 0 < sigma_min < sigma_max < inf, got (%v, %v)", s.SigmaMin, s.SigmaMax)
	}
	return nil
}

// H returns the noise variance h(t) = σ_t².
func (s VESchedule) H(t float64) float64 {
	return s.SigmaMin * s.SigmaMin * math.Expm1(2*t*math.Log(s.SigmaMax/s.SigmaMin))
}

// Sigma returns σ_t = √h(t).
func (s VESchedule) Sigma(t float64) float64 { return math.Sqrt(s.H(t)) }

// G2 returns the squared diffusion coefficient g(t)² = dh/dt.
func (s VESchedule) G2(t float64) float64 {
	lr := math.Log(s.SigmaMax / s.SigmaMin)
	return 2 * lr * s.SigmaMin * s.SigmaMin * math.Exp(2*t*lr)
}

// PriorStd returns the standard deviation √h(1) of the prior N(0, h(1) I).
func (s VESchedule) PriorStd() float64 { return s.Sigma(1) }

// TimeOfSigma inverts σ_t: it returns t = ln(1 + σ²/σ_min²) / (2 ln(σ_max/σ_min)),
// the time at which the noise standard deviation is σ ≥ 0 (above 1 for
// σ > σ_1).
func (s VESchedule) TimeOfSigma(sigma float64) float64 {
	r := sigma / s.SigmaMin
	return math.Log1p(r*r) / (2 * math.Log(s.SigmaMax/s.SigmaMin))
}
