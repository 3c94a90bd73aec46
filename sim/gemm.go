package sim

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Matrix products of the score network: serial and allocation-free, with two
// implementations chosen per architecture (gemmUseBLAS):
//
//   - amd64: gonum's Dgemm, whose inner loops are SSE2 assembly, called on
//     blocks of C small enough (fewer than four 64×64 blocks) that it stays
//     serial: larger calls spawn goroutines and allocate on every call;
//   - elsewhere (js/wasm): a pure-Go packed kernel, about 4× faster than
//     gonum's assembly-free Dgemm under wasm.
//
// The packed kernel reduces every product to C (+)= A·B with A row-major and B
// packed into panels of four columns (k×4, contiguous, the last panel padded
// with zeros). A 2×4 register-blocked micro-kernel (eight accumulators) then
// reads one A value per row and four contiguous panel values per k. On the
// products of the network's forward+backward pass (BenchmarkGemm*MLPShapes,
// on this project's shared 2-core AMD machine) it runs at 7.0 GFLOP/s
// natively, where the chunked serial Dgemm reaches 9.1, and at 3.1–3.3
// GFLOP/s under js/wasm, where gonum's Dgemm reaches 0.75–0.79.
//
// The three shapes the network needs:
//
//	gemmNN: C (+)= A·B,   A m×k, B k×n  (forward: Z = H·W)
//	gemmNT: C (+)= A·Bᵀ,  A m×k, B n×k  (backward: dH = dZ·Wᵀ)
//	gemmTN: C (+)= Aᵀ·B,  A k×m, B k×n  (backward: dW += Hᵀ·dZ)
//
// The packed gemmTN transposes A into scratch first (O(mk) moves against
// O(mkn) flops).

// gemmRowBlock is the number of A rows run against all panels before moving
// on, so that the rows stay in L1/L2 while the packed B streams from L2.
const gemmRowBlock = 32

// gemmScratch holds the packing buffers of one goroutine's products.
type gemmScratch struct {
	pack  []float64 // packed B panels
	trans []float64 // transposed A (gemmTN)
}

// packedLen returns the length of k×n packed into 4-column panels.
func packedLen(k, n int) int { return k * ((n + 3) &^ 3) }

// reserve grows the buffers to hold products with packed B of packLen values
// and a transposed A of transLen values; it allocates only when they grow.
func (g *gemmScratch) reserve(packLen, transLen int) {
	if cap(g.pack) < packLen {
		g.pack = make([]float64, packLen)
	}
	if cap(g.trans) < transLen {
		g.trans = make([]float64, transLen)
	}
}

// packB packs the row-major k×n matrix b into dst as ⌈n/4⌉ panels of k×4:
// dst[p·4k + 4l + r] = b[l·n + 4p + r], zero where 4p + r ≥ n.
func packB(dst, b []float64, k, n int) {
	for j := 0; j < n; j += 4 {
		p := dst[j*k : j*k+4*k]
		w := min(4, n-j)
		if w == 4 {
			for l := range k {
				src := b[l*n+j : l*n+j+4 : l*n+j+4]
				q := p[4*l : 4*l+4 : 4*l+4]
				q[0], q[1], q[2], q[3] = src[0], src[1], src[2], src[3]
			}
			continue
		}
		for l := range k {
			q := p[4*l : 4*l+4 : 4*l+4]
			for r := range 4 {
				if r < w {
					q[r] = b[l*n+j+r]
				} else {
					q[r] = 0
				}
			}
		}
	}
}

// packBT packs the transpose of the row-major n×k matrix b (so that the
// product uses Bᵀ, k×n) into dst: dst[p·4k + 4l + r] = b[(4p + r)·k + l].
func packBT(dst, b []float64, n, k int) {
	for j := 0; j < n; j += 4 {
		p := dst[j*k : j*k+4*k]
		w := min(4, n-j)
		if w == 4 {
			b0 := b[j*k : j*k+k]
			b1 := b[(j+1)*k : (j+1)*k+k]
			b2 := b[(j+2)*k : (j+2)*k+k]
			b3 := b[(j+3)*k : (j+3)*k+k]
			b1, b2, b3 = b1[:len(b0)], b2[:len(b0)], b3[:len(b0)]
			for l := range b0 {
				q := p[4*l : 4*l+4 : 4*l+4]
				q[0], q[1], q[2], q[3] = b0[l], b1[l], b2[l], b3[l]
			}
			continue
		}
		for l := range k {
			q := p[4*l : 4*l+4 : 4*l+4]
			for r := range 4 {
				if r < w {
					q[r] = b[(j+r)*k+l]
				} else {
					q[r] = 0
				}
			}
		}
	}
}

