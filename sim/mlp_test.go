package sim

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// refMLP evaluates the network of one row straight from the definition in
// MLP's documentation, with the textbook GELU 0.5 v (1 + erf(v/√2)) and the
// PyTorch embedding formula, as an oracle for the batched kernels.
func refMLP(cfg MLPConfig, theta, x []float64, t float64) []float64 {
	d, e, h := cfg.Dim, cfg.EmbedSize, cfg.Hidden
	half := e / 2
	emb := func(u float64) []float64 {
		out := make([]float64, e)
		for k := range half {
			f := math.Exp(-math.Log(10000.0) / float64(half-1) * float64(k))
			out[k] = math.Sin(u * f)
			out[half+k] = math.Cos(u * f)
		}
		return out
	}
	var a []float64
	for j := range d {
		a = append(a, emb(x[j]*cfg.InputScale*cfg.CoordScale)...)
	}
	a = append(a, emb(t*cfg.TimeScale)...)
	gelu := func(v float64) float64 { return 0.5 * v * (1 + math.Erf(v/math.Sqrt2)) }
	off := 0
	linear := func(in []float64, nout int) []float64 {
		nin := len(in)
		out := make([]float64, nout)
		for o := range nout {
			s := theta[off+nin*nout+o]
			for i := range nin {
				s += in[i] * theta[off+i*nout+o]
			}
			out[o] = s
		}
		off += nin*nout + nout
		return out
	}
	z := linear(a, h)
	for i := range z {
		z[i] = gelu(z[i])
	}
	for range cfg.Blocks {
		v := linear(z, h)
		for i := range z {
			z[i] += gelu(v[i])
		}
	}
	out := linear(z, d)
	for i := range out {
		out[i] *= cfg.OutputScale
	}
	return out
}

// smallMLPConfig is a network small enough for exhaustive checks but with
// every feature on: 3-D input, several blocks, non-unit scales.
func smallMLPConfig() MLPConfig {
	return MLPConfig{Dim: 3, EmbedSize: 8, Hidden: 6, Blocks: 2, CoordScale: 25, TimeScale: 1,
		InputScale: 1.0 / 50, OutputScale: 0.7}
}

// randomBatch returns n points with coordinates ~ 30·N(0,1) and times
// uniform in [0, 1], with rows 1 and 2 sharing a time (to exercise the
// embedding reuse).
func randomBatch(rng *rand.Rand, n, d int) (x, t []float64) {
	x, t = make([]float64, n*d), make([]float64, n)
	for i := range x {
		x[i] = 30 * rng.NormFloat64()
	}
	for i := range t {
		t[i] = rng.Float64()
	}
	if n > 2 {
		t[2] = t[1]
	}
	return x, t
}

func TestMLPForwardMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, cfg := range []MLPConfig{smallMLPConfig(), DefaultMLPConfig(2)} {
		t.Run(fmt.Sprintf("d%d_E%d_H%d_B%d", cfg.Dim, cfg.EmbedSize, cfg.Hidden, cfg.Blocks), func(t *testing.T) {
			net, err := NewMLP(cfg, rng)
			if err != nil {
				t.Fatal(err)
			}
			n := 9
			x, tt := randomBatch(rng, n, cfg.Dim)
			out := make([]float64, n*cfg.Dim)
			net.NewWorkspace(16).Forward(out, x, tt)
			for i := range n {
				want := refMLP(cfg, net.Params(), x[i*cfg.Dim:(i+1)*cfg.Dim], tt[i])
				for j, w := range want {
					if got := out[i*cfg.Dim+j]; math.Abs(got-w) > 1e-12*(1+math.Abs(w)) {
						t.Errorf("row %d out %d: got %v, want %v", i, j, got, w)
					}
				}
			}
		})
	}
}

