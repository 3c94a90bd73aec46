package targets

import "fmt"

// ljSoft is the benchmark's softening: d_ij = sqrt(‖x_i − x_j‖² + 1e−6).
const ljSoft = 1e-6

// LennardJones is the LJ-n benchmark of iDEM: n particles in R³ with
// ε = r_m = 1, the pair sum over ordered pairs (twice the i<j sum) and a
// harmonic tether to the centre of mass,
//
//	E(x) = 2 Σ_{i<j} [(1/d_ij)¹² − 2 (1/d_ij)⁶] + ½ Σ_i ‖x_i − x̄‖²,
//	d_ij = sqrt(‖x_i − x_j‖² + 1e−6),
//
// and log π̃ = −E (temperature 1). The doubled pair sum is the convention the
// reference data satisfy (virial ⟨x·∇E⟩ = 3(n − 1)). A pair at the minimum
// d = 1 contributes −2. Coincident particles give a huge but finite energy
// (about 2·10³⁶ per pair) thanks to the softening; overflowing or
// non-finite coordinates give +Inf and a zero score.
type LennardJones struct{ particleBase }

// NewLJ returns "lj<n>" for n ≥ 2 particles. LJ-13 has iDEM's reference
// sets and schedule (σ_min, σ_max) = (0.01, 2); LJ-55 has iDEM's schedule
// (0.5, 4) and no reference set (ErrNoReference); any other n uses LJ-13's
// schedule and has no reference set.
func NewLJ(n int) (*LennardJones, error) {
	if n < 2 || n > 10000 {
		return nil, fmt.Errorf("targets: Lennard-Jones needs 2 ≤ n ≤ 10000 particles, got %d", n)
	}
	t := &LennardJones{particleBase{name: fmt.Sprintf("lj%d", n), n: n, sd: 3, hintMin: 0.01, hintMax: 2}}
	switch n {
	case 13:
		t.refTest, t.refVal = "test_split_LJ13-1000.npy", "val_split_LJ13-1000.npy"
	case 55:
		t.hintMin, t.hintMax = 0.5, 4
	}
	return t, nil
}

// LogProb returns −E(x); −Inf where E is not finite.
func (t *LennardJones) LogProb(x []float64) float64 {
	t.checkPoint(nil, x)
	return -t.energy(nil, x)
}

// Score writes −∇E(x) into dst (allocated when nil):
//
//	−∂E/∂x_i = −Σ_{j≠i} 24 (d_ij^{−8} − d_ij^{−14}) (x_i − x_j) − (x_i − x̄).
func (t *LennardJones) Score(dst, x []float64) []float64 {
	if dst == nil {
		dst = make([]float64, len(x))
	}
	t.checkPoint(dst, x)
	t.energy(dst, x)
	return dst
}

// LogProbScoreBatch evaluates the rows of x (B×3n); see BatchTarget.
func (t *LennardJones) LogProbScoreBatch(logp, score, x []float64) {
	t.batch(t.energy, logp, score, x)
}

// energy returns E(x) and, when s is not nil, writes −∇E(x) into it.
func (t *LennardJones) energy(s, x []float64) float64 {
	n := t.n
	x = x[:3*n]
	if s != nil {
		s = s[:3*n]
	}
	var mx, my, mz float64
	for i := 0; i < len(x); i += 3 {
		mx += x[i]
		my += x[i+1]
		mz += x[i+2]
	}
	inv := 1 / float64(n)
	mx, my, mz = mx*inv, my*inv, mz*inv
	zero(s)
	var pair, harm float64
	for i := range n {
		xi, yi, zi := x[3*i], x[3*i+1], x[3*i+2]
		hx, hy, hz := xi-mx, yi-my, zi-mz
		harm += hx*hx + hy*hy + hz*hz
		if s == nil {
			for j := i + 1; j < n; j++ {
				xj := x[3*j : 3*j+3 : 3*j+3]
				dx, dy, dz := xi-xj[0], yi-xj[1], zi-xj[2]
				iu := 1 / (dx*dx + dy*dy + dz*dz + ljSoft)
				i3 := iu * iu * iu
				pair += i3*i3 - 2*i3
			}
			continue
		}
		// Score: −(x_i − x̄) from the tether, ∓c (x_i − x_j) from each pair
		// with c = dE/dx_i / (x_i − x_j) = 24 u⁻¹ (u⁻³ − u⁻⁶), u = d².
		sx, sy, sz := s[3*i]-hx, s[3*i+1]-hy, s[3*i+2]-hz
		for j := i + 1; j < n; j++ {
			xj, sj := x[3*j:3*j+3:3*j+3], s[3*j:3*j+3:3*j+3]
			dx, dy, dz := xi-xj[0], yi-xj[1], zi-xj[2]
			iu := 1 / (dx*dx + dy*dy + dz*dz + ljSoft)
			i3 := iu * iu * iu
			i6 := i3 * i3
			pair += i6 - 2*i3
			c := 24 * iu * (i3 - i6)
			fx, fy, fz := c*dx, c*dy, c*dz
			sx -= fx
			sy -= fy
			sz -= fz
			sj[0] += fx
			sj[1] += fy
			sj[2] += fz
		}
		s[3*i], s[3*i+1], s[3*i+2] = sx, sy, sz
	}
	return guard(2*pair+0.5*harm, s)
}
