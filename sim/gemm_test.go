package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func randSlice(rng *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	return x
}

// gemmCase is one product C (+)= op(A)·op(B) with strided operands:
// op(A) m×k, op(B) k×n, C m×n, each stored with a row stride larger than
// its width (padding filled with values that must not be read or written).
type gemmCase struct {
	m, n, k        int
	ta, tb         bool
	a, b, c0       []float64
	lda, ldb, ldc  int
	want, wantAcc  []float64 // op(A)·op(B) and c0 + op(A)·op(B), C's padding kept
	bound, boundAc []float64 // rounding-error bounds of want and wantAcc
}

// newGemmCase draws the operands and computes the naive triple loop:
// want[i, j] = Σ_l op(A)[i, l]·op(B)[l, j] term by term, and its error
// bound (k+2)·ε·Σ_l |op(A)[i, l]·op(B)[l, j]| (ε = 2^-52), which covers any
// order of summation, with or without FMAs.
func newGemmCase(rng *rand.Rand, m, n, k int, ta, tb bool) *gemmCase {
	tc := &gemmCase{m: m, n: n, k: k, ta: ta, tb: tb}
	ar, ac, br, bc := m, k, k, n
	if ta {
		ar, ac = k, m
	}
	if tb {
		br, bc = n, k
	}
	tc.lda, tc.ldb, tc.ldc = ac+3, bc+1, n+2
	tc.a = randSlice(rng, max(ar*tc.lda, 1))
	tc.b = randSlice(rng, max(br*tc.ldb, 1))
	tc.c0 = randSlice(rng, m*tc.ldc)
	opA := func(i, l int) float64 {
		if ta {
			return tc.a[l*tc.lda+i]
		}
		return tc.a[i*tc.lda+l]
	}
	opB := func(l, j int) float64 {
		if tb {
			return tc.b[j*tc.ldb+l]
		}
		return tc.b[l*tc.ldb+j]
	}
	tc.want = append([]float64(nil), tc.c0...)
	tc.wantAcc = append([]float64(nil), tc.c0...)
	tc.bound = make([]float64, len(tc.c0))
	tc.boundAc = make([]float64, len(tc.c0))
	const eps = 0x1p-52
	for i := range m {
		for j := range n {
			s, sa := 0.0, 0.0
			for l := range k {
				p := opA(i, l) * opB(l, j)
				s += p
				sa += math.Abs(p)
			}
			o := i*tc.ldc + j
			tc.want[o] = s
			tc.wantAcc[o] += s
			tc.bound[o] = float64(k+2) * eps * sa
			tc.boundAc[o] = float64(k+3) * eps * (sa + math.Abs(tc.c0[o]))
		}
	}
	return tc
}

// check runs one implementation on the case, overwriting and accumulating,
// and compares with the naive product, padding included (it must stay
// untouched).
func (tc *gemmCase) check(t *testing.T, name string, run func(g *gemmScratch, acc bool, c []float64)) {
	t.Helper()
	var g gemmScratch
	for _, acc := range []bool{false, true} {
		c := append([]float64(nil), tc.c0...)
		run(&g, acc, c)
		want, bound := tc.want, tc.bound
		if acc {
			want, bound = tc.wantAcc, tc.boundAc
		}
		for o := range c {
			if math.Abs(c[o]-want[o]) > bound[o] {
				t.Fatalf("%s m=%d n=%d k=%d ta=%v tb=%v acc=%v: c[%d,%d] = %v, want %v (bound %.2g)",
					name, tc.m, tc.n, tc.k, tc.ta, tc.tb, acc, o/tc.ldc, o%tc.ldc, c[o], want[o], bound[o])
			}
		}
	}
}

// gemmPaths are the implementations of gemm that run on this machine:
// the dispatcher, the pure-Go kernel (the js/wasm path and the amd64
// fallback, so it is tested everywhere) and the AVX2 kernel where present.
func gemmPaths() map[string]func(g *gemmScratch, acc, ta, tb bool, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int) {
	p := map[string]func(g *gemmScratch, acc, ta, tb bool, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int){
		"dispatch": (*gemmScratch).gemm,
		"go":       (*gemmScratch).gemmGo,
	}
	if useAVX2 {
		p["avx2"] = (*gemmScratch).gemmAVX2
	}
	return p
}

