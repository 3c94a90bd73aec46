package sim

// Matrix products of the score networks (the MLP and the EGNN):
//
//	C = op(A)·op(B)   or   C += op(A)·op(B),
//
// op(A) m×k (A itself, or Aᵀ of a k×m A), op(B) k×n (B, or Bᵀ of an n×k B),
// every matrix row-major with its own row stride. One implementation, serial
// and allocation-free (the scratch belongs to the caller), with two
// micro-kernels chosen at run time:
//
//   - amd64 with AVX2 and FMA (useAVX2, gemm_amd64.go/.s): a 6×8 register
//     tile of twelve YMM accumulators, reading op(A) in place through its
//     strides and op(B) from packed panels of eight columns.
//   - everywhere else (js/wasm, and amd64 without AVX2): a 2×3 register
//     tile in pure Go (six accumulators, few enough that the compiler spills
//     nothing) reading two rows of op(A) and a packed panel of three columns
//     of op(B), two terms per iteration.
//
// Measured on the project's shared 2-core AMD machine (one core; see
// BenchmarkGemmMLPShapes and BenchmarkGemmEGNNShapes): the AVX2 kernel runs
// the MLP's products at 42–44 GFLOP/s and the EGNN's at 44–46, against
// 9.2–10 for gonum's Dgemm (SSE2 assembly, kept serial) that the MLP used,
// and about 50 on large products alone, where the EGNN's former 4×8 tile
// reached 46. The pure-Go kernel runs them at 8.8–9.5 GFLOP/s natively,
// 94–97 % of gonum's Dgemm, so gonum is no longer a fallback (an amd64
// machine without AVX2 loses those few per cent), and at about 4 GFLOP/s
// under js/wasm, where gonum (pure Go there) reaches 0.4–0.6.
//
// Both take the k dimension gemmKB terms at a time and pack each block of
// op(B) into zero-padded panels (packB) once, which costs O(kn) copies
// against O(mkn) flops.

// gemmKB is the number of product terms (the k dimension) per block.
const gemmKB = 256

// gemmEdgeRows is the number of rows of the AVX2 tile: the last m mod 6
// rows of op(A) go through a zero-padded copy of six rows.
const gemmEdgeRows = 6

// gemmScratch holds the packing buffers of one goroutine's products. The
// zero value works; reserve sizes it up front so that no product allocates.
type gemmScratch struct {
	pack []float64 // one block of op(B) in panels, at most gemmKB × (n+7)
	rows []float64 // rows of op(A) copied contiguous, at most gemmKB × max(m, 6)
}

// reserve grows the buffers to hold products of up to maxM rows and maxN
// columns on either kernel; it allocates only when they grow.
func (g *gemmScratch) reserve(maxM, maxN int) {
	if n := gemmKB * (maxN + 7); cap(g.pack) < n {
		g.pack = make([]float64, n)
	}
	if n := gemmKB * max(maxM, gemmEdgeRows); cap(g.rows) < n {
		g.rows = make([]float64, n)
	}
}

// gemm computes C = op(A)·op(B), or C += op(A)·op(B) when acc, for the
// m×n matrix C (row stride ldc), where op(A) is m×k (A itself, row stride
// lda, when !ta; Aᵀ of the k×m matrix A when ta) and op(B) is k×n (B, row
// stride ldb, when !tb; Bᵀ of the n×k matrix B when tb). C must not overlap
// A or B. It panics (with a "sim: " message) when an operand is too short
// for its shape, since the assembly kernel does not check bounds.
func (g *gemmScratch) gemm(acc, ta, tb bool, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic("sim: negative matrix product size")
	}
	if m == 0 || n == 0 {
		return
	}
	ar, ac, br, bc := m, k, k, n // extents of A and B as stored
	if ta {
		ar, ac = k, m
	}
	if tb {
		br, bc = n, k
	}
	if (ar > 0 && len(a) < (ar-1)*lda+ac) || (br > 0 && len(b) < (br-1)*ldb+bc) ||
		len(c) < (m-1)*ldc+n || lda < ac || ldb < bc || ldc < n {
		panic("sim: matrix product operand too short")
	}
	if k == 0 {
		if !acc {
			for i := range m {
				clear(c[i*ldc : i*ldc+n])
			}
		}
		return
	}
	if useAVX2 {
		g.gemmAVX2(acc, ta, tb, m, n, k, a, lda, b, ldb, c, ldc)
		return
	}
	g.gemmGo(acc, ta, tb, m, n, k, a, lda, b, ldb, c, ldc)
}

// packB copies op(B)[k0:k0+kb, 0:n] into g.pack as ⌈n/w⌉ panels of w
// columns, zero-padded: panel p holds op(B)[k0+l, p·w + r] at
// [p·w·kb + w·l + r]. It returns the packed block.
func (g *gemmScratch) packB(tb bool, b []float64, ldb, k0, kb, n, w int) []float64 {
	np := (n + w - 1) / w * w
	if cap(g.pack) < np*kb {
		g.pack = make([]float64, np*kb)
	}
	pk := g.pack[:np*kb]
	for j := 0; j < n; j += w {
		pan := pk[j*kb : (j+w)*kb]
		cols := min(w, n-j)
		if cols < w {
			clear(pan)
		}
		if tb {
			// Column j+r of op(B) is row j+r of B: read it contiguously.
			for r := range cols {
				src := b[(j+r)*ldb+k0 : (j+r)*ldb+k0+kb]
				for l, v := range src {
					pan[w*l+r] = v
				}
			}
			continue
		}
		for l := range kb {
			copy(pan[w*l:w*l+cols], b[(k0+l)*ldb+j:(k0+l)*ldb+j+cols])
		}
	}
	return pk
}

