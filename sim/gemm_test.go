package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
)

// naiveGemm is the oracle: C = op(A)·op(B) by the definition, with
// op(A)[i][l] = a[i·k+l] (or a[l·m+i] when ta) and op(B)[l][j] = b[l·n+j]
// (or b[j·k+l] when tb).
func naiveGemm(a, b []float64, m, k, n int, ta, tb bool) []float64 {
	c := make([]float64, m*n)
	for i := range m {
		for j := range n {
			var s float64
			for l := range k {
				av := a[i*k+l]
				if ta {
					av = a[l*m+i]
				}
				bv := b[l*n+j]
				if tb {
					bv = b[j*k+l]
				}
				s += av * bv
			}
			c[i*n+j] = s
		}
	}
	return c
}

func randSlice(rng *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	return x
}

func TestGemmAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	shapes := [][3]int{{1, 1, 1}, {2, 3, 4}, {3, 5, 2}, {7, 9, 13}, {33, 17, 6}, {64, 40, 128}, {5, 0, 3}, {0, 4, 4},
		{65, 130, 7}, {200, 3, 70}, {130, 5, 400}}
	var g gemmScratch
	for _, s := range shapes {
		m, k, n := s[0], s[1], s[2]
		for _, acc := range []bool{false, true} {
			name := fmt.Sprintf("m%d_k%d_n%d_acc%v", m, k, n, acc)
			t.Run(name, func(t *testing.T) {
				a, b := randSlice(rng, m*k), randSlice(rng, k*n)
				c0 := randSlice(rng, m*n)
				for _, op := range []struct {
					name   string
					ta, tb bool
					run    func(c []float64)
				}{
					{"NN", false, false, func(c []float64) { g.gemmNN(c, a, b, m, k, n, acc) }},
					{"NT", false, true, func(c []float64) { g.gemmNT(c, a, b, m, k, n, acc) }},
					{"TN", true, false, func(c []float64) { g.gemmTN(c, a, b, m, k, n, acc) }},
					{"packedNN", false, false, func(c []float64) { g.packedNN(c, a, b, m, k, n, acc) }},
					{"packedNT", false, true, func(c []float64) { g.packedNT(c, a, b, m, k, n, acc) }},
					{"packedTN", true, false, func(c []float64) { g.packedTN(c, a, b, m, k, n, acc) }},
					{"blasNN", false, false, func(c []float64) { blasGemm(blas.NoTrans, blas.NoTrans, c, a, b, m, k, n, acc) }},
					{"blasNT", false, true, func(c []float64) { blasGemm(blas.NoTrans, blas.Trans, c, a, b, m, k, n, acc) }},
					{"blasTN", true, false, func(c []float64) { blasGemm(blas.Trans, blas.NoTrans, c, a, b, m, k, n, acc) }},
				} {
					want := naiveGemm(a, b, m, k, n, op.ta, op.tb)
					if acc {
						for i := range want {
							want[i] += c0[i]
						}
					}
					c := append([]float64(nil), c0...)
					op.run(c)
					for i := range want {
						if math.Abs(c[i]-want[i]) > 1e-12*(1+math.Abs(want[i]))*float64(k+1) {
							t.Fatalf("%s: c[%d] = %v, want %v", op.name, i, c[i], want[i])
						}
					}
				}
			})
		}
	}
}

// TestGemmAllocatesNothing checks that both implementations stay serial
// and allocation-free on the network's largest shapes (gonum's Dgemm
// allocates when it goes parallel).
func TestGemmAllocatesNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	m, k, n := 512, 384, 128
	a, b, c := randSlice(rng, m*k), randSlice(rng, k*n), make([]float64, m*n)
	ct := make([]float64, k*n)
	var g gemmScratch
	g.reserve(packedLen(max(m, k), max(n, k)), m*k)
	for name, f := range map[string]func(){
		"gemmNN":   func() { g.gemmNN(c, a, b, m, k, n, false) },
		"gemmTN":   func() { g.gemmTN(ct, a, c, k, m, n, true) },
		"gemmNT":   func() { g.gemmNT(a, c, b, m, n, k, false) },
		"blasNN":   func() { blasGemm(blas.NoTrans, blas.NoTrans, c, a, b, m, k, n, false) },
		"blasTN":   func() { blasGemm(blas.Trans, blas.NoTrans, ct, a, c, k, m, n, true) },
		"packedNN": func() { g.packedNN(c, a, b, m, k, n, false) },
		"packedTN": func() { g.packedTN(ct, a, c, k, m, n, true) },
	} {
		if allocs := testing.AllocsPerRun(3, f); allocs != 0 {
			t.Errorf("%s: %v allocations per call", name, allocs)
		}
	}
}

func TestGemmShortOperandPanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil {
			t.Fatal("no panic for a short operand")
		}
	}()
	var g gemmScratch
	g.gemmNN(make([]float64, 3), make([]float64, 4), make([]float64, 4), 2, 2, 2, false)
}

func TestTranspose(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, rc := range [][2]int{{1, 1}, {3, 17}, {40, 5}, {33, 33}} {
		r, c := rc[0], rc[1]
		a := randSlice(rng, r*c)
		dst := make([]float64, r*c)
		transpose(dst, a, r, c)
		for i := range r {
			for j := range c {
				if dst[j*r+i] != a[i*c+j] {
					t.Fatalf("%dx%d: mismatch at (%d,%d)", r, c, i, j)
				}
			}
		}
	}
}
