package sim

import (
	"fmt"
	"math/rand/v2"
	"testing"
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

// mlpBenchNets are the networks of the benchmarks: iDEM's 2-D network and
// the trainer's default (DefaultConfig: embeddings of size 64).
var mlpBenchNets = []struct {
	name                  string
	embed, hidden, blocks int
}{
	{"iDEM-E128-H128-B3", 128, 128, 3},
	{"trainer-E64-H128-B3", 64, 128, 3},
}

// benchMLP runs Forward (and Backward, when backward) of every network of
// mlpBenchNets on n rows of a 2-D target. GFLOP/s counts the matrix-product
// flops only; cpu-ms/op is the process CPU time per pass (less sensitive
// than ns/op to other processes on a shared machine).
func benchMLP(b *testing.B, n int, backward bool) {
	for _, nb := range mlpBenchNets {
		b.Run(fmt.Sprintf("%s-N%d", nb.name, n), func(b *testing.B) {
			cfg := DefaultMLPConfig(2)
			cfg.EmbedSize, cfg.Hidden, cfg.Blocks = nb.embed, nb.hidden, nb.blocks
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
			cpu0, cpuOK := egnnCPUTime()
			for b.Loop() {
				ws.Forward(out, x, t)
				if backward {
					ws.Backward(grad, dout)
				}
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "samples/s")
			if cpu1, ok := egnnCPUTime(); ok && cpuOK {
				b.ReportMetric((cpu1-cpu0).Seconds()*1e3/float64(b.N), "cpu-ms/op")
			}
		})
	}
}

// BenchmarkMLPForwardBackward is one training pass (Forward and Backward
// of the parameter gradient) on 512 rows.
func BenchmarkMLPForwardBackward(b *testing.B) { benchMLP(b, 512, true) }

// BenchmarkMLPForward is the forward pass alone on 1000 rows (one sampler
// step's network call for 1000 particles).
func BenchmarkMLPForward(b *testing.B) { benchMLP(b, 1000, false) }