// TestGemmAgainstNaive checks every kernel path on every transposition
// case, overwriting and accumulating, on sizes around the tile edges (1, 2,
// 3, 5, 6, 7, 8, 9 …), the row blocks (32, 48 rows: 63, 65) and the k block
// (gemmKB = 256: 257, 300).
func TestGemmAgainstNaive(t *testing.T) {
	t.Logf("AVX2/FMA kernel in use: %v", useAVX2)
	rng := rand.New(rand.NewPCG(1, 2))
	ms := []int{1, 2, 3, 5, 6, 7, 9, 13, 63, 65}
	ns := []int{1, 3, 5, 7, 8, 9, 17, 63, 65, 129}
	ks := []int{1, 3, 64, 257}
	if testing.Short() {
		ms, ns, ks = []int{1, 7, 65}, []int{1, 9, 65}, []int{1, 257}
	}
	paths := gemmPaths()
	for _, ta := range []bool{false, true} {
		for _, tb := range []bool{false, true} {
			for _, m := range ms {
				for _, n := range ns {
					for _, k := range ks {
						tc := newGemmCase(rng, m, n, k, ta, tb)
						for name, f := range paths {
							tc.check(t, name, func(g *gemmScratch, acc bool, c []float64) {
								f(g, acc, ta, tb, m, n, k, tc.a, tc.lda, tc.b, tc.ldb, c, tc.ldc)
							})
						}
					}
				}
			}
		}
	}
	// A large product and one with k a multiple of the block.
	for _, s := range [][3]int{{129, 130, 300}, {200, 64, 512}} {
		tc := newGemmCase(rng, s[0], s[1], s[2], true, false)
		for name, f := range paths {
			tc.check(t, name, func(g *gemmScratch, acc bool, c []float64) {
				f(g, acc, true, false, s[0], s[1], s[2], tc.a, tc.lda, tc.b, tc.ldb, c, tc.ldc)
			})
		}
	}
}

// TestGemmEmpty checks that k = 0 gives C = 0 (or leaves C when
// accumulating) and that m = 0 or n = 0 touches nothing.
func TestGemmEmpty(t *testing.T) {
	var g gemmScratch
	c := []float64{1, 2, 3, 4, 5, 6}
	g.gemm(true, false, false, 2, 3, 0, nil, 0, nil, 3, c, 3)
	if c[0] != 1 || c[5] != 6 {
		t.Fatalf("k = 0, acc: C changed to %v", c)
	}
	g.gemm(false, false, false, 2, 3, 0, nil, 0, nil, 3, c, 3)
	for _, v := range c {
		if v != 0 {
			t.Fatalf("k = 0: C = %v, want zeros", c)
		}
	}
	g.gemm(false, false, false, 0, 3, 4, nil, 4, make([]float64, 12), 3, nil, 3)
	g.gemm(false, false, false, 3, 0, 4, make([]float64, 12), 4, nil, 0, nil, 0)
}

// TestGemmBounds checks that a product with a short operand or a stride
// too small panics instead of running off the end (the assembly kernel does
// not check).
func TestGemmBounds(t *testing.T) {
	var g gemmScratch
	ok := make([]float64, 64)
	for name, f := range map[string]func(){
		"short A":  func() { g.gemm(false, false, false, 8, 8, 8, ok[:63], 8, ok, 8, ok, 8) },
		"short Aᵀ": func() { g.gemm(false, true, false, 8, 8, 8, ok[:60], 8, ok, 8, ok, 8) },
		"short B":  func() { g.gemm(false, false, false, 8, 8, 8, ok, 8, ok[:63], 8, ok, 8) },
		"short Bᵀ": func() { g.gemm(false, false, true, 8, 8, 8, ok, 8, ok[:57], 8, ok, 8) },
		"short C":  func() { g.gemm(true, false, false, 8, 8, 8, ok, 8, ok, 8, ok[:63], 8) },
		"bad ldc":  func() { g.gemm(true, false, false, 8, 8, 8, ok, 8, ok, 8, ok, 7) },
		"bad lda":  func() { g.gemm(true, false, false, 8, 8, 8, ok, 7, ok, 8, ok, 8) },
		"negative": func() { g.gemm(true, false, false, -1, 8, 8, ok, 8, ok, 8, ok, 8) },
	} {
		func() {
			defer func() {
				if r, _ := recover().(string); !strings.HasPrefix(r, "sim: ") {
					t.Errorf("%s: recovered %q, want a \"sim: \" panic", name, r)
				}
			}()
			f()
		}()
	}
}

// TestGemmAllocatesNothing checks that every path runs without allocating
// once its scratch is reserved, on the MLP's largest shapes.
func TestGemmAllocatesNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	m, k, n := 512, 384, 128
	a, b, c := randSlice(rng, m*k), randSlice(rng, k*n), make([]float64, m*n)
	ct := make([]float64, k*n)
	var g gemmScratch
	g.reserve(max(m, k), max(n, k))
	for name, f := range gemmPaths() {
		for _, p := range []struct {
			op  string
			run func()
		}{
			{"NN", func() { f(&g, false, false, false, m, n, k, a, k, b, n, c, n) }},
			{"TN", func() { f(&g, true, true, false, k, n, m, a, k, c, n, ct, n) }},
			{"NT", func() { f(&g, false, false, true, m, k, n, c, n, b, n, a, k) }},
		} {
			if allocs := testing.AllocsPerRun(2, p.run); allocs != 0 {
				t.Errorf("%s %s: %v allocations per call", name, p.op, allocs)
			}
		}
	}
}

// TestGemmWorkedExample checks a 2×2 product worked by hand on every path.
func TestGemmWorkedExample(t *testing.T) {
	// [1 2; 3 4]·[5 6; 7 8] = [19 22; 43 50].
	for name, f := range gemmPaths() {
		var g gemmScratch
		c := make([]float64, 4)
		f(&g, false, false, false, 2, 2, 2, []float64{1, 2, 3, 4}, 2, []float64{5, 6, 7, 8}, 2, c, 2)
		if fmt.Sprint(c) != "[19 22 43 50]" {
			t.Errorf("%s: %v", name, c)
		}
	}
}