func TestMLPNumParams(t *testing.T) {
	cfg := DefaultMLPConfig(2)
	net, err := NewMLP(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	// (2+1)·128·128 + 128 + 3·(128² + 128) + 128·2 + 2, iDEM's MyMLP for 2-D targets.
	if got, want := len(net.Params()), 99074; got != want || cfg.NumParams() != want {
		t.Fatalf("params %d (NumParams %d), want %d", got, cfg.NumParams(), want)
	}
	for _, v := range net.Params() {
		if v != 0 {
			t.Fatal("NewMLP with a nil source must leave θ zero")
		}
	}
}

func TestMLPInitIsPyTorchUniform(t *testing.T) {
	net, err := NewMLP(DefaultMLPConfig(2), rand.New(rand.NewPCG(5, 6)))
	if err != nil {
		t.Fatal(err)
	}
	for li, l := range net.layers {
		bound := 1 / math.Sqrt(float64(l.in))
		var s, s2 float64
		for _, v := range l.w {
			if math.Abs(v) > bound {
				t.Fatalf("layer %d: weight %v outside ±%v", li, v, bound)
			}
			s += v
			s2 += v * v
		}
		for _, v := range l.b {
			if math.Abs(v) > bound {
				t.Fatalf("layer %d: bias %v outside ±%v", li, v, bound)
			}
		}
		if len(l.w) < 1000 {
			continue
		}
		n := float64(len(l.w))
		mean, variance := s/n, s2/n
		// U(−b, b): mean 0, variance b²/3; five standard errors.
		if math.Abs(mean) > 5*bound/math.Sqrt(3*n) || math.Abs(variance-bound*bound/3) > 5*bound*bound*math.Sqrt(4.0/45/n) {
			t.Errorf("layer %d: mean %v, variance %v, want 0 and %v", li, mean, variance, bound*bound/3)
		}
	}
}

func TestMLPEmbeddingFrequencies(t *testing.T) {
	net, _ := NewMLP(DefaultMLPConfig(2), nil)
	// iDEM: f_k = exp(−k ln(10000)/63), from 1 down to 1e-4.
	if net.freq[0] != 1 || math.Abs(net.freq[63]-1e-4) > 1e-18 || len(net.freq) != 64 {
		t.Fatalf("frequencies %v … %v (%d), want 1 … 1e-4 (64)", net.freq[0], net.freq[len(net.freq)-1], len(net.freq))
	}
	e := make([]float64, 128)
	net.embed(e, 2)
	if math.Abs(e[0]-math.Sin(2)) > 1e-15 || math.Abs(e[64]-math.Cos(2)) > 1e-15 || math.Abs(e[127]-math.Cos(2e-4)) > 1e-15 {
		t.Fatalf("embedding of 2: sin %v cos %v last %v", e[0], e[64], e[127])
	}
}

// fd5 returns the five-point central difference of f at *p with step h:
// [−f(p+2h) + 8f(p+h) − 8f(p−h) + f(p−2h)] / 12h, error O(h⁴).
func fd5(f func() float64, p *float64, h float64) float64 {
	p0 := *p
	at := func(v float64) float64 { *p = v; return f() }
	r := (-at(p0+2*h) + 8*at(p0+h) - 8*at(p0-h) + at(p0-2*h)) / (12 * h)
	*p = p0
	return r
}

func relErr(a, b float64) float64 {
	den := math.Max(math.Max(math.Abs(a), math.Abs(b)), 1e-7)
	return math.Abs(a-b) / den
}

// TestMLPGradientFiniteDifferences checks Backward and BackwardInput of
// L = Σ dout·out against five-point finite differences for sampled entries
// of every weight matrix and bias and for every input coordinate, at several
// random points and networks.
func TestMLPGradientFiniteDifferences(t *testing.T) {
	cfgs := []MLPConfig{smallMLPConfig(), DefaultMLPConfig(2)}
	cfgs[1].InputScale = 1.0 / 50
	for ci, cfg := range cfgs {
		for trial := range 3 {
			t.Run(fmt.Sprintf("net%d_point%d", ci, trial), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(10+ci), uint64(trial)))
				net, err := NewMLP(cfg, rng)
				if err != nil {
					t.Fatal(err)
				}
				n, d := 5, cfg.Dim
				x, tt := randomBatch(rng, n, d)
				dout := randSlice(rng, n*d)
				ws := net.NewMLPWorkspace(n)
				out := make([]float64, n*d)
				loss := func() float64 {
					ws.Forward(out, x, tt)
					var s float64
					for i, o := range out {
						s += dout[i] * o
					}
					return s
				}
				loss()
				grad := make([]float64, len(net.Params()))
				dx := make([]float64, n*d)
				ws.BackwardBoth(grad, dx, dout)

				// Every block: every entry of the small net, 12 sampled ones of the big one.
				theta := net.Params()
				worst := 0.0
				for li, l := range net.layers {
					blocks := []struct {
						name     string
						off, len int
					}{{fmt.Sprintf("W%d", li), l.wOff, l.in * l.out}, {fmt.Sprintf("b%d", li), l.wOff + l.in*l.out, l.out}}
					for _, b := range blocks {
						idx := make([]int, 0, b.len)
						if b.len <= 64 {
							for i := range b.len {
								idx = append(idx, b.off+i)
							}
						} else {
							for range 12 {
								idx = append(idx, b.off+rng.IntN(b.len))
							}
						}
						nonzero := false
						for _, k := range idx {
							num := fd5(loss, &theta[k], 1e-3)
							if e := relErr(grad[k], num); e > 1e-6 {
								t.Errorf("%s entry %d: analytic %v, finite difference %v (rel %v)", b.name, k-b.off, grad[k], num, e)
							} else {
								worst = math.Max(worst, e)
							}
							nonzero = nonzero || grad[k] != 0
						}
						if !nonzero {
							t.Errorf("%s: every checked gradient entry is zero", b.name)
						}
					}
				}
				for k := range x {
					num := fd5(loss, &x[k], 1e-3)
					if e := relErr(dx[k], num); e > 1e-6 {
						t.Errorf("input %d: analytic %v, finite difference %v (rel %v)", k, dx[k], num, e)
					}
				}
				t.Logf("worst parameter relative error %.2g", worst)
			})
		}
	}
}

