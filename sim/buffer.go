package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Buffer is the replay buffer B of IW-SM and iDEM: a ring of the sampler's
// own recent samples plus a defensive block of broad samples that keeps the
// proposal's support wide. Both live in one flat slice, defensive rows
// first, so that the proposal density runs over one contiguous array.
//
// The proposal at time t is B noised by the forward kernel,
//
//	p_Bt(x) = (1/|B|) Σ_j N(x; b_j, σ_t² I_{d_eff}),
//
// sampled by picking b_j uniformly and adding σ_t z.
type Buffer struct {
	dim       int
	defensive int       // rows reserved for defensive samples
	ringCap   int       // rows of the ring of sampler samples
	rows      []float64 // (defensive + ringCap)×dim
	ringLen   int       // filled ring rows
	ringHead  int       // next ring row to overwrite
	project   func([]float64)
	dEff      int
	r2        []float64 // per-row squared distances (scratch of the density)
}

// ProposalScratch is the scratch NoisedLogDensityInto and
// NoisedLogDensitySubset need for a buffer of capacity rows.
func ProposalScratch(capacity int) []float64 { return make([]float64, 2*capacity) }

// NewBuffer returns an empty buffer of points in R^dim holding capacity rows
// in all, of which defensive are reserved for defensive samples (set with
// SetDefensive). dEff is the number of degrees of freedom of the noise
// ((n−1)·D for particle systems, dim otherwise) and project, when not nil,
// maps noised points back to the centre-of-mass-free subspace.
func NewBuffer(dim, capacity, defensive, dEff int, project func([]float64)) (*Buffer, error) {
	if dim < 1 || capacity < 1 || defensive < 0 || defensive >= capacity || dEff < 1 || dEff > dim {
		return nil, fmt.Errorf("sim: buffer needs dim ≥ 1, 0 ≤ defensive < capacity, 1 ≤ d_eff ≤ dim; got dim %d, capacity %d, defensive %d, d_eff %d",
			dim, capacity, defensive, dEff)
	}
	return &Buffer{dim: dim, defensive: defensive, ringCap: capacity - defensive,
		rows: make([]float64, capacity*dim), project: project, dEff: dEff,
		r2: ProposalScratch(capacity)}, nil
}

// Len returns |B|, the number of rows in use (defensive + filled ring rows).
func (b *Buffer) Len() int { return b.defensive + b.ringLen }

// Dim returns the dimension of each row.
func (b *Buffer) Dim() int { return b.dim }

// Defensive returns the number of defensive rows.
func (b *Buffer) Defensive() int { return b.defensive }

// Rows returns the rows in use, Len()×dim, defensive rows first. The slice is
// the buffer's own and changes with Push and SetDefensive.
func (b *Buffer) Rows() []float64 { return b.rows[:b.Len()*b.dim] }

// SetDefensive overwrites the defensive block with x (Defensive()×dim rows).
func (b *Buffer) SetDefensive(x []float64) {
	if len(x) != b.defensive*b.dim {
		panic("sim: defensive block size mismatch")
	}
	copy(b.rows, x)
}

// Push adds the rows of x (m×dim) to the ring, overwriting the oldest rows
// once it is full. Rows with a non-finite coordinate are skipped and counted
// in the result.
func (b *Buffer) Push(x []float64) (skipped int) {
	d := b.dim
	if len(x)%d != 0 {
		panic("sim: pushed rows are not a whole number of points")
	}
	for i := 0; i < len(x); i += d {
		row := x[i : i+d]
		if !allFinite(row) {
			skipped++
			continue
		}
		copy(b.rows[(b.defensive+b.ringHead)*d:], row)
		b.ringHead = (b.ringHead + 1) % b.ringCap
		b.ringLen = min(b.ringLen+1, b.ringCap)
	}
	return skipped
}

// SampleNoised draws x ~ p_Bt into dst: b_j with j uniform on the rows in
// use, plus σ z (projected when the buffer has a projection). It returns j.
func (b *Buffer) SampleNoised(dst []float64, sigma float64, rng *rand.Rand) int {
	if b.Len() == 0 {
		panic("sim: sampling an empty buffer")
	}
	j := rng.IntN(b.Len())
	for i := range dst {
		dst[i] = rng.NormFloat64()
	}
	if b.project != nil {
		b.project(dst)
	}
	src := b.rows[j*b.dim : (j+1)*b.dim]
	for i := range dst {
		dst[i] = src[i] + sigma*dst[i]
	}
	return j
}

// proposalCutoff is the log-density gap below the nearest row beyond which a
// row's term is dropped from the log-sum-exp (e^−40 ≈ 4e−18 relative).
const proposalCutoff = 40

