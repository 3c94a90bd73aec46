package sim

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// egnnBenchCase is one network and batch size.
type egnnBenchCase struct {
	name         string
	n, d, layers int
	widths       []int
	batches      []int
}

var (
	// iDEM's particle systems at iDEM's width and at the smaller widths a
	// trainer on two CPU cores may choose, at two batch sizes, and the
	// smaller LJ-13 network of DefaultConfig.
	egnnBenchTrain = []egnnBenchCase{
		{"DW4-N4D2-L3", 4, 2, 3, []int{128, 64, 32}, []int{128, 512}},
		{"LJ13-N13D3-L5", 13, 3, 5, []int{128, 64, 32}, []int{128, 512}},
		// DefaultConfig's LJ-13 network and batch.
		{"LJ13-N13D3-L3", 13, 3, 3, []int{64}, []int{256}},
	}
	// The sampler's batches (Forward only).
	egnnBenchSample = []egnnBenchCase{
		{"DW4-N4D2-L3", 4, 2, 3, []int{128, 64, 32}, []int{512}},
		{"LJ13-N13D3-L5", 13, 3, 5, []int{128, 64, 32}, []int{512}},
	}
	// The low-memory mode where it matters.
	egnnBenchRecompute = []egnnBenchCase{
		{"LJ13-N13D3-L5", 13, 3, 5, []int{64, 32}, []int{512}},
	}
)

// benchEGNN runs Forward (and Backward when backward) on a batch of random
// configurations and reports configurations per second of wall time and,
// where available, per second of process CPU time (summed over the worker
// goroutines: the throughput per busy core, insensitive to other processes
// sharing the cores). The workspace is made once per case, so that only the
// first of the calls pays for touching fresh memory.
func benchEGNN(b *testing.B, cases []egnnBenchCase, backward bool, opt EGNNWorkspaceOptions) {
	for _, c := range cases {
		for _, H := range c.widths {
			for _, n := range c.batches {
				cfg := DefaultEGNNConfig(c.n, c.d)
				cfg.Layers, cfg.Hidden = c.layers, H
				net, err := NewEGNN(cfg, rand.New(rand.NewPCG(1, 1)))
				if err != nil {
					b.Fatal(err)
				}
				rng := rand.New(rand.NewPCG(2, 2))
				x, tm, dout := egnnRandomBatch(rng, n, net.Dim(), 1.5)
				ws := net.NewEGNNWorkspace(n, opt)
				out := make([]float64, len(x))
				grad := make([]float64, len(net.Params()))
				b.Run(fmt.Sprintf("%s-H%d-B%d", c.name, H, n), func(b *testing.B) {
					b.ReportAllocs()
					cpu0, cpuOK := egnnCPUTime()
					b.ResetTimer()
					for range b.N {
						ws.Forward(out, x, tm)
						if backward {
							ws.Backward(grad, dout)
						}
					}
					b.StopTimer()
					b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "configs/s")
					if cpu1, ok := egnnCPUTime(); ok && cpuOK {
						b.ReportMetric(float64(b.N*n)/(cpu1-cpu0).Seconds(), "configs/cpu-s")
					}
					b.ReportMetric(float64(ws.Workers()), "workers")
				})
			}
		}
	}
}

// BenchmarkEGNNForwardBackward measures one training step's network work,
// Forward and Backward of a batch, with the default workspace (activations
// kept, GOMAXPROCS workers).
func BenchmarkEGNNForwardBackward(b *testing.B) {
	benchEGNN(b, egnnBenchTrain, true, EGNNWorkspaceOptions{})
}

// BenchmarkEGNNForwardBackwardRecompute is the same in the low-memory mode,
// where Backward recomputes the activations.
func BenchmarkEGNNForwardBackwardRecompute(b *testing.B) {
	benchEGNN(b, egnnBenchRecompute, true, EGNNWorkspaceOptions{MaxBytes: -1})
}

// BenchmarkEGNNForward measures one sampler step's network work: Forward of
// a batch, in a workspace that keeps nothing for Backward.
func BenchmarkEGNNForward(b *testing.B) {
	benchEGNN(b, egnnBenchSample, false, EGNNWorkspaceOptions{MaxBytes: -1})
}
