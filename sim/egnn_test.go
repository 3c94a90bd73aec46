package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"
)

// egnnTestNet returns a small EGNN whose w₄ is redrawn from U(±0.5) (instead
// of iDEM's near-zero init) so that every path reaches the output with O(1)
// weight.
func egnnTestNet(t testing.TB, cfg EGNNConfig, seed uint64) *EGNN {
	t.Helper()
	net, err := NewEGNN(cfg, rand.New(rand.NewPCG(seed, 1)))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 2))
	for _, ly := range net.layers {
		for q := range cfg.Hidden {
			net.theta[ly.w4+q] = rng.Float64() - 0.5
		}
	}
	return net
}

// egnnTestConfigs exercise every option: tanh bound or not, time features,
// non-unit scales, 2-D and 3-D.
var egnnTestConfigs = []struct {
	name string
	cfg  EGNNConfig
}{
	{"N4D2-tanh-freqs", EGNNConfig{Particles: 4, SpatialDim: 2, Layers: 3, Hidden: 8, TimeFreqs: 2,
		CoordScale: 0.7, CoordRange: 1.5, MessageScale: 0.5, OutputScale: 1.3}},
	{"N5D3-plain", EGNNConfig{Particles: 5, SpatialDim: 3, Layers: 2, Hidden: 6, TimeFreqs: 0,
		CoordScale: 0.25, CoordRange: 0, MessageScale: 1, OutputScale: 1}},
	{"N3D3-one-layer", EGNNConfig{Particles: 3, SpatialDim: 3, Layers: 1, Hidden: 5, TimeFreqs: 1,
		CoordScale: 1, CoordRange: 3, MessageScale: 1, OutputScale: 2}},
}

// egnnRandomBatch draws n configurations x ~ N(0, scale² I), times U(0, 1)
// and output weights dout ~ N(0, I).
func egnnRandomBatch(rng *rand.Rand, n, d int, scale float64) (x, tm, dout []float64) {
	x, tm, dout = make([]float64, n*d), make([]float64, n), make([]float64, n*d)
	for i := range x {
		x[i] = scale * rng.NormFloat64()
		dout[i] = rng.NormFloat64()
	}
	for i := range tm {
		tm[i] = rng.Float64()
	}
	return x, tm, dout
}

// egnnBlocks names every parameter block of net with its offset and length.
func egnnBlocks(net *EGNN) []struct {
	name     string
	off, len int
} {
	H, F := net.cfg.Hidden, net.nf
	type blk = struct {
		name     string
		off, len int
	}
	bs := []blk{{"Wt", net.wt, H * F}, {"bt", net.bt, H}}
	for l, ly := range net.layers {
		p := fmt.Sprintf("layer%d.", l)
		bs = append(bs,
			blk{p + "W1", ly.w1, H * (2*H + 2)}, blk{p + "b1", ly.b1, H},
			blk{p + "W2", ly.w2, H * H}, blk{p + "b2", ly.b2, H},
			blk{p + "wg", ly.wg, H}, blk{p + "bg", ly.bg, 1},
			blk{p + "W3", ly.w3, H * H}, blk{p + "b3", ly.b3, H},
			blk{p + "w4", ly.w4, H})
		if ly.w5 >= 0 {
			bs = append(bs, blk{p + "W5", ly.w5, 2 * H * H}, blk{p + "b5", ly.b5, H},
				blk{p + "W6", ly.w6, H * H}, blk{p + "b6", ly.b6, H})
		}
	}
	return bs
}

