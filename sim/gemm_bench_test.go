package sim

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// productOperands allocates A, B and C for every product.
func productOperands(ps []mlpProduct) (a, bb, c [][]float64) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, p := range ps {
		a = append(a, randSlice(rng, p.m*p.k))
		bb = append(bb, randSlice(rng, p.k*p.n))
		c = append(c, make([]float64, p.m*p.n))
	}
	return a, bb, c
}

// benchProducts runs the products ps, C += op(A)·op(B), through run and
// reports GFLOP/s.
func benchProducts(b *testing.B, ps []mlpProduct, run func(p mlpProduct, a, bb, c []float64)) {
	a, bb, c := productOperands(ps)
	b.ReportAllocs()
	for b.Loop() {
		for i, p := range ps {
			run(p, a[i], bb[i], c[i])
		}
	}
	b.ReportMetric(productFlops(ps)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// gemmBenchPath runs a product on one implementation of gemm.
func gemmBenchPath(g *gemmScratch, f func(g *gemmScratch, acc, ta, tb bool, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int)) func(p mlpProduct, a, bb, c []float64) {
	return func(p mlpProduct, a, bb, c []float64) {
		switch p.op {
		case "NN":
			f(g, true, false, false, p.m, p.n, p.k, a, p.k, bb, p.n, c, p.n)
		case "NT":
			f(g, true, false, true, p.m, p.n, p.k, a, p.k, bb, p.k, c, p.n)
		case "TN":
			f(g, true, true, false, p.m, p.n, p.k, a, p.m, bb, p.n, c, p.n)
		}
	}
}

// dgemmSerial runs a product on gonum's Dgemm, on row blocks of C small
// enough (fewer than four 64×64 blocks) that Dgemm stays serial and
// allocation-free: the implementation the MLP used before (for
// comparison).
func dgemmSerial(p mlpProduct, a, bb, c []float64) {
	var impl gonum.Implementation
	rows := 64
	if p.n <= 64 {
		rows = 192
	}
	for i0 := 0; i0 < p.m; i0 += rows {
		m := min(rows, p.m-i0)
		switch p.op {
		case "NN":
			impl.Dgemm(blas.NoTrans, blas.NoTrans, m, p.n, p.k, 1, a[i0*p.k:], p.k, bb, p.n, 1, c[i0*p.n:], p.n)
		case "NT":
			impl.Dgemm(blas.NoTrans, blas.Trans, m, p.n, p.k, 1, a[i0*p.k:], p.k, bb, p.k, 1, c[i0*p.n:], p.n)
		case "TN":
			impl.Dgemm(blas.Trans, blas.NoTrans, m, p.n, p.k, 1, a[i0:], p.m, bb, p.n, 1, c[i0*p.n:], p.n)
		}
	}
}

// benchGemmPaths runs the products ps on every path of gemm on this
// machine and on gonum's serial Dgemm.
func benchGemmPaths(b *testing.B, ps []mlpProduct) {
	var g gemmScratch
	g.reserve(1024, 1024)
	for name, f := range gemmPaths() {
		b.Run(name, func(b *testing.B) { benchProducts(b, ps, gemmBenchPath(&g, f)) })
	}
	if p := ps[0]; p.n <= 192 {
		b.Run("gonum-serial", func(b *testing.B) { benchProducts(b, ps, dgemmSerial) })
	}
}

// BenchmarkGemmMLPShapes runs the matrix products of one forward+backward
// pass of the MLP (batch 512, iDEM sizes: E = 128, H = 128, 3 blocks; 252
// MFLOP), without the network's elementwise work.
func BenchmarkGemmMLPShapes(b *testing.B) {
	benchGemmPaths(b, mlpProducts(DefaultMLPConfig(2), 512))
}

// BenchmarkGemmEGNNShapes runs the three products of an EGNN edge layer of
// width 128 on 2048 edges (a default chunk): forward A·Wᵀ, backward
// dZ·W and the weight gradient dZᵀ·A.
func BenchmarkGemmEGNNShapes(b *testing.B) {
	benchGemmPaths(b, []mlpProduct{{"NT", 2048, 128, 128}, {"NN", 2048, 128, 128}, {"TN", 128, 2048, 128}})
}
