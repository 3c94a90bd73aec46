package sim

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Matrix products of the EGNN: C (+)= op(A)·op(B), serial and
// allocation-free, in three implementations of the same product, each tested
// against a naive loop (egnn_test.go):
//
//   - egnnGemmAVX (amd64 with AVX2 and FMA; egnn_simd_amd64.go/.s): a 4×8
//     register tile of YMM accumulators reading op(A) and B in place through
//     strides, packing only Bᵀ into 8-column panels. About 37 GFLOP/s on one
//     core of this project's 2-core AMD machine (process CPU time, 2048×128
//     by 128×128).
//   - egnnGemmGonum (amd64 without AVX2): gonum's Dgemm on blocks of at most
//     64×192 outputs and 256 terms, small enough that Dgemm stays serial (it
//     spawns goroutines and allocates from four 64×64 blocks on). Measured
//     the same way: 10.5 GFLOP/s for A·Bᵀ, 8.6 for A·B, 7.5 for Aᵀ·B.
//   - egnnGemmGo (everything else, js/wasm among them): op(B) packed into
//     4-column panels and a 2×4 register-blocked kernel in pure Go: about 7
//     GFLOP/s natively and 3.5 under js/wasm, where gonum (no assembly
//     there) reaches 1.2.
//
// The sigmoids of the network (egnnSigmoidRows) likewise run four at a time
// with AVX2, about 1.3 ns per value against 10 for 1/(1 + math.Exp(−z)),
// and elsewhere on a polynomial, about 12 ns against 55 under js/wasm.

// egnnGemmKB is the number of product terms (the k dimension) handled per
// block, so that the operands of one block stay in L1/L2.
const egnnGemmKB = 256

// egnnGemmScratch holds the packing buffers of one goroutine's products.
type egnnGemmScratch struct {
	pack  []float64 // op(B) block packed into panels, egnnGemmKB × ⌈n/8⌉·8
	trans []float64 // op(A) block transposed, m × egnnGemmKB
	edge  []float64 // up to four rows of op(A) zero-padded, 4 × egnnGemmKB
}

// newEGNNGemmScratch returns buffers for products with m ≤ maxM rows and
// n ≤ maxN columns.
func newEGNNGemmScratch(maxM, maxN int) egnnGemmScratch {
	return egnnGemmScratch{
		pack:  make([]float64, egnnGemmKB*((maxN+7)&^7)),
		trans: make([]float64, egnnGemmKB*maxM),
		edge:  make([]float64, egnnGemmKB*4),
	}
}

// egnnGemm computes C = op(A)·op(B), or C += op(A)·op(B) when acc, for the
// m×n matrix C (row stride ldc), where op(A) is m×k (A itself when !ta,
// stride lda; Aᵀ of the k×m matrix A when ta) and op(B) is k×n (B when !tb,
// stride ldb; Bᵀ of the n×k matrix B when tb).
func egnnGemm(acc, ta, tb bool, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, sc *egnnGemmScratch) {
	if m == 0 || n == 0 {
		return
	}
	// The assembly kernels do not check bounds: check every operand's extent.
	ar, ac, br, bc := m, k, k, n
	if ta {
		ar, ac = k, m
	}
	if tb {
		br, bc = n, k
	}
	if (ar > 0 && len(a) < (ar-1)*lda+ac) || (br > 0 && len(b) < (br-1)*ldb+bc) ||
		len(c) < (m-1)*ldc+n || lda < ac || ldb < bc || ldc < n {
		panic("sim: EGNN matrix product operand too short")
	}
	if k == 0 {
		if !acc {
			for i := range m {
				clear(c[i*ldc : i*ldc+n])
			}
		}
		return
	}
	if egnnGemmNative(acc, ta, tb, m, n, k, a, lda, b, ldb, c, ldc, sc) {
		return
	}
	egnnGemmGo(acc, ta, tb, m, n, k, a, lda, b, ldb, c, ldc, sc)
}

// egnnGemmGonum is egnnGemm through gonum's serial Dgemm.
func egnnGemmGonum(acc, ta, tb bool, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int) {
	var impl gonum.Implementation
	tA, tB := blas.NoTrans, blas.NoTrans
	if ta {
		tA = blas.Trans
	}
	if tb {
		tB = blas.Trans
	}
	for k0 := 0; k0 < k; k0 += egnnGemmKB {
		kb := min(egnnGemmKB, k-k0)
		beta := 1.0
		if k0 == 0 && !acc {
			beta = 0
		}
		for i0 := 0; i0 < m; i0 += 64 {
			mb := min(64, m-i0)
			ao := i0*lda + k0
			if ta {
				ao = k0*lda + i0
			}
			for j0 := 0; j0 < n; j0 += 192 {
				nb := min(192, n-j0)
				bo := k0*ldb + j0
				if tb {
					bo = j0*ldb + k0
				}
				impl.Dgemm(tA, tB, mb, nb, kb, 1, a[ao:], lda, b[bo:], ldb, beta, c[i0*ldc+j0:], ldc)
			}
		}
	}
}