// transpose writes the transpose of the row-major r×c matrix a into dst (c×r).
func transpose(dst, a []float64, r, c int) {
	const blk = 16
	for i0 := 0; i0 < r; i0 += blk {
		i1 := min(i0+blk, r)
		for j0 := 0; j0 < c; j0 += blk {
			j1 := min(j0+blk, c)
			for i := i0; i < i1; i++ {
				row := a[i*c : i*c+c]
				for j := j0; j < j1; j++ {
					dst[j*r+i] = row[j]
				}
			}
		}
	}
}

// gemmNN computes C = A·B (acc false) or C += A·B (acc true) for row-major
// A (m×k), B (k×n) and C (m×n).
func (g *gemmScratch) gemmNN(c, a, b []float64, m, k, n int, acc bool) {
	checkGemm(c, a, b, m, k, n)
	if gemmUseBLAS {
		blasGemm(blas.NoTrans, blas.NoTrans, c, a, b, m, k, n, acc)
		return
	}
	g.packedNN(c, a, b, m, k, n, acc)
}

// gemmNT computes C (+)= A·Bᵀ for row-major A (m×k), B (n×k), C (m×n).
func (g *gemmScratch) gemmNT(c, a, b []float64, m, k, n int, acc bool) {
	checkGemm(c, a, b, m, k, n)
	if gemmUseBLAS {
		blasGemm(blas.NoTrans, blas.Trans, c, a, b, m, k, n, acc)
		return
	}
	g.packedNT(c, a, b, m, k, n, acc)
}

// gemmTN computes C (+)= Aᵀ·B for row-major A (k×m), B (k×n), C (m×n).
func (g *gemmScratch) gemmTN(c, a, b []float64, m, k, n int, acc bool) {
	checkGemm(c, a, b, m, k, n)
	if gemmUseBLAS {
		blasGemm(blas.Trans, blas.NoTrans, c, a, b, m, k, n, acc)
		return
	}
	g.packedTN(c, a, b, m, k, n, acc)
}

// blasGemm computes C (+)= op(A)·op(B) with gonum's Dgemm on blocks of C of
// at most three 64×64 tiles (64 rows × 192 columns, or 192 rows × 64
// columns), below the size at which Dgemm goes parallel, so that it stays
// serial and allocation-free. A is m×k (k×m when ta), B is k×n (n×k when
// tb), all row-major and tight.
func blasGemm(ta, tb blas.Transpose, c, a, b []float64, m, k, n int, acc bool) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 { // Dgemm rejects leading dimensions of 0
		if !acc {
			clear(c[:m*n])
		}
		return
	}
	beta := 0.0
	if acc {
		beta = 1
	}
	lda, ldb := k, n
	if ta == blas.Trans {
		lda = m
	}
	if tb == blas.Trans {
		ldb = k
	}
	var impl gonum.Implementation
	cw := min(n, 192)
	rows := 64
	if cw <= 64 {
		rows = 192
	}
	for j0 := 0; j0 < n; j0 += cw {
		nj := min(cw, n-j0)
		bj := b[j0:] // column block of B (k×n)
		if tb == blas.Trans {
			bj = b[j0*k:] // row block of B (n×k)
		}
		for i0 := 0; i0 < m; i0 += rows {
			mi := min(rows, m-i0)
			ai := a[i0*k:] // row block of A (m×k)
			if ta == blas.Trans {
				ai = a[i0:] // column block of A (k×m)
			}
			impl.Dgemm(ta, tb, mi, nj, k, 1, ai, lda, bj, ldb, beta, c[i0*n+j0:], n)
		}
	}
}

// packedNN is gemmNN with the packed kernel.
func (g *gemmScratch) packedNN(c, a, b []float64, m, k, n int, acc bool) {
	g.reserve(packedLen(k, n), 0)
	bp := g.pack[:packedLen(k, n)]
	packB(bp, b, k, n)
	gemmPacked(c, a, bp, m, k, n, acc)
}

