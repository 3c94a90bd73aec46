package sim

// On amd64, when the processor and the operating system support AVX2 and
// FMA, the EGNN's matrix products run on an assembly micro-kernel and its
// sigmoids four at a time (egnn_simd_amd64.s); otherwise the products run on
// gonum's Dgemm and the sigmoids on the portable polynomial. See
// egnn_gemm.go.

// egnnKernel4x8 computes C[0:4, 0:8] = A·B (+= when acc) over k terms, with
// A[r, l] at a[r·ars + l·als], B[l, 0:8] contiguous at b[l·bls] and C
// row-major with row stride ldc (egnn_simd_amd64.s).
//
//go:noescape
func egnnKernel4x8(k int, a *float64, ars, als int, b *float64, bls int, c *float64, ldc int, acc bool)

// egnnSigmoidRowsAVX sets z[i·h+q] += bias[q] (bias may be nil) and
// s[i·h+q] = σ(z[i·h+q]) for rows×h values, h a multiple of 4 (within 2 ulp
// of 1/(1 + math.Exp(−z)); egnn_simd_amd64.s).
//
//go:noescape
func egnnSigmoidRowsAVX(s, z, bias *float64, rows, h int)

func egnnCPUID(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

func egnnXGETBV() (eax, edx uint32)

// egnnAVX reports whether egnnKernel4x8 may run: AVX2 and FMA present, and
// the YMM state enabled by the operating system.
var egnnAVX = egnnDetectAVX()

func egnnDetectAVX() bool {
	maxLeaf, _, _, _ := egnnCPUID(0, 0)
	if maxLeaf < 7 {
		return false
	}
	_, _, ecx1, _ := egnnCPUID(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if ecx1&fma == 0 || ecx1&osxsave == 0 || ecx1&avx == 0 {
		return false
	}
	if xcr0, _ := egnnXGETBV(); xcr0&6 != 6 { // XMM and YMM state
		return false
	}
	_, ebx7, _, _ := egnnCPUID(7, 0)
	return ebx7&(1<<5) != 0 // AVX2
}

// egnnSigmoidRowsNative runs egnnSigmoidRows four values at a time when it
// can, reporting whether it did.
func egnnSigmoidRowsNative(s, z, bias []float64, h int) bool {
	if !egnnAVX || h%4 != 0 || len(z) == 0 {
		return false
	}
	var bp *float64
	if bias != nil {
		bp = &bias[0]
	}
	egnnSigmoidRowsAVX(&s[0], &z[0], bp, len(z)/h, h)
	return true
}

// egnnGemmNative runs egnnGemm on the AVX2 kernel or on gonum and reports
// true: amd64 never needs the pure Go kernel.
func egnnGemmNative(acc, ta, tb bool, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, sc *egnnGemmScratch) bool {
	if egnnAVX {
		egnnGemmAVX(acc, ta, tb, m, n, k, a, lda, b, ldb, c, ldc, sc)
	} else {
		egnnGemmGonum(acc, ta, tb, m, n, k, a, lda, b, ldb, c, ldc)
	}
	return true
}

// egnnGemmAVX is egnnGemm on egnnKernel4x8, egnnGemmKB terms at a time. The
// kernel reads op(A) in place through its strides (transposed or not) and
// op(B) in place when it is B itself; Bᵀ, and a ragged last block of fewer
// than eight columns, are first packed into zero-padded panels of eight
// columns. The last m mod 4 rows go through a zero-padded copy, and ragged
// tiles through a local 4×8 tile.
func egnnGemmAVX(acc, ta, tb bool, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, sc *egnnGemmScratch) {
	np := (n + 7) &^ 7
	if len(sc.pack) < egnnGemmKB*np || len(sc.edge) < egnnGemmKB*4 {
		panic("sim: EGNN matrix product scratch too small")
	}
	ars, als := lda, 1 // op(A)[i, l] at a[base + i·ars + l·als]
	if ta {
		ars, als = 1, lda
	}
	n8 := n &^ 7
	var tile [32]float64
	for k0 := 0; k0 < k; k0 += egnnGemmKB {
		kb := min(egnnGemmKB, k-k0)
		accb := acc || k0 > 0
		base := k0 * als
		// Pack what cannot be read in place: every block of Bᵀ, or B's ragged
		// last block. Panel p holds op(B)[k0+l, 8p+r] at pack[p·8kb + 8l + r].
		pk := sc.pack[:np*kb]
		for j := 0; j < n; j += 8 {
			if !tb && j < n8 {
				continue
			}
			w := min(8, n-j)
			pan := pk[j*kb : j*kb+8*kb]
			for l := 0; l < kb; l++ {
				q := pan[8*l : 8*l+8 : 8*l+8]
				if tb {
					for r := 0; r < w; r++ {
						q[r] = b[(j+r)*ldb+k0+l]
					}
				} else {
					copy(q[:w], b[(k0+l)*ldb+j:(k0+l)*ldb+j+w])
				}
				for r := w; r < 8; r++ {
					q[r] = 0
				}
			}
		}
		panel := func(j int) (*float64, int) {
			if tb || j >= n8 {
				return &pk[j*kb], 8
			}
			return &b[k0*ldb+j], ldb
		}
		m4 := m &^ 3
		for i0 := 0; i0 < m4; i0 += 64 {
			i1 := min(i0+64, m4)
			for j := 0; j < n; j += 8 {
				bp, bls := panel(j)
				if j < n8 {
					for i := i0; i < i1; i += 4 {
						egnnKernel4x8(kb, &a[base+i*ars], ars, als, bp, bls, &c[i*ldc+j], ldc, accb)
					}
					continue
				}
				w := n - j
				for i := i0; i < i1; i += 4 {
					egnnKernel4x8(kb, &a[base+i*ars], ars, als, bp, bls, &tile[0], 8, false)
					for r := range 4 {
						egnnTileStore(c[(i+r)*ldc+j:(i+r)*ldc+j+w], tile[8*r:8*r+w], accb)
					}
				}
			}
		}
		if m4 < m {
			// The last m−m4 < 4 rows of op(A), zero-padded to four.
			rows := sc.edge[:4*kb]
			clear(rows)
			for r := m4; r < m; r++ {
				dst := rows[(r-m4)*kb : (r-m4+1)*kb]
				for l := range dst {
					dst[l] = a[base+r*ars+l*als]
				}
			}
			for j := 0; j < n; j += 8 {
				w := min(8, n-j)
				bp, bls := panel(j)
				egnnKernel4x8(kb, &rows[0], kb, 1, bp, bls, &tile[0], 8, false)
				for r := m4; r < m; r++ {
					egnnTileStore(c[r*ldc+j:r*ldc+j+w], tile[8*(r-m4):8*(r-m4)+w], accb)
				}
			}
		}
	}
}

// egnnTileStore writes (or adds, when acc) v into dst.
func egnnTileStore(dst, v []float64, acc bool) {
	if acc {
		for r := range dst {
			dst[r] += v[r]
		}
		return
	}
	copy(dst, v)
}
