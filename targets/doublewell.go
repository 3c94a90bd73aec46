package targets

import "math"

// DW-4 constants, iDEM's MultiDoubleWellEnergy (a = 0, b = −4, c = 0.9,
// offset = 4): the pair energy is a·u + b·u² + c·u⁴ with u = d − offset.
const (
	dwB      = -4.0
	dwC      = 0.9
	dwOffset = 4.0
	// dwCoincident is the distance below which two particles count as
	// coincident: the pair's force direction is then undefined and the pair
	// contributes no force (its energy, near 166.4, is kept).
	dwCoincident = 1e-150
)

// DoubleWell is the DW-4 benchmark: n = 4 particles in R² with the pair
// double-well energy of iDEM,
//
//	E(x) = Σ_{i<j} [0.9 (d_ij − 4)⁴ − 4 (d_ij − 4)²],  d_ij = ‖x_i − x_j‖,
//
// and log π̃ = −E (temperature 1). At coincident particles (d_ij = 0, or
// below 1e−150) the pair's force direction is undefined; the pair then
// contributes its (finite) energy and no force. Its reference sets are iDEM's DW-4 test and
// validation splits.
type DoubleWell struct{ particleBase }

// NewDW4 returns the DW-4 target "dw4" (d = 8), with iDEM's schedule
// (σ_min, σ_max) = (1e−5, 3).
func NewDW4() *DoubleWell {
	return &DoubleWell{particleBase{name: "dw4", n: 4, sd: 2,
		refTest: "test_split_DW4.npy", refVal: "val_split_DW4.npy", hintMin: 1e-5, hintMax: 3}}
}

// LogProb returns −E(x); −Inf where E is not finite.
func (t *DoubleWell) LogProb(x []float64) float64 {
	t.checkPoint(nil, x)
	return -t.energy(nil, x)
}

// Score writes −∇E(x) into dst (allocated when nil): particle i receives
// −Σ_{j≠i} E′(d_ij) (x_i − x_j)/d_ij with E′(d) = 3.6 (d − 4)³ − 8 (d − 4).
func (t *DoubleWell) Score(dst, x []float64) []float64 {
	if dst == nil {
		dst = make([]float64, len(x))
	}
	t.checkPoint(dst, x)
	t.energy(dst, x)
	return dst
}

// LogProbScoreBatch evaluates the rows of x (B×8); see BatchTarget.
func (t *DoubleWell) LogProbScoreBatch(logp, score, x []float64) {
	t.batch(t.energy, logp, score, x)
}

// energy returns E(x) and, when s is not nil, writes −∇E(x) into it.
func (t *DoubleWell) energy(s, x []float64) float64 {
	n := t.n
	x = x[:2*n]
	zero(s)
	var e float64
	for i := range n {
		xi, yi := x[2*i], x[2*i+1]
		for j := i + 1; j < n; j++ {
			dx, dy := xi-x[2*j], yi-x[2*j+1]
			r := math.Sqrt(dx*dx + dy*dy)
			u := r - dwOffset
			u2 := u * u
			e += dwC*u2*u2 + dwB*u2
			if s != nil && r > dwCoincident {
				f := (4*dwC*u2 + 2*dwB) * u / r // dE/dd ÷ d
				fx, fy := f*dx, f*dy
				s[2*i] -= fx
				s[2*i+1] -= fy
				s[2*j] += fx
				s[2*j+1] += fy
			}
		}
	}
	return guard(e, s)
}
