package targets

import "math"

// EffectiveDim returns the number of degrees of freedom (n − 1)·D of n
// particles in R^D with the centre of mass removed.
func EffectiveDim(n, spatialDim int) int {
	if n < 1 || spatialDim < 1 {
		panic("targets: particle count and spatial dimension must be positive")
	}
	return (n - 1) * spatialDim
}

// EffectiveDimOf returns (n − 1)·D for a ParticleSystem and Dim() for any
// other target: the d_eff of the proposal's Gaussian normalizer.
func EffectiveDimOf(t Target) int {
	if p, ok := t.(ParticleSystem); ok {
		return EffectiveDim(p.Particles())
	}
	return t.Dim()
}

// RemoveMean projects one configuration x (n×D, row-major) onto the
// centre-of-mass-free subspace in place: x_i ← x_i − x̄ with
// x̄ = (1/n) Σ_i x_i. It panics unless len(x) = n·D.
func RemoveMean(x []float64, n, spatialDim int) {
	if n < 1 || spatialDim < 1 || len(x) != n*spatialDim {
		panic("targets: RemoveMean needs len(x) = n·D")
	}
	removeMean(x, n, spatialDim)
}

// RemoveMeanBatch applies RemoveMean to every configuration of a batch x
// (B×(n·D), row-major). It panics unless len(x) is a multiple of n·D.
func RemoveMeanBatch(x []float64, n, spatialDim int) {
	if n < 1 || spatialDim < 1 || len(x)%(n*spatialDim) != 0 {
		panic("targets: RemoveMeanBatch needs len(x) to be a multiple of n·D")
	}
	d := n * spatialDim
	for i := 0; i < len(x); i += d {
		removeMean(x[i:i+d], n, spatialDim)
	}
}

// MeanFreeProjector returns a function that removes the particle mean of
// every configuration of a batch (RemoveMeanBatch) for a ParticleSystem, and
// nil for any other target; it suits sim.SamplerConfig.Project.
func MeanFreeProjector(t Target) func(x []float64) {
	p, ok := t.(ParticleSystem)
	if !ok {
		return nil
	}
	n, sd := p.Particles()
	return func(x []float64) { RemoveMeanBatch(x, n, sd) }
}

// removeMean subtracts the particle mean from one configuration; spatial
// dimensions up to 4 use no heap memory.
func removeMean(x []float64, n, sd int) {
	var buf [4]float64
	var mean []float64
	if sd <= len(buf) {
		mean = buf[:sd]
	} else {
		mean = make([]float64, sd)
	}
	for i := 0; i < len(x); i += sd {
		for c := range sd {
			mean[c] += x[i+c]
		}
	}
	for c := range mean {
		mean[c] /= float64(n)
	}
	for i := 0; i < len(x); i += sd {
		for c := range sd {
			x[i+c] -= mean[c]
		}
	}
}

// NumPairs returns n(n − 1)/2, the number of particle pairs i < j.
func NumPairs(n int) int { return n * (n - 1) / 2 }

// PairDistances writes the interatomic distances d_ij = ‖x_i − x_j‖ (no
// softening) of every configuration of x (B×(n·D), row-major) into dst
// (B×n(n−1)/2, allocated when nil), pairs in the order (0,1), (0,2), …,
// (0,n−1), (1,2), …, and returns dst. The interatomic-distance histogram of
// the metrics is built from it.
func PairDistances(dst, x []float64, n, spatialDim int) []float64 {
	d := n * spatialDim
	if n < 2 || spatialDim < 1 || len(x)%d != 0 {
		panic("targets: PairDistances needs n ≥ 2 and len(x) a multiple of n·D")
	}
	p := NumPairs(n)
	b := len(x) / d
	if dst == nil {
		dst = make([]float64, b*p)
	}
	if len(dst) != b*p {
		panic("targets: PairDistances destination has the wrong length")
	}
	k := 0
	for s := 0; s < len(x); s += d {
		c := x[s : s+d]
		for i := range n {
			xi := c[i*spatialDim : (i+1)*spatialDim]
			for j := i + 1; j < n; j++ {
				xj := c[j*spatialDim : (j+1)*spatialDim]
				var r2 float64
				for a, v := range xi {
					dv := v - xj[a]
					r2 += dv * dv
				}
				dst[k] = math.Sqrt(r2)
				k++
			}
		}
	}
	return dst
}
