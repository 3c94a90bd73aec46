package sim

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// mlpProduct is one matrix product of a forward+backward pass:
// C (m×n) = op(A)·op(B) with inner size k.
type mlpProduct struct {
	op      string // "NN", "NT" or "TN"
	m, k, n int
}

// mlpProducts lists the products of one Forward and one Backward (parameter
// gradient only) of the MLP on n rows, in execution order.
func mlpProducts(cfg MLPConfig, n int) []mlpProduct {
	in0, h, d := (cfg.Dim+1)*cfg.EmbedSize, cfg.Hidden, cfg.Dim
	ps := []mlpProduct{{"NN", n, in0, h}}
	for range cfg.Blocks {
		ps = append(ps, mlpProduct{"NN", n, h, h})
	}
	ps = append(ps, mlpProduct{"NN", n, h, d}, mlpProduct{"TN", h, n, d}, mlpProduct{"NT", n, d, h})
	for range cfg.Blocks {
		ps = append(ps, mlpProduct{"TN", h, n, h}, mlpProduct{"NT", n, h, h})
	}
	return append(ps, mlpProduct{"TN", in0, n, h})
}

// flops returns 2mkn summed over the products.
func productFlops(ps []mlpProduct) float64 {
	var f float64
	for _, p := range ps {
		f += 2 * float64(p.m) * float64(p.k) * float64(p.n)
	}
	return f
}

// forwardFlops returns the matrix-product flops of one Forward on n rows.
func forwardFlops(cfg MLPConfig, n int) float64 {
	in0, h, d := (cfg.Dim+1)*cfg.EmbedSize, cfg.Hidden, cfg.Dim
	return 2 * float64(n) * float64(in0*h+cfg.Blocks*h*h+h*d)
}

func benchMLP(b *testing.B, n int, backward bool) {
	cfg := DefaultMLPConfig(2)
	cfg.InputScale = 1.0 / 50
	rng := rand.New(rand.NewPCG(1, 2))
	net, err := NewMLP(cfg, rng)
	if err != nil {
		b.Fatal(err)
	}
	x, t := randomBatch(rng, n, 2)
	dout := randSlice(rng, n*2)
	out := make([]float64, n*2)
	grad := make([]float64, len(net.Params()))
	ws := net.NewWorkspace(n)
	flops := forwardFlops(cfg, n)
	if backward {
		flops = productFlops(mlpProducts(cfg, n))
	}
	b.ReportAllocs()
	for b.Loop() {
		ws.Forward(out, x, t)
		if backward {
			ws.Backward(grad, dout)
		}
	}
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "samples/s")
}

// BenchmarkMLPForwardBackwardBatch512 is one training pass of iDEM's 2-D
// network (E = 128, H = 128, 3 blocks) on 512 rows; GFLOP/s counts the
// matrix-product flops only (252 MFLOP per pass).
func BenchmarkMLPForwardBackwardBatch512(b *testing.B) { benchMLP(b, 512, true) }

// BenchmarkMLPForwardBatch512 is the forward pass alone (what the sampler runs).
func BenchmarkMLPForwardBatch512(b *testing.B) { benchMLP(b, 512, false) }

// BenchmarkMLPForwardBatch1000 is one sampler step's network call for 1000 particles.
func BenchmarkMLPForwardBatch1000(b *testing.B) { benchMLP(b, 1000, false) }

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

func benchProducts(b *testing.B, run func(p mlpProduct, a, bb, c []float64)) {
	ps := mlpProducts(DefaultMLPConfig(2), 512)
	a, bb, c := productOperands(ps)
	b.ReportAllocs()
	for b.Loop() {
		for i, p := range ps {
			run(p, a[i], bb[i], c[i])
		}
	}
	b.ReportMetric(productFlops(ps)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkGemmMLPShapesBatch512 runs this package's kernels on the matrix
// products of one forward+backward pass (batch 512, iDEM sizes), without the
// network's elementwise work.
func BenchmarkGemmMLPShapesBatch512(b *testing.B) {
	var g gemmScratch
	g.reserve(packedLen(512, 384), 512*384)
	benchProducts(b, func(p mlpProduct, a, bb, c []float64) {
		switch p.op {
		case "NN":
			g.gemmNN(c, a, bb, p.m, p.k, p.n, true)
		case "NT":
			g.gemmNT(c, a, bb, p.m, p.k, p.n, true)
		case "TN":
			g.gemmTN(c, a, bb, p.m, p.k, p.n, true)
		}
	})
}

// BenchmarkGemmPackedMLPShapesBatch512 is the pure-Go packed kernel (the
// js/wasm path) on the same products, whatever the architecture.
func BenchmarkGemmPackedMLPShapesBatch512(b *testing.B) {
	var g gemmScratch
	g.reserve(packedLen(512, 384), 512*384)
	benchProducts(b, func(p mlpProduct, a, bb, c []float64) {
		switch p.op {
		case "NN":
			g.packedNN(c, a, bb, p.m, p.k, p.n, true)
		case "NT":
			g.packedNT(c, a, bb, p.m, p.k, p.n, true)
		case "TN":
			g.packedTN(c, a, bb, p.m, p.k, p.n, true)
		}
	})
}

// dgemm calls gonum's Dgemm for one product on rows [i0, i1) of C.
func dgemm(p mlpProduct, a, bb, c []float64, i0, i1 int) {
	var impl gonum.Implementation
	m := i1 - i0
	switch p.op {
	case "NN":
		impl.Dgemm(blas.NoTrans, blas.NoTrans, m, p.n, p.k, 1, a[i0*p.k:], p.k, bb, p.n, 1, c[i0*p.n:], p.n)
	case "NT":
		impl.Dgemm(blas.NoTrans, blas.Trans, m, p.n, p.k, 1, a[i0*p.k:], p.k, bb, p.k, 1, c[i0*p.n:], p.n)
	case "TN":
		impl.Dgemm(blas.Trans, blas.NoTrans, m, p.n, p.k, 1, a[i0:], p.m, bb, p.n, 1, c[i0*p.n:], p.n)
	}
}

// BenchmarkDgemmMLPShapesBatch512 is gonum's Dgemm on the same products as
// BenchmarkGemmMLPShapesBatch512, as called by default: it goes parallel
// (goroutines, allocations) once C spans four 64×64 blocks.
func BenchmarkDgemmMLPShapesBatch512(b *testing.B) {
	benchProducts(b, func(p mlpProduct, a, bb, c []float64) { dgemm(p, a, bb, c, 0, p.m) })
}

// BenchmarkDgemmSerialMLPShapesBatch512 is gonum's Dgemm kept serial and
// allocation-free by calling it on row chunks of C small enough to stay
// under its parallel threshold (fewer than four 64×64 blocks).
func BenchmarkDgemmSerialMLPShapesBatch512(b *testing.B) {
	benchProducts(b, func(p mlpProduct, a, bb, c []float64) {
		rows := 64
		if (p.n+63)/64 > 3 {
			panic("sim: too many column blocks for a serial Dgemm")
		}
		if (p.n+63)/64 == 1 {
			rows = 192
		}
		for i0 := 0; i0 < p.m; i0 += rows {
			dgemm(p, a, bb, c, i0, min(i0+rows, p.m))
		}
	})
}