func TestEGNNParamLayout(t *testing.T) {
	for _, tc := range egnnTestConfigs {
		net := egnnTestNet(t, tc.cfg, 1)
		H, L, F := tc.cfg.Hidden, tc.cfg.Layers, net.nf
		want := H*(F+1) + (L-1)*(7*H*H+9*H+1) + 4*H*H + 7*H + 1
		if got := len(net.Params()); got != want {
			t.Errorf("%s: %d parameters, formula says %d", tc.name, got, want)
		}
		covered := make([]int, len(net.theta))
		for _, b := range egnnBlocks(net) {
			for i := b.off; i < b.off+b.len; i++ {
				covered[i]++
			}
		}
		for i, c := range covered {
			if c != 1 {
				t.Fatalf("%s: parameter %d in %d blocks", tc.name, i, c)
			}
		}
	}
	// DW-4 and LJ-13 at iDEM's width.
	for _, c := range []struct{ n, d, want int }{{4, 2, 298371}, {13, 3, 530053}} {
		net, err := NewEGNN(DefaultEGNNConfig(c.n, c.d), nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(net.Params()); got != c.want {
			t.Errorf("default N=%d D=%d: %d parameters, want %d", c.n, c.d, got, c.want)
		}
	}
}

// egnnLoss returns Σ dout·s_θ(x, t).
func egnnLoss(ws *EGNNWorkspace, out, x, tm, dout []float64) float64 {
	ws.Forward(out, x, tm)
	s := 0.0
	for i, v := range out {
		s += v * dout[i]
	}
	return s
}

// TestEGNNGradient checks the hand-written backward pass against central
// finite differences, for sampled entries of every parameter block.
//
// Differences use the fourth-order stencil
// (8(f(θ+h) − f(θ−h)) − (f(θ+2h) − f(θ−2h)))/(12h) with h = 1e-4, whose
// truncation error is O(h⁴) ≈ 1e-16 and rounding error about
// 1e-16·|f|/h ≈ 1e-12 here. An entry passes when
// |analytic − numeric| ≤ 1e-6·max(|analytic|, |numeric|) + 1e-10: relative
// error below 1e-6, with an absolute floor of 1e-10 for entries that are
// (nearly) zero, where a relative error means nothing.
func TestEGNNGradient(t *testing.T) {
	const (
		h      = 1e-4
		relTol = 1e-6
		absTol = 1e-10
		perBlk = 4
	)
	opts := []struct {
		name string
		opt  EGNNWorkspaceOptions
	}{
		{"store", EGNNWorkspaceOptions{}},
		{"recompute-chunked", EGNNWorkspaceOptions{MaxBytes: -1, ChunkEdges: 20}},
	}
	for _, tc := range egnnTestConfigs {
		for _, o := range opts {
			t.Run(tc.name+"/"+o.name, func(t *testing.T) {
				net := egnnTestNet(t, tc.cfg, 7)
				d := net.Dim()
				rng := rand.New(rand.NewPCG(11, uint64(d)))
				const n = 3 // several random points in one batch
				x, tm, dout := egnnRandomBatch(rng, n, d, 1.5)
				ws := net.NewEGNNWorkspace(n, o.opt)
				if o.opt.MaxBytes < 0 && !ws.Recomputes() {
					t.Fatal("workspace does not recompute")
				}
				out := make([]float64, n*d)
				grad := make([]float64, len(net.theta))
				ws.Forward(out, x, tm)
				ws.Backward(grad, dout)
				worst, worstAt := 0.0, ""
				for _, b := range egnnBlocks(net) {
					idx := []int{b.off, b.off + b.len - 1}
					for range perBlk - 2 {
						idx = append(idx, b.off+rng.IntN(b.len))
					}
					for _, i := range idx {
						th0 := net.theta[i]
						f := func(v float64) float64 {
							net.theta[i] = v
							return egnnLoss(ws, out, x, tm, dout)
						}
						num := (8*(f(th0+h)-f(th0-h)) - (f(th0+2*h) - f(th0-2*h))) / (12 * h)
						net.theta[i] = th0
						an := grad[i]
						diff := math.Abs(an - num)
						scale := math.Max(math.Abs(an), math.Abs(num))
						if diff > relTol*scale+absTol {
							t.Errorf("%s[%d]: analytic %.12g, numeric %.12g, |diff| %.3g", b.name, i-b.off, an, num, diff)
						}
						if scale > 1e-6 && diff/scale > worst {
							worst, worstAt = diff/scale, fmt.Sprintf("%s[%d] (grad %.3g)", b.name, i-b.off, an)
						}
					}
				}
				t.Logf("worst relative error %.2g at %s (entries with |grad| > 1e-6)", worst, worstAt)
			})
		}
	}
}

// TestEGNNWorkspaceModes checks that storing and recomputing activations, and
// any chunking, give the same outputs and gradients.
func TestEGNNWorkspaceModes(t *testing.T) {
	cfg := egnnTestConfigs[0].cfg
	net := egnnTestNet(t, cfg, 3)
	d := net.Dim()
	rng := rand.New(rand.NewPCG(5, 6))
	const n = 23
	x, tm, dout := egnnRandomBatch(rng, n, d, 2)
	var refOut, refGrad []float64
	for _, o := range []EGNNWorkspaceOptions{
		{Workers: 1}, {Workers: 1, MaxBytes: -1}, {Workers: 1, ChunkEdges: 1},
		{Workers: 2}, {Workers: 3, ChunkEdges: 50, MaxBytes: -1}, {Workers: 2, ChunkEdges: 1 << 20},
		{Workers: 4, ChunkEdges: 1},
	} {
		ws := net.NewEGNNWorkspace(n+5, o)
		out := make([]float64, n*d)
		grad := make([]float64, len(net.theta))
		ws.Forward(out, x, tm)
		ws.Backward(grad, dout)
		if refOut == nil {
			refOut, refGrad = out, grad
			continue
		}
		if e := egnnMaxAbsDiff(out, refOut); e > 1e-13 {
			t.Errorf("options %+v: outputs differ by %g", o, e)
		}
		if e := egnnMaxAbsDiff(grad, refGrad); e > 1e-12*egnnMaxAbs(refGrad) {
			t.Errorf("options %+v: gradients differ by %g", o, e)
		}
	}
}

func egnnMaxAbsDiff(a, b []float64) float64 {
	m := 0.0
	for i := range a {
		m = math.Max(m, math.Abs(a[i]-b[i]))
	}
	return m
}

func egnnMaxAbs(a []float64) float64 {
	m := 0.0
	for _, v := range a {
		m = math.Max(m, math.Abs(v))
	}
	return m
}

// egnnRandomOrthogonal returns a D×D orthogonal matrix (rotation or
// reflection) by Gram–Schmidt on a Gaussian matrix.
func egnnRandomOrthogonal(rng *rand.Rand, D int) []float64 {
	q := make([]float64, D*D)
	for i := range q {
		q[i] = rng.NormFloat64()
	}
	for r := range D {
		row := q[r*D : r*D+D]
		for p := range r {
			prev := q[p*D : p*D+D]
			dot := 0.0
			for a := range D {
				dot += row[a] * prev[a]
			}
			for a := range D {
				row[a] -= dot * prev[a]
			}
		}
		nrm := 0.0
		for _, v := range row {
			nrm += v * v
		}
		nrm = math.Sqrt(nrm)
		for a := range D {
			row[a] /= nrm
		}
	}
	return q
}

// egnnApply returns every particle of x (n configurations of N particles)
// mapped by y_i = Q x_i + c.
func egnnApply(x, q, c []float64, D int) []float64 {
	y := make([]float64, len(x))
	for p := 0; p < len(x); p += D {
		for a := range D {
			v := c[a]
			for b := range D {
				v += q[a*D+b] * x[p+b]
			}
			y[p+a] = v
		}
	}
	return y
}

// TestEGNNEquivariance checks s(Qx + c) = Q s(x) for random orthogonal Q and
// translations c, and s(Πx) = Π s(x) for permutations Π of the particles, to
// 1e-9, in 2-D and 3-D.
func TestEGNNEquivariance(t *testing.T) {
	const tol = 1e-9
	for _, tc := range egnnTestConfigs {
		t.Run(tc.name, func(t *testing.T) {
			net := egnnTestNet(t, tc.cfg, 9)
			N, D, d := tc.cfg.Particles, tc.cfg.SpatialDim, net.Dim()
			rng := rand.New(rand.NewPCG(13, uint64(d)))
			const n = 4
			x, tm, _ := egnnRandomBatch(rng, n, d, 1.5)
			ws := net.NewWorkspace(n)
			out := make([]float64, n*d)
			ws.Forward(out, x, tm)
			if m := egnnMaxAbs(out); m < 1e-2 {
				t.Fatalf("output too small (%g) for a meaningful test", m)
			}
			got := make([]float64, n*d)
			zero := make([]float64, D)
			var worstRot, worstTrans, worstPerm float64
			for trial := range 3 {
				q := egnnRandomOrthogonal(rng, D)
				c := make([]float64, D)
				for a := range c {
					c[a] = 3 * rng.NormFloat64()
				}
				ws.Forward(got, egnnApply(x, q, c, D), tm)
				e := egnnMaxAbsDiff(got, egnnApply(out, q, zero, D))
				if e > tol {
					t.Errorf("trial %d: rotation+translation: error %g", trial, e)
				}
				worstRot = math.Max(worstRot, e)
				ws.Forward(got, egnnApply(x, egnnIdentity(D), c, D), tm)
				e = egnnMaxAbsDiff(got, out)
				if e > tol {
					t.Errorf("trial %d: translation: error %g", trial, e)
				}
				worstTrans = math.Max(worstTrans, e)
				perm := rng.Perm(N)
				ws.Forward(got, egnnPermute(x, perm, N, D), tm)
				e = egnnMaxAbsDiff(got, egnnPermute(out, perm, N, D))
				if e > tol {
					t.Errorf("trial %d: permutation %v: error %g", trial, perm, e)
				}
				worstPerm = math.Max(worstPerm, e)
			}
			t.Logf("max |error|: rotation+translation %.2g, translation %.2g, permutation %.2g (outputs up to %.2g)",
				worstRot, worstTrans, worstPerm, egnnMaxAbs(out))
		})
	}
}

func egnnIdentity(D int) []float64 {
	q := make([]float64, D*D)
	for a := range D {
		q[a*D+a] = 1
	}
	return q
}

// egnnPermute returns x with particle perm[i] of each configuration moved to
// slot i.
func egnnPermute(x []float64, perm []int, N, D int) []float64 {
	y := make([]float64, len(x))
	for c := 0; c < len(x); c += N * D {
		for i, p := range perm {
			copy(y[c+i*D:c+i*D+D], x[c+p*D:c+p*D+D])
		}
	}
	return y
}

// TestEGNNMeanFree checks that the output sums to zero over particles.
func TestEGNNMeanFree(t *testing.T) {
	for _, tc := range egnnTestConfigs {
		net := egnnTestNet(t, tc.cfg, 21)
		N, D, d := tc.cfg.Particles, tc.cfg.SpatialDim, net.Dim()
		rng := rand.New(rand.NewPCG(17, 1))
		const n = 5
		x, tm, _ := egnnRandomBatch(rng, n, d, 2)
		for i := range x {
			x[i] += 4 // the input need not be mean-free
		}
		out := make([]float64, n*d)
		net.NewWorkspace(n).Forward(out, x, tm)
		for b := range n {
			for a := range D {
				s, m := 0.0, 0.0
				for i := range N {
					v := out[b*d+i*D+a]
					s += v
					m = math.Max(m, math.Abs(v))
				}
				if math.Abs(s) > 1e-13*math.Max(1, m) {
					t.Errorf("%s: configuration %d, axis %d: particles sum to %g", tc.name, b, a, s)
				}
			}
		}
	}
}

// TestEGNNCoincident checks finite outputs and gradients when particles
// coincide (two at one place; all at the origin), and that the gradient is
// still right there (the normalised relative vector uses √(r + ε)).
func TestEGNNCoincident(t *testing.T) {
	for _, tc := range egnnTestConfigs {
		net := egnnTestNet(t, tc.cfg, 23)
		N, D, d := tc.cfg.Particles, tc.cfg.SpatialDim, net.Dim()
		rng := rand.New(rand.NewPCG(19, 1))
		x, tm, dout := egnnRandomBatch(rng, 3, d, 1)
		copy(x[D:2*D], x[:D])          // configuration 0: particles 0 and 1 coincide
		clear(x[d : 2*d])              // configuration 1: every particle at the origin
		copy(x[2*d+(N-1)*D:], x[2*d:]) // configuration 2: first and last coincide
		x[2*d+(N-1)*D] += 1e-300       // and a denormal-scale separation
		ws := net.NewEGNNWorkspace(3, EGNNWorkspaceOptions{})
		out := make([]float64, 3*d)
		grad := make([]float64, len(net.theta))
		ws.Forward(out, x, tm)
		ws.Backward(grad, dout)
		for i, v := range out {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("%s: output %d = %v", tc.name, i, v)
			}
		}
		for i, v := range grad {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("%s: gradient %d = %v", tc.name, i, v)
			}
		}
		// All at one place: no direction exists, so the output is zero.
		for i, v := range out[d : 2*d] {
			if v != 0 {
				t.Errorf("%s: all particles at the origin: output %d = %g, want 0", tc.name, i, v)
			}
		}
		// Finite differences at the coincident configurations.
		const h = 1e-4
		for _, b := range egnnBlocks(net) {
			i := b.off + rng.IntN(b.len)
			th0 := net.theta[i]
			f := func(v float64) float64 { net.theta[i] = v; return egnnLoss(ws, out, x, tm, dout) }
			num := (8*(f(th0+h)-f(th0-h)) - (f(th0+2*h) - f(th0-2*h))) / (12 * h)
			net.theta[i] = th0
			if diff := math.Abs(grad[i] - num); diff > 1e-6*math.Max(math.Abs(grad[i]), math.Abs(num))+1e-10 {
				t.Errorf("%s: %s[%d] at coincident particles: analytic %g, numeric %g", tc.name, b.name, i-b.off, grad[i], num)
			}
		}
	}
}

