package targets

import (
	"fmt"
	"math"
)

// particleBase holds what every particle system shares: its name, layout,
// reference files and schedule hint.
type particleBase struct {
	name             string
	n, sd            int
	refTest, refVal  string // reference file names under data/; "" for none
	hintMin, hintMax float64
}

// Name returns the registry name, e.g. "lj13".
func (p *particleBase) Name() string { return p.name }

// Dim returns d = n·D.
func (p *particleBase) Dim() int { return p.n * p.sd }

// Particles returns the particle count n and the spatial dimension D.
func (p *particleBase) Particles() (n, spatialDim int) { return p.n, p.sd }

// NoiseHint returns iDEM's (σ_min, σ_max) for this system.
func (p *particleBase) NoiseHint() (sigmaMin, sigmaMax float64) { return p.hintMin, p.hintMax }

// Reference returns a fresh copy of the centred reference set of split
// "test" or "val" (rows×n·D, every row with zero particle mean), read through
// the reference loader (see SetReferenceLoader) and parsed once. A system
// without data returns an error wrapping ErrNoReference.
func (p *particleBase) Reference(split string) ([]float64, error) {
	var file string
	switch split {
	case "test":
		file = p.refTest
	case "val":
		file = p.refVal
	default:
		return nil, fmt.Errorf("targets: unknown reference split %q (valid: test, val)", split)
	}
	if file == "" {
		return nil, fmt.Errorf("targets: %s has no %s set: %w", p.name, split, ErrNoReference)
	}
	set, err := loadReference(file, p.n, p.sd)
	if err != nil {
		return nil, err
	}
	return append([]float64(nil), set...), nil
}

// checkPoint panics unless x (and dst, when not nil) hold one point of t.
func (p *particleBase) checkPoint(dst, x []float64) {
	if len(x) != p.n*p.sd || (dst != nil && len(dst) != len(x)) {
		panic("targets: dimension mismatch")
	}
}

// guard returns e unchanged when e and every entry of s are finite, and
// +Inf with s zeroed otherwise: a non-finite energy is a zero-weight point
// with a zero score, never a NaN.
func guard(e float64, s []float64) float64 {
	if !finite(e) {
		zero(s)
		return math.Inf(1)
	}
	for _, v := range s {
		if !finite(v) {
			zero(s)
			return math.Inf(1)
		}
	}
	return e
}

// batch runs energy over the rows of x: logp[i] = −E(x_i), score row i =
// −∇E(x_i) (score may be nil).
func (p *particleBase) batch(energy func(s, x []float64) float64, logp, score, x []float64) {
	d := p.n * p.sd
	if len(x) != len(logp)*d || (score != nil && len(score) != len(x)) {
		panic("targets: batch size mismatch")
	}
	for i := range logp {
		var s []float64
		if score != nil {
			s = score[i*d : (i+1)*d]
		}
		logp[i] = -energy(s, x[i*d:(i+1)*d])
	}
}