func TestMLPBackwardAccumulatesAndMatchesInputOnly(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	cfg := smallMLPConfig()
	net, _ := NewMLP(cfg, rng)
	n := 4
	x, tt := randomBatch(rng, n, cfg.Dim)
	dout := randSlice(rng, n*cfg.Dim)
	ws := net.NewMLPWorkspace(n)
	out := make([]float64, n*cfg.Dim)
	ws.Forward(out, x, tt)
	g1 := make([]float64, len(net.Params()))
	ws.Backward(g1, dout)
	g2 := append([]float64(nil), g1...)
	ws.Backward(g2, dout)
	for i := range g1 {
		if math.Abs(g2[i]-2*g1[i]) > 1e-12*(1+math.Abs(g1[i])) {
			t.Fatalf("Backward does not add: %v then %v", g1[i], g2[i])
		}
	}
	dx1, dx2 := make([]float64, n*cfg.Dim), make([]float64, n*cfg.Dim)
	ws.BackwardInput(dx1, dout)
	ws.BackwardBoth(nil, dx2, dout)
	for i := range dx1 {
		if dx1[i] != dx2[i] {
			t.Fatal("BackwardInput and BackwardBoth disagree")
		}
	}
}

func TestMLPRowsAreIndependent(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	cfg := smallMLPConfig()
	net, _ := NewMLP(cfg, rng)
	n, d := 7, cfg.Dim
	x, tt := randomBatch(rng, n, d)
	out := make([]float64, n*d)
	net.NewWorkspace(n).Forward(out, x, tt)
	one := make([]float64, d)
	ws := net.NewWorkspace(1)
	for i := range n {
		ws.Forward(one, x[i*d:(i+1)*d], tt[i:i+1])
		for j := range d {
			if math.Abs(one[j]-out[i*d+j]) > 1e-13*(1+math.Abs(one[j])) {
				t.Fatalf("row %d: alone %v, in a batch %v", i, one[j], out[i*d+j])
			}
		}
	}
}