// TestEGNNCheckpoint rebuilds the network from Kind and MarshalConfig through
// the registry and checks that the same θ gives bit-identical outputs.
func TestEGNNCheckpoint(t *testing.T) {
	for _, cfg := range []EGNNConfig{egnnTestConfigs[0].cfg, egnnTestConfigs[1].cfg, DefaultEGNNConfig(13, 3)} {
		net := egnnTestNet(t, cfg, 29)
		js, err := net.MarshalConfig()
		if err != nil {
			t.Fatal(err)
		}
		build, ok := netBuilders[net.Kind()]
		if !ok {
			t.Fatalf("kind %q not registered", net.Kind())
		}
		sn, err := build(js)
		if err != nil {
			t.Fatal(err)
		}
		re, ok := sn.(*EGNN)
		if !ok || re.Config() != cfg || sn.Dim() != net.Dim() || len(sn.Params()) != len(net.Params()) {
			t.Fatalf("rebuilt %T %+v with %d params, want %+v with %d", sn, re.Config(), len(sn.Params()), cfg, len(net.Params()))
		}
		copy(sn.Params(), net.Params())
		rng := rand.New(rand.NewPCG(31, 1))
		const n = 3
		x, tm, _ := egnnRandomBatch(rng, n, net.Dim(), 1)
		a, b := make([]float64, n*net.Dim()), make([]float64, n*net.Dim())
		net.NewWorkspace(n).Forward(a, x, tm)
		sn.NewWorkspace(n).Forward(b, x, tm)
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("%+v: output %d: %v vs %v after rebuild", cfg, i, a[i], b[i])
			}
		}
	}
	build := netBuilders["egnn"]
	for _, bad := range []string{
		`{"particles": 1, "spatial_dim": 3, "layers": 2, "hidden": 8, "coord_scale": 1, "message_scale": 1, "output_scale": 1}`,
		`{"particles": 4, "spatial_dim": 2, "layers": 2, "hidden": 8, "coord_scale": 1, "message_scale": 1, "output_scale": 1, "bogus": 3}`,
		`{"particles": 4, "spatial_dim": 2, "layers": 2, "hidden": 8, "coord_scale": 0, "message_scale": 1, "output_scale": 1}`,
		`not json`,
	} {
		if _, err := build([]byte(bad)); err == nil {
			t.Errorf("config %s: no error", bad)
		}
	}
}