// packedNT is gemmNT with the packed kernel.
func (g *gemmScratch) packedNT(c, a, b []float64, m, k, n int, acc bool) {
	g.reserve(packedLen(k, n), 0)
	bp := g.pack[:packedLen(k, n)]
	packBT(bp, b, n, k)
	gemmPacked(c, a, bp, m, k, n, acc)
}

// packedTN is gemmTN with the packed kernel.
func (g *gemmScratch) packedTN(c, a, b []float64, m, k, n int, acc bool) {
	g.reserve(packedLen(k, n), m*k)
	at := g.trans[:m*k]
	transpose(at, a[:k*m], k, m)
	bp := g.pack[:packedLen(k, n)]
	packB(bp, b, k, n)
	gemmPacked(c, at, bp, m, k, n, acc)
}

// checkGemm panics when the operands cannot hold the product's shapes.
func checkGemm(c, a, b []float64, m, k, n int) {
	if m < 0 || k < 0 || n < 0 || len(a) < m*k || len(b) < k*n || len(c) < m*n {
		panic("sim: matrix product operand too short")
	}
}

// gemmPacked computes C (+)= A·B with B packed by packB.
func gemmPacked(c, a, bp []float64, m, k, n int, acc bool) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		if !acc {
			clear(c[:m*n])
		}
		return
	}
	for i0 := 0; i0 < m; i0 += gemmRowBlock {
		i1 := min(i0+gemmRowBlock, m)
		for j := 0; j < n; j += 4 {
			p := bp[j*k : j*k+4*k]
			w := min(4, n-j)
			i := i0
			for ; i+2 <= i1; i += 2 {
				kernel2x4(c, a, p, i, j, k, n, w, acc)
			}
			if i < i1 {
				kernel1x4(c, a, p, i, j, k, n, w, acc)
			}
		}
	}
}

// kernel2x4 computes the 2×w block of C at rows i, i+1 and columns j..j+w−1
// (w ≤ 4) from rows i, i+1 of A (m×k) and the packed panel p (k×4).
func kernel2x4(c, a, p []float64, i, j, k, n, w int, acc bool) {
	a0 := a[i*k : i*k+k]
	a1 := a[(i+1)*k : (i+1)*k+k]
	a1 = a1[:len(a0)]
	p = p[:4*len(a0)]
	var c00, c01, c02, c03, c10, c11, c12, c13 float64
	for l, x := range a0 {
		q := p[4*l : 4*l+4 : 4*l+4]
		b0, b1, b2, b3 := q[0], q[1], q[2], q[3]
		y := a1[l]
		c00 += x * b0
		c01 += x * b1
		c02 += x * b2
		c03 += x * b3
		c10 += y * b0
		c11 += y * b1
		c12 += y * b2
		c13 += y * b3
	}
	if w == 4 {
		r0 := c[i*n+j : i*n+j+4 : i*n+j+4]
		r1 := c[(i+1)*n+j : (i+1)*n+j+4 : (i+1)*n+j+4]
		if acc {
			r0[0] += c00
			r0[1] += c01
			r0[2] += c02
			r0[3] += c03
			r1[0] += c10
			r1[1] += c11
			r1[2] += c12
			r1[3] += c13
		} else {
			r0[0], r0[1], r0[2], r0[3] = c00, c01, c02, c03
			r1[0], r1[1], r1[2], r1[3] = c10, c11, c12, c13
		}
		return
	}
	v := [8]float64{c00, c01, c02, c03, c10, c11, c12, c13}
	storeEdge(c[i*n+j:i*n+j+w], v[:w], acc)
	storeEdge(c[(i+1)*n+j:(i+1)*n+j+w], v[4:4+w], acc)
}

// kernel1x4 is kernel2x4 for a single row i.
func kernel1x4(c, a, p []float64, i, j, k, n, w int, acc bool) {
	a0 := a[i*k : i*k+k]
	p = p[:4*len(a0)]
	var c00, c01, c02, c03 float64
	for l, x := range a0 {
		q := p[4*l : 4*l+4 : 4*l+4]
		c00 += x * q[0]
		c01 += x * q[1]
		c02 += x * q[2]
		c03 += x * q[3]
	}
	v := [4]float64{c00, c01, c02, c03}
	storeEdge(c[i*n+j:i*n+j+w], v[:w], acc)
}

// storeEdge writes (or adds, when acc) v into dst.
func storeEdge(dst, v []float64, acc bool) {
	if acc {
		for r := range dst {
			dst[r] += v[r]
		}
		return
	}
	copy(dst, v)
}
