package sim

// useAVX2 reports whether the processor has AVX2 and FMA and the operating
// system saves the YMM registers: the matrix products then run on
// kernel6x8 and the activations four values at a time (gemm_amd64.s,
// activations_amd64.s); otherwise on the portable Go code. Tests set it
// false to run the portable code on this machine too.
var useAVX2 = detectAVX2()

// cpuid executes CPUID with EAX = eaxArg and ECX = ecxArg (gemm_amd64.s).
func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

// xgetbv returns the extended control register XCR0 (gemm_amd64.s).
func xgetbv() (eax, edx uint32)

// detectAVX2 reports whether AVX2 and FMA may run (see useAVX2).
func detectAVX2() bool {
	maxLeaf, _, _, _ := cpuid(0, 0)
	if maxLeaf < 7 {
		return false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if ecx1&fma == 0 || ecx1&osxsave == 0 || ecx1&avx == 0 {
		return false
	}
	if xcr0, _ := xgetbv(); xcr0&6 != 6 { // XMM and YMM state enabled
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	return ebx7&(1<<5) != 0 // AVX2
}

// kernel6x8 computes the 6×8 tile C = A·B (C += A·B when acc) over k terms,
// with A[r, l] at a[r·ars + l·als] (strides in float64s), B a packed panel
// (B[l, 0:8] contiguous at b[8l]) and C row-major with row stride ldc
// (gemm_amd64.s). It does not check bounds: gemmAVX2 does.
//
//go:noescape
func kernel6x8(k int, a *float64, ars, als int, b *float64, c *float64, ldc int, acc bool)

// gemmAVX2 is gemm on kernel6x8. The kernel reads op(A) in place through
// its strides, transposed or not, and op(B) from panels of eight columns
// (packB). A ragged last panel goes through a local tile, and the last
// m mod 6 rows through a zero-padded copy of six rows (copyRows).
func (g *gemmScratch) gemmAVX2(acc, ta, tb bool, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int) {
	ars, als := lda, 1 // op(A)[i, l] at a[i·ars + l·als]
	if ta {
		ars, als = 1, lda
	}
	m6 := m - m%gemmEdgeRows
	n8 := n &^ 7
	var tile [gemmEdgeRows * 8]float64
	for k0 := 0; k0 < k; k0 += gemmKB {
		kb := min(gemmKB, k-k0)
		accb := acc || k0 > 0
		pk := g.packB(tb, b, ldb, k0, kb, n, 8)
		base := k0 * als
		// Six rows of op(A) at a time against every panel: their block
		// (6×kb values, 12 KB) stays in L1 while the panels stream from L2.
		for i := 0; i < m6; i += gemmEdgeRows {
			ai := &a[base+i*ars]
			for j := 0; j < n8; j += 8 {
				kernel6x8(kb, ai, ars, als, &pk[j*kb], &c[i*ldc+j], ldc, accb)
			}
			if n8 < n {
				kernel6x8(kb, ai, ars, als, &pk[n8*kb], &tile[0], 8, false)
				for r := range gemmEdgeRows {
					storeTile(c[(i+r)*ldc+n8:(i+r)*ldc+n], tile[8*r:8*r+8], accb)
				}
			}
		}
		if m6 == m {
			continue
		}
		rows := g.copyRows(ta, a, lda, m6, m, k0, kb, gemmEdgeRows)
		for j := 0; j < n; j += 8 {
			kernel6x8(kb, &rows[0], kb, 1, &pk[j*kb], &tile[0], 8, false)
			cols := min(8, n-j)
			for r := m6; r < m; r++ {
				storeTile(c[r*ldc+j:r*ldc+j+cols], tile[8*(r-m6):8*(r-m6)+8], accb)
			}
		}
	}
}