// TestEGNNPanics checks that misuse panics with the package prefix.
func TestEGNNPanics(t *testing.T) {
	net := egnnTestNet(t, egnnTestConfigs[1].cfg, 1)
	d := net.Dim()
	for _, c := range []struct {
		name string
		f    func(ws Workspace)
	}{
		{"backward before forward", func(ws Workspace) { ws.Backward(make([]float64, len(net.theta)), make([]float64, d)) }},
		{"batch too large", func(ws Workspace) { ws.Forward(make([]float64, 3*d), make([]float64, 3*d), make([]float64, 3)) }},
		{"size mismatch", func(ws Workspace) { ws.Forward(make([]float64, d), make([]float64, d+1), make([]float64, 1)) }},
		{"grad size", func(ws Workspace) {
			ws.Forward(make([]float64, d), make([]float64, d), make([]float64, 1))
			ws.Backward(make([]float64, 1), make([]float64, d))
		}},
		{"zero batch workspace", func(Workspace) { net.NewWorkspace(0) }},
	} {
		func() {
			defer func() {
				r := recover()
				if s, ok := r.(string); !ok || !strings.HasPrefix(s, "sim: ") {
					t.Errorf("%s: recovered %v, want a \"sim: \" panic", c.name, r)
				}
			}()
			c.f(net.NewWorkspace(2))
		}()
	}
}