// NoisedLogDensity returns log p_Bt(x) at noise level σ exactly, over every
// row in use, in float64 with log-sum-exp:
//
//	log p_Bt(x) = logsumexp_j(−‖x − b_j‖²/2σ²) − log|B| − (d_eff/2) log(2πσ²).
//
// Terms more than proposalCutoff below the largest are skipped, which makes
// small σ cheap. Not safe for concurrent use (it uses the buffer's scratch);
// see NoisedLogDensityInto.
func (b *Buffer) NoisedLogDensity(x []float64, sigma float64) float64 {
	return b.NoisedLogDensityInto(b.r2, x, sigma)
}

// NoisedLogDensityInto is NoisedLogDensity with caller-owned scratch (see
// ProposalScratch), for concurrent callers.
func (b *Buffer) NoisedLogDensityInto(scratch, x []float64, sigma float64) float64 {
	n, d := b.Len(), b.dim
	if len(x) != d || len(scratch) < 2*n {
		panic("sim: proposal density dimension mismatch")
	}
	minR2 := math.Inf(1)
	rows := b.rows[:n*d]
	r2s := scratch[:n]
	if d == 2 { // the 2-D targets: the common case, unrolled
		x0, x1 := x[0], x[1]
		for j := range r2s {
			e0, e1 := x0-rows[2*j], x1-rows[2*j+1]
			r2 := e0*e0 + e1*e1
			r2s[j] = r2
			if r2 < minR2 {
				minR2 = r2
			}
		}
	} else {
		for j := range r2s {
			row := rows[j*d : (j+1)*d]
			var r2 float64
			for i, v := range row {
				e := x[i] - v
				r2 += e * e
			}
			r2s[j] = r2
			if r2 < minR2 {
				minR2 = r2
			}
		}
	}
	return b.logMixture(r2s, scratch[n:2*n], minR2, float64(n), sigma)
}

// NoisedLogDensitySubset estimates log p_Bt(x) from the row the point was
// drawn from (source) and m other rows picked uniformly with replacement:
//
//	p̂ = (1/|B|) [N(x; b_source) + ((|B| − 1)/m) Σ_{j in subset} N(x; b_j)],
//
// an unbiased estimate of p_Bt(x) given the source that keeps the source's
// dominant term exact at small σ. m = 0 or m ≥ |B| − 1 gives the exact value.
func (b *Buffer) NoisedLogDensitySubset(scratch, x []float64, sigma float64, source, m int, rng *rand.Rand) float64 {
	n, d := b.Len(), b.dim
	if m <= 0 || m >= n-1 {
		return b.NoisedLogDensityInto(scratch, x, sigma)
	}
	if len(x) != d || len(scratch) < m+1 || source < 0 || source >= n {
		panic("sim: proposal density dimension mismatch")
	}
	dist := func(j int) float64 {
		var r2 float64
		for i, v := range b.rows[j*d : (j+1)*d] {
			e := x[i] - v
			r2 += e * e
		}
		return r2
	}
	// The source counts once; each subset row stands for (n−1)/m rows. In
	// the log-sum-exp this is an offset of log((n−1)/m) on subset terms.
	scratch[0] = dist(source)
	for s := 1; s <= m; s++ {
		j := rng.IntN(n - 1)
		if j >= source {
			j++
		}
		scratch[s] = dist(j)
	}
	inv := 1 / (2 * sigma * sigma)
	logRep := math.Log(float64(n-1) / float64(m))
	maxA := -scratch[0] * inv
	for s := 1; s <= m; s++ {
		maxA = math.Max(maxA, logRep-scratch[s]*inv)
	}
	sum := math.Exp(-scratch[0]*inv - maxA)
	for s := 1; s <= m; s++ {
		if a := logRep - scratch[s]*inv - maxA; a > -proposalCutoff {
			sum += math.Exp(a)
		}
	}
	return maxA + math.Log(sum) - math.Log(float64(n)) - 0.5*float64(b.dEff)*math.Log(2*math.Pi*sigma*sigma)
}

// logMixture finishes the log density from squared distances r2 (which it
// overwrites), with tmp as scratch of the same length: the terms above the
// cutoff are gathered and exponentiated together.
func (b *Buffer) logMixture(r2, tmp []float64, minR2, n, sigma float64) float64 {
	inv := 1 / (2 * sigma * sigma)
	m := 0
	for _, v := range r2 {
		if a := (minR2 - v) * inv; a > -proposalCutoff {
			r2[m] = a
			m++
		}
	}
	expSlice(r2[:m], tmp)
	var sum float64
	for _, e := range r2[:m] {
		sum += e
	}
	return -minR2*inv + math.Log(sum) - math.Log(n) - 0.5*float64(b.dEff)*math.Log(2*math.Pi*sigma*sigma)
}

// allFinite reports whether every entry of v is finite.
func allFinite(v []float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}