func TestNetScoreChunksBatches(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	cfg := smallMLPConfig()
	net, _ := NewMLP(cfg, rng)
	n, d := 11, cfg.Dim
	x, _ := randomBatch(rng, n, d)
	tt := make([]float64, n)
	for i := range tt {
		tt[i] = 0.3
	}
	want := make([]float64, n*d)
	net.NewWorkspace(n).Forward(want, x, tt)
	got := make([]float64, n*d)
	NewNetScore(net, 4).Score(got, x, 0.3)
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-13*(1+math.Abs(want[i])) {
			t.Fatalf("entry %d: chunked %v, whole %v", i, got[i], want[i])
		}
	}
}

func TestMLPConfigValidate(t *testing.T) {
	ok := DefaultMLPConfig(2)
	cases := []struct {
		name string
		mod  func(*MLPConfig)
		want string // substring of the error, "" for valid
	}{
		{"default", func(*MLPConfig) {}, ""},
		{"no blocks", func(c *MLPConfig) { c.Blocks = 0 }, ""},
		{"zero dim", func(c *MLPConfig) { c.Dim = 0 }, "dim"},
		{"odd embedding", func(c *MLPConfig) { c.EmbedSize = 7 }, "embed_size"},
		{"tiny embedding", func(c *MLPConfig) { c.EmbedSize = 2 }, "embed_size"},
		{"zero width", func(c *MLPConfig) { c.Hidden = 0 }, "hidden"},
		{"negative blocks", func(c *MLPConfig) { c.Blocks = -1 }, "blocks"},
		{"NaN scale", func(c *MLPConfig) { c.CoordScale = math.NaN() }, "coord_scale"},
		{"zero input scale", func(c *MLPConfig) { c.InputScale = 0 }, "input_scale"},
		{"infinite output scale", func(c *MLPConfig) { c.OutputScale = math.Inf(1) }, "output_scale"},
		{"too many parameters", func(c *MLPConfig) { c.Hidden, c.Blocks = 8192, 64 }, "limit"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.mod(&c)
			err := c.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
			if _, err := NewMLP(c, nil); err == nil {
				t.Fatal("NewMLP accepted an invalid config")
			}
		})
	}
}