// TestEGNNNoAllocs checks that Forward and Backward allocate nothing, and
// that the matrix-product scratch sized up front never grows.
func TestEGNNNoAllocs(t *testing.T) {
	for _, o := range []EGNNWorkspaceOptions{{Workers: 1}, {Workers: 2}, {MaxBytes: -1, ChunkEdges: 30, Workers: 3}} {
		net := egnnTestNet(t, egnnTestConfigs[0].cfg, 1)
		d := net.Dim()
		rng := rand.New(rand.NewPCG(1, 1))
		x, tm, dout := egnnRandomBatch(rng, 16, d, 1)
		ws := net.NewEGNNWorkspace(16, o)
		out := make([]float64, len(x))
		grad := make([]float64, len(net.theta))
		var caps []int // of the matrix-product scratch, which must not grow
		for _, wk := range ws.c.workers {
			caps = append(caps, cap(wk.sc.gemm.pack), cap(wk.sc.gemm.rows))
		}
		if a := testing.AllocsPerRun(5, func() {
			ws.Forward(out, x, tm)
			ws.Backward(grad, dout)
		}); a != 0 {
			t.Errorf("options %+v: %v allocations per Forward+Backward", o, a)
		}
		for i, wk := range ws.c.workers {
			if cap(wk.sc.gemm.pack) != caps[2*i] || cap(wk.sc.gemm.rows) != caps[2*i+1] {
				t.Errorf("options %+v: worker %d's product scratch grew", o, i)
			}
		}
	}
}

