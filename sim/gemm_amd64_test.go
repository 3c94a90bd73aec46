package sim

import (
	"math/rand/v2"
	"testing"
)

// withoutAVX2 runs f with useAVX2 false: the portable matrix kernel and
// activations that js/wasm and amd64 machines without AVX2 take.
func withoutAVX2(f func()) {
	saved := useAVX2
	useAVX2 = false
	defer func() { useAVX2 = saved }()
	f()
}

// TestNetworksWithoutAVX2 runs the MLP and the EGNN on the AVX2 code and on
// the portable code: outputs and gradients agree to rounding. It then runs
// the networks' finite-difference gradient checks and the reference test of
// the MLP on the portable code, so that this path is tested on machines with
// AVX2 too.
func TestNetworksWithoutAVX2(t *testing.T) {
	t.Logf("AVX2/FMA kernels in use: %v", useAVX2)
	if !useAVX2 {
		t.Skip("no AVX2 here: every other test already runs the portable code")
	}
	t.Run("EGNNAgrees", func(t *testing.T) {
		cfg := DefaultEGNNConfig(13, 3)
		cfg.Hidden, cfg.Layers = 16, 3
		net := egnnTestNet(t, cfg, 4)
		d := net.Dim()
		rng := rand.New(rand.NewPCG(6, 7))
		const n = 6
		x, tm, dout := egnnRandomBatch(rng, n, d, 1.5)
		run := func() (out, grad []float64) {
			out, grad = make([]float64, n*d), make([]float64, len(net.theta))
			ws := net.NewEGNNWorkspace(n, EGNNWorkspaceOptions{Workers: 1})
			ws.Forward(out, x, tm)
			ws.Backward(grad, dout)
			return out, grad
		}
		outAVX, gradAVX := run()
		var out, grad []float64
		withoutAVX2(func() { out, grad = run() })
		if e := egnnMaxAbsDiff(out, outAVX); e > 1e-12*egnnMaxAbs(outAVX) {
			t.Errorf("outputs differ by %g (max %g)", e, egnnMaxAbs(outAVX))
		}
		if e := egnnMaxAbsDiff(grad, gradAVX); e > 1e-11*egnnMaxAbs(gradAVX) {
			t.Errorf("gradients differ by %g (max %g)", e, egnnMaxAbs(gradAVX))
		}
	})
	t.Run("MLPAgrees", func(t *testing.T) {
		cfg := DefaultMLPConfig(3)
		cfg.Hidden, cfg.EmbedSize = 37, 26 // ragged tiles everywhere
		rng := rand.New(rand.NewPCG(8, 9))
		net, err := NewMLP(cfg, rng)
		if err != nil {
			t.Fatal(err)
		}
		const n = 23
		x, tt := randomBatch(rng, n, cfg.Dim)
		dout := randSlice(rng, n*cfg.Dim)
		run := func() (out, grad, dx []float64) {
			out, grad, dx = make([]float64, n*cfg.Dim), make([]float64, len(net.Params())), make([]float64, n*cfg.Dim)
			ws := net.NewMLPWorkspace(n)
			ws.Forward(out, x, tt)
			ws.BackwardBoth(grad, dx, dout)
			return out, grad, dx
		}
		outAVX, gradAVX, dxAVX := run()
		var out, grad, dx []float64
		withoutAVX2(func() { out, grad, dx = run() })
		for _, c := range []struct {
			name      string
			got, want []float64
		}{{"outputs", out, outAVX}, {"gradients", grad, gradAVX}, {"input gradients", dx, dxAVX}} {
			if e := egnnMaxAbsDiff(c.got, c.want); e > 1e-12*egnnMaxAbs(c.want) {
				t.Errorf("%s differ by %g (max %g)", c.name, e, egnnMaxAbs(c.want))
			}
		}
	})
	withoutAVX2(func() {
		t.Run("MLPForwardMatchesReference", TestMLPForwardMatchesReference)
		t.Run("MLPGradientFiniteDifferences", TestMLPGradientFiniteDifferences)
		t.Run("EGNNGradient", TestEGNNGradient)
		t.Run("EGNNEquivariance", TestEGNNEquivariance)
		t.Run("MLPPassesAllocateNothing", TestMLPPassesAllocateNothing)
		t.Run("EGNNNoAllocs", TestEGNNNoAllocs)
		t.Run("MLPWorkspaceReservesScratch", TestMLPWorkspaceReservesScratch)
	})
}

// TestGemmDispatchWithoutAVX2 checks that the dispatcher takes the portable
// kernel when useAVX2 is false (the products agree with the AVX2 ones to
// rounding, and the portable code is what ran: it does not use the 8-wide
// panels).
func TestGemmDispatchWithoutAVX2(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2 here")
	}
	rng := rand.New(rand.NewPCG(12, 13))
	tc := newGemmCase(rng, 13, 10, 300, true, true)
	withoutAVX2(func() {
		tc.check(t, "dispatch without AVX2", func(g *gemmScratch, acc bool, c []float64) {
			g.gemm(acc, tc.ta, tc.tb, tc.m, tc.n, tc.k, tc.a, tc.lda, tc.b, tc.ldb, c, tc.ldc)
			if len(g.pack) != (10+2)/3*3*gemmKB {
				t.Errorf("packed %d values, want the portable kernel's 3-column panels", len(g.pack))
			}
		})
	})
}
