package sim

import (
	"math/rand/v2"
	"testing"
)

// TestEGNNWithoutAVX runs a network on the AVX2 code and on the fallback
// (gonum's Dgemm and math.Exp) that amd64 machines without AVX2 take: the
// outputs and gradients agree to rounding.
func TestEGNNWithoutAVX(t *testing.T) {
	t.Logf("AVX2/FMA kernels in use: %v", egnnAVX)
	if !egnnAVX {
		t.Skip("no AVX2 here: every other test already runs the fallback")
	}
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
	egnnAVX = false
	defer func() { egnnAVX = true }()
	out, grad := run()
	if e := egnnMaxAbsDiff(out, outAVX); e > 1e-12*egnnMaxAbs(outAVX) {
		t.Errorf("outputs differ by %g (max %g)", e, egnnMaxAbs(outAVX))
	}
	if e := egnnMaxAbsDiff(grad, gradAVX); e > 1e-11*egnnMaxAbs(gradAVX) {
		t.Errorf("gradients differ by %g (max %g)", e, egnnMaxAbs(gradAVX))
	}
}