// copyRows copies rows [i0, i1) of op(A)[:, k0:k0+kb] into g.rows, each
// row contiguous (kb values) and padded with zero rows up to pad rows in
// all; it returns the copy.
func (g *gemmScratch) copyRows(ta bool, a []float64, lda, i0, i1, k0, kb, pad int) []float64 {
	nr := max(i1-i0, pad)
	if cap(g.rows) < nr*kb {
		g.rows = make([]float64, nr*kb)
	}
	rows := g.rows[:nr*kb]
	clear(rows[(i1-i0)*kb:])
	if !ta {
		for i := i0; i < i1; i++ {
			copy(rows[(i-i0)*kb:(i-i0+1)*kb], a[i*lda+k0:i*lda+k0+kb])
		}
		return rows
	}
	// op(A)[i, k0+l] = A[k0+l, i]: read the rows of A, write columns.
	for l := range kb {
		src := a[(k0+l)*lda+i0 : (k0+l)*lda+i1]
		for i, v := range src {
			rows[i*kb+l] = v
		}
	}
	return rows
}

// storeTile writes (or adds, when acc) v into dst.
func storeTile(dst, v []float64, acc bool) {
	v = v[:len(dst)]
	if acc {
		for r := range dst {
			dst[r] += v[r]
		}
		return
	}
	copy(dst, v)
}

// gemmGoRows is the number of rows of op(A) run against every panel before
// moving on: 32 rows of one block (64 KB) stay in L2 while the panels
// stream from L1.
const gemmGoRows = 32

// gemmGo is gemm on the pure-Go 2×3 kernel.
func (g *gemmScratch) gemmGo(acc, ta, tb bool, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int) {
	for k0 := 0; k0 < k; k0 += gemmKB {
		kb := min(gemmKB, k-k0)
		accb := acc || k0 > 0
		pk := g.packB(tb, b, ldb, k0, kb, n, 3)
		// Rows of this block of op(A): row i is ar[i·ldr : i·ldr+kb].
		ar, ldr := a[k0:], lda
		if ta {
			ar, ldr = g.copyRows(true, a, lda, 0, m, k0, kb, 0), kb
		}
		for i0 := 0; i0 < m; i0 += gemmGoRows {
			i1 := min(i0+gemmGoRows, m)
			for j := 0; j < n; j += 3 {
				pan := pk[j*kb : (j+3)*kb]
				cols := min(3, n-j)
				i := i0
				for ; i+2 <= i1; i += 2 {
					t := kernel2x3(ar[i*ldr:i*ldr+kb], ar[(i+1)*ldr:(i+1)*ldr+kb], pan)
					if cols == 3 && !accb {
						r0 := c[i*ldc+j : i*ldc+j+3 : i*ldc+j+3]
						r1 := c[(i+1)*ldc+j : (i+1)*ldc+j+3 : (i+1)*ldc+j+3]
						r0[0], r0[1], r0[2] = t[0], t[1], t[2]
						r1[0], r1[1], r1[2] = t[3], t[4], t[5]
						continue
					}
					storeTile(c[i*ldc+j:i*ldc+j+cols], t[:3], accb)
					storeTile(c[(i+1)*ldc+j:(i+1)*ldc+j+cols], t[3:], accb)
				}
				if i < i1 {
					t := kernel1x3(ar[i*ldr:i*ldr+kb], pan)
					storeTile(c[i*ldc+j:i*ldc+j+cols], t[:], accb)
				}
			}
		}
	}
}

// kernel2x3 returns the 2×3 tile a·p, rows a0 and a1 against the panel p
// (len(a0) rows of three values), row by row. Two terms per iteration:
// 10–30 % faster natively and 50 % under js/wasm than one.
func kernel2x3(a0, a1, p []float64) [6]float64 {
	a1 = a1[:len(a0)]
	p = p[:3*len(a0)]
	var c00, c01, c02, c10, c11, c12 float64
	l := 0
	for ; l+2 <= len(a0); l += 2 {
		q := p[3*l : 3*l+6 : 3*l+6]
		x, y := a0[l], a1[l]
		c00 += x * q[0]
		c01 += x * q[1]
		c02 += x * q[2]
		c10 += y * q[0]
		c11 += y * q[1]
		c12 += y * q[2]
		x, y = a0[l+1], a1[l+1]
		c00 += x * q[3]
		c01 += x * q[4]
		c02 += x * q[5]
		c10 += y * q[3]
		c11 += y * q[4]
		c12 += y * q[5]
	}
	if l < len(a0) {
		q := p[3*l : 3*l+3 : 3*l+3]
		x, y := a0[l], a1[l]
		c00 += x * q[0]
		c01 += x * q[1]
		c02 += x * q[2]
		c10 += y * q[0]
		c11 += y * q[1]
		c12 += y * q[2]
	}
	return [6]float64{c00, c01, c02, c10, c11, c12}
}

// kernel1x3 is kernel2x3 for a single row.
func kernel1x3(a0, p []float64) [3]float64 {
	p = p[:3*len(a0)]
	var c0, c1, c2 float64
	for l, x := range a0 {
		q := p[3*l : 3*l+3 : 3*l+3]
		c0 += x * q[0]
		c1 += x * q[1]
		c2 += x * q[2]
	}
	return [3]float64{c0, c1, c2}
}