// egnnGemmGo is egnnGemm in pure Go: op(A) and op(B) are copied block by
// block into contiguous scratch (A transposed when ta, B packed into panels
// of four columns) and multiplied by egnnKernel.
func egnnGemmGo(acc, ta, tb bool, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, sc *egnnGemmScratch) {
	np := (n + 3) &^ 3
	if len(sc.pack) < egnnGemmKB*np || (ta && len(sc.trans) < egnnGemmKB*m) {
		panic("sim: EGNN matrix product scratch too small")
	}
	for k0 := 0; k0 < k; k0 += egnnGemmKB {
		kb := min(egnnGemmKB, k-k0)
		ab, ldab := a[k0:], lda
		if ta {
			// op(A)[i, l] = A[k0+l, i].
			t := sc.trans[:m*kb]
			for l := 0; l < kb; l++ {
				row := a[(k0+l)*lda : (k0+l)*lda+m]
				for i, v := range row {
					t[i*kb+l] = v
				}
			}
			ab, ldab = t, kb
		}
		// Panel p holds op(B)[k0+l, 4p+r] at pack[p·4kb + 4l + r].
		pk := sc.pack[:np*kb]
		for j := 0; j < n; j += 4 {
			w := min(4, n-j)
			pan := pk[j*kb : j*kb+4*kb]
			for l := 0; l < kb; l++ {
				q := pan[4*l : 4*l+4 : 4*l+4]
				if tb {
					for r := 0; r < w; r++ {
						q[r] = b[(j+r)*ldb+k0+l]
					}
				} else {
					copy(q[:w], b[(k0+l)*ldb+j:(k0+l)*ldb+j+w])
				}
				for r := w; r < 4; r++ {
					q[r] = 0
				}
			}
		}
		egnnKernel(acc || k0 > 0, m, n, kb, ab, ldab, pk, c, ldc)
	}
}

// egnnKernel computes C = A·B (C += A·B when acc) for A m×k (stride lda) and
// B k×n packed into panels of four columns; rows are taken 32 at a time so
// that they stay in cache while the panels stream.
func egnnKernel(acc bool, m, n, k int, a []float64, lda int, pk []float64, c []float64, ldc int) {
	for i0 := 0; i0 < m; i0 += 32 {
		i1 := min(i0+32, m)
		for j := 0; j < n; j += 4 {
			w := min(4, n-j)
			pan := pk[j*k : j*k+4*k]
			i := i0
			for ; i+2 <= i1; i += 2 {
				a0 := a[i*lda : i*lda+k]
				a1 := a[(i+1)*lda : (i+1)*lda+k]
				a1 = a1[:len(a0)]
				pan := pan[:4*len(a0)]
				var c00, c01, c02, c03, c10, c11, c12, c13 float64
				for l, x := range a0 {
					q := pan[4*l : 4*l+4 : 4*l+4]
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
				if w == 4 && !acc {
					r0 := c[i*ldc+j : i*ldc+j+4 : i*ldc+j+4]
					r1 := c[(i+1)*ldc+j : (i+1)*ldc+j+4 : (i+1)*ldc+j+4]
					r0[0], r0[1], r0[2], r0[3] = c00, c01, c02, c03
					r1[0], r1[1], r1[2], r1[3] = c10, c11, c12, c13
					continue
				}
				if w == 4 {
					r0 := c[i*ldc+j : i*ldc+j+4 : i*ldc+j+4]
					r1 := c[(i+1)*ldc+j : (i+1)*ldc+j+4 : (i+1)*ldc+j+4]
					r0[0] += c00
					r0[1] += c01
					r0[2] += c02
					r0[3] += c03
					r1[0] += c10
					r1[1] += c11
					r1[2] += c12
					r1[3] += c13
					continue
				}
				v := [8]float64{c00, c01, c02, c03, c10, c11, c12, c13}
				for r := 0; r < w; r++ {
					if acc {
						c[i*ldc+j+r] += v[r]
						c[(i+1)*ldc+j+r] += v[4+r]
					} else {
						c[i*ldc+j+r] = v[r]
						c[(i+1)*ldc+j+r] = v[4+r]
					}
				}
			}
			if i < i1 {
				a0 := a[i*lda : i*lda+k]
				pan := pan[:4*len(a0)]
				var c00, c01, c02, c03 float64
				for l, x := range a0 {
					q := pan[4*l : 4*l+4 : 4*l+4]
					c00 += x * q[0]
					c01 += x * q[1]
					c02 += x * q[2]
					c03 += x * q[3]
				}
				v := [4]float64{c00, c01, c02, c03}
				for r := 0; r < w; r++ {
					if acc {
						c[i*ldc+j+r] += v[r]
					} else {
						c[i*ldc+j+r] = v[r]
					}
				}
			}
		}
	}
}