// TestEGNNWorkersStop checks that the helper goroutines of a workspace end
// once it is unreachable.
func TestEGNNWorkersStop(t *testing.T) {
	net := egnnTestNet(t, egnnTestConfigs[0].cfg, 1)
	before := runtime.NumGoroutine()
	func() {
		ws := net.NewEGNNWorkspace(64, EGNNWorkspaceOptions{Workers: 4, ChunkEdges: 12})
		if ws.Workers() != 4 {
			t.Fatalf("%d workers, want 4", ws.Workers())
		}
		d := net.Dim()
		ws.Forward(make([]float64, 64*d), make([]float64, 64*d), make([]float64, 64))
	}()
	if runtime.NumGoroutine() < before+3 {
		t.Fatalf("helpers not running: %d goroutines, %d before", runtime.NumGoroutine(), before)
	}
	for range 100 {
		runtime.GC()
		if runtime.NumGoroutine() <= before {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("%d goroutines remain, %d before the workspace", runtime.NumGoroutine(), before)
}

// ExampleEGNN evaluates iDEM's DW-4 network (4 particles in 2-D, 3 layers of
// width 128) at one configuration, with a fixed seed.
func ExampleEGNN() {
	cfg := DefaultEGNNConfig(4, 2)
	net, err := NewEGNN(cfg, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		panic(err)
	}
	x := []float64{-1, 0.5, 1.5, 0, 0, 2, 0.5, -2}
	out := make([]float64, len(x))
	net.NewWorkspace(1).Forward(out, x, []float64{0.5})
	fmt.Println("parameters:", len(net.Params()))
	sum := 0.0
	for i := range 4 {
		fmt.Printf("particle %d: %+.4e %+.4e\n", i, out[2*i], out[2*i+1])
		sum += out[2*i] + out[2*i+1]
	}
	fmt.Printf("sum over particles: %.1f\n", math.Abs(sum))
	// Output:
	// parameters: 298371
	// particle 0: -6.6784e-04 +9.5491e-05
	// particle 1: +6.6803e-04 -3.8891e-05
	// particle 2: -6.8321e-05 +8.5018e-04
	// particle 3: +6.8135e-05 -9.0678e-04
	// sum over particles: 0.0
}