func TestMLPConfigJSONRoundTrip(t *testing.T) {
	net, _ := NewMLP(smallMLPConfig(), nil)
	b, err := net.MarshalConfig()
	if err != nil {
		t.Fatal(err)
	}
	c, err := UnmarshalMLPConfig(b)
	if err != nil || c != smallMLPConfig() {
		t.Fatalf("round trip: %+v, %v", c, err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil || m["coord_scale"] != 25.0 {
		t.Fatalf("JSON field names: %s", b)
	}
	for _, bad := range []string{`{"dim":2,"bogus":1}`, `{"dim":2}`, `{`, `{"dim":2,"embed_size":128,"hidden":128,"blocks":3,"coord_scale":25,"time_scale":1,"input_scale":1,"output_scale":1} {}`} {
		if _, err := UnmarshalMLPConfig([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func TestMLPPanicsOnProgrammerErrors(t *testing.T) {
	net, _ := NewMLP(smallMLPConfig(), nil)
	ws := net.NewWorkspace(2)
	for name, f := range map[string]func(){
		"batch too big": func() { ws.Forward(make([]float64, 9), make([]float64, 9), make([]float64, 3)) },
		"x length":      func() { ws.Forward(make([]float64, 6), make([]float64, 5), make([]float64, 2)) },
		"gradient length": func() {
			ws.Forward(make([]float64, 6), make([]float64, 6), make([]float64, 2))
			ws.Backward(make([]float64, 3), make([]float64, 6))
		},
		"zero workspace": func() { net.NewWorkspace(0) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, ok := r.(string); !ok || !strings.HasPrefix(s, "sim: ") {
					t.Fatalf("panic %v, want a \"sim: \" message", r)
				}
			}()
			f()
		})
	}
}

// ExampleMLP builds iDEM's 2-D score network for gmm40 (coordinates divided
// by 50), evaluates it on a batch of two points and takes the parameter and
// input gradients of L = Σ dout·out.
func ExampleMLP() {
	cfg := DefaultMLPConfig(2)
	cfg.InputScale = 1.0 / 50 // iDEM's gmm40 normalization
	net, err := NewMLP(cfg, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		panic(err)
	}
	fmt.Println("parameters:", len(net.Params()))

	x := []float64{10, -20, 0, 35} // two points, row-major
	t := []float64{0.5, 0.9}       // one time per row
	out := make([]float64, 4)
	ws := net.NewMLPWorkspace(2)
	ws.Forward(out, x, t)
	fmt.Printf("s(x₁, 0.5) = (%.4f, %.4f)\n", out[0], out[1])

	grad, dx := make([]float64, len(net.Params())), make([]float64, 4)
	ws.BackwardBoth(grad, dx, []float64{1, 0, 0, 0}) // ∂ out[0]
	fmt.Printf("∂s₁/∂x₁ = (%.4f, %.4f)\n", dx[0], dx[1])
	// Output:
	// parameters: 99074
	// s(x₁, 0.5) = (-0.0297, -0.0209)
	// ∂s₁/∂x₁ = (0.0098, -0.0125)
}

// TestMLPPassesAllocateNothing checks that Forward and the backward passes
// allocate nothing (after BackwardInput's first call), also for an output
// wider than the hidden layer.
func TestMLPPassesAllocateNothing(t *testing.T) {
	for _, cfg := range []MLPConfig{DefaultMLPConfig(2), {Dim: 39, EmbedSize: 8, Hidden: 16, Blocks: 1, CoordScale: 1, TimeScale: 1, InputScale: 1, OutputScale: 2}} {
		rng := rand.New(rand.NewPCG(4, 4))
		net, _ := NewMLP(cfg, rng)
		n := 64
		x, tt := randomBatch(rng, n, cfg.Dim)
		out, dout, dx := make([]float64, n*cfg.Dim), randSlice(rng, n*cfg.Dim), make([]float64, n*cfg.Dim)
		grad := make([]float64, len(net.Params()))
		ws := net.NewMLPWorkspace(n)
		ws.Forward(out, x, tt)
		ws.BackwardInput(dx, dout) // allocates its input-gradient buffer once
		if a := testing.AllocsPerRun(3, func() {
			ws.Forward(out, x, tt)
			ws.BackwardBoth(grad, dx, dout)
		}); a != 0 {
			t.Errorf("dim %d: %v allocations per forward+backward", cfg.Dim, a)
		}
	}
}

// TestMLPWorkspaceReservesScratch checks that the matrix-product scratch
// sized by NewMLPWorkspace holds every product of the passes (it never
// grows), for networks whose widest product is the batch, the embedding,
// the hidden layer or the input gradient.
func TestMLPWorkspaceReservesScratch(t *testing.T) {
	for _, c := range []struct {
		cfg MLPConfig
		n   int
	}{
		{DefaultMLPConfig(2), 64},
		{MLPConfig{Dim: 1, EmbedSize: 4, Hidden: 300, Blocks: 1, CoordScale: 1, TimeScale: 1, InputScale: 1, OutputScale: 1}, 16},
		{MLPConfig{Dim: 39, EmbedSize: 8, Hidden: 16, Blocks: 1, CoordScale: 1, TimeScale: 1, InputScale: 1, OutputScale: 2}, 700},
	} {
		rng := rand.New(rand.NewPCG(4, 5))
		net, err := NewMLP(c.cfg, rng)
		if err != nil {
			t.Fatal(err)
		}
		d := c.cfg.Dim
		x, tt := randomBatch(rng, c.n, d)
		ws := net.NewMLPWorkspace(c.n)
		pack, rows := cap(ws.g.pack), cap(ws.g.rows)
		out, dx := make([]float64, c.n*d), make([]float64, c.n*d)
		ws.Forward(out, x, tt)
		ws.BackwardBoth(make([]float64, len(net.Params())), dx, randSlice(rng, c.n*d))
		if cap(ws.g.pack) != pack || cap(ws.g.rows) != rows {
			t.Errorf("%+v, batch %d: scratch grew from %d, %d to %d, %d", c.cfg, c.n, pack, rows, cap(ws.g.pack), cap(ws.g.rows))
		}
	}
}
