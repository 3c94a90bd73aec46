package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
)

// MaxNetParams caps the number of parameters of a network built from a
// configuration (800 MB of float64), so that a corrupted or hostile
// checkpoint cannot ask for an absurd allocation.
const MaxNetParams = 100_000_000

// MLPConfig holds the architecture of the MLP score network. The defaults
// (DefaultMLPConfig) are iDEM's network for 2-D targets (its MyMLP).
//
// The network sees a coordinate x_j as the embedding argument
// u_j = CoordScale·InputScale·x_j and the time as τ = TimeScale·t, and
// returns OutputScale times its last linear layer:
//
//	s_θ(x, t) = OutputScale · f_θ(InputScale·x, t).
//
// CoordScale and TimeScale belong to the architecture (iDEM: 25 and 1);
// InputScale and OutputScale adapt it to a target's units: iDEM's gmm40
// network computes on x/50 (its normalization), which is InputScale = 1/50.
// If f_θ is to predict the score in the normalized coordinates, as iDEM's
// does, set OutputScale = InputScale (the chain rule: ∇_x = InputScale·∇_{x/50});
// with OutputScale = 1 f_θ predicts the score in data units directly.
type MLPConfig struct {
	// Dim is the dimension d of x and of the output.
	Dim int `json:"dim"`
	// EmbedSize is the sinusoidal embedding size E per input (even, ≥ 4):
	// [sin(u f_k), cos(u f_k)], f_k = exp(−k ln(10000)/(E/2 − 1)),
	// k = 0..E/2−1. iDEM: 128.
	EmbedSize int `json:"embed_size"`
	// Hidden is the width H of the hidden layers. iDEM: 128.
	Hidden int `json:"hidden"`
	// Blocks is the number of residual blocks z ← z + GELU(z W + b). iDEM: 3.
	Blocks int `json:"blocks"`
	// CoordScale multiplies each (input-scaled) coordinate before its
	// embedding. iDEM: 25.
	CoordScale float64 `json:"coord_scale"`
	// TimeScale multiplies t before its embedding. iDEM: 1.
	TimeScale float64 `json:"time_scale"`
	// InputScale multiplies x before anything else: the network computes on
	// x·InputScale. 1 by default; 1/50 reproduces iDEM's gmm40 normalization.
	InputScale float64 `json:"input_scale"`
	// OutputScale multiplies the output of the last linear layer. 1 by default.
	OutputScale float64 `json:"output_scale"`
}

// DefaultMLPConfig returns iDEM's 2-D network for inputs of dimension dim:
// embeddings of size 128 (coordinate scale 25, time scale 1), width 128,
// 3 residual blocks, and unit input and output scales.
func DefaultMLPConfig(dim int) MLPConfig {
	return MLPConfig{Dim: dim, EmbedSize: 128, Hidden: 128, Blocks: 3,
		CoordScale: 25, TimeScale: 1, InputScale: 1, OutputScale: 1}
}

// Validate reports whether the configuration describes a buildable network
// of at most MaxNetParams parameters.
func (c MLPConfig) Validate() error {
	switch {
	case c.Dim < 1 || c.Dim > 4096:
		return fmt.Errorf("sim: mlp dim %d out of range [1, 4096]", c.Dim)
	case c.EmbedSize < 4 || c.EmbedSize > 4096 || c.EmbedSize%2 != 0:
		return fmt.Errorf("sim: mlp embed_size %d must be even and in [4, 4096]", c.EmbedSize)
	case c.Hidden < 1 || c.Hidden > 8192:
		return fmt.Errorf("sim: mlp hidden width %d out of range [1, 8192]", c.Hidden)
	case c.Blocks < 0 || c.Blocks > 64:
		return fmt.Errorf("sim: mlp blocks %d out of range [0, 64]", c.Blocks)
	}
	for _, s := range []struct {
		name string
		v    float64
	}{{"coord_scale", c.CoordScale}, {"time_scale", c.TimeScale}, {"input_scale", c.InputScale}, {"output_scale", c.OutputScale}} {
		if !(s.v > 0) || math.IsInf(s.v, 0) {
			return fmt.Errorf("sim: mlp %s %v must be positive and finite", s.name, s.v)
		}
	}
	if p := c.numParams(); p > MaxNetParams {
		return fmt.Errorf("sim: mlp has %d parameters, more than the limit %d", p, MaxNetParams)
	}
	return nil
}

// numParams counts the parameters in int64 (the bounds of Validate keep it
// far from overflow).
func (c MLPConfig) numParams() int64 {
	in0 := int64(c.Dim+1) * int64(c.EmbedSize)
	h, d := int64(c.Hidden), int64(c.Dim)
	return in0*h + h + int64(c.Blocks)*(h*h+h) + h*d + d
}

// NumParams returns the number of parameters
// (d+1)E·H + H + Blocks·(H² + H) + H·d + d; 99,074 for iDEM's 2-D network.
func (c MLPConfig) NumParams() int { return int(c.numParams()) }

// mlpLayer is one linear layer z·W + b, with W (in×out, row-major) and b
// views into the network's flat parameter vector.
type mlpLayer struct {
	in, out int
	w, b    []float64
	wOff    int // offset of W in θ (b follows W)
}

// MLP is iDEM's score network for low-dimensional targets:
//
//	a  = [e(u_1), …, e(u_d), e(τ)],  u_j = CoordScale·InputScale·x_j,  τ = TimeScale·t,
//	e(u) = [sin(u f_0), …, sin(u f_{E/2−1}), cos(u f_0), …, cos(u f_{E/2−1})],
//	z_0 = GELU(a W_0 + b_0),
//	z_l = z_{l−1} + GELU(z_{l−1} W_l + b_l),  l = 1..Blocks,
//	s_θ(x, t) = OutputScale · (z_B W_out + b_out),
//
// with the exact GELU(v) = v Φ(v) (Φ the standard normal CDF, PyTorch's
// default) and rows as batch entries. θ is one flat vector holding, in order,
// W_0 ((d+1)E×H, row-major, input index first), b_0, then W_l (H×H), b_l for
// each block, then W_out (H×d), b_out. It implements ScoreNet.
type MLP struct {
	cfg    MLPConfig
	params []float64
	freq   []float64 // f_k, k = 0..E/2−1
	layers []mlpLayer
}

// NewMLP builds the network. With a random source the parameters are drawn
// as PyTorch's nn.Linear does, W and b uniform in ±1/√fan_in; with rng nil
// they are zero (for a caller that copies θ in, like the checkpoint loader).
func NewMLP(cfg MLPConfig, rng *rand.Rand) (*MLP, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := &MLP{cfg: cfg, params: make([]float64, cfg.NumParams())}
	half := cfg.EmbedSize / 2
	m.freq = make([]float64, half)
	for k := range m.freq {
		m.freq[k] = math.Exp(-float64(k) * math.Log(10000) / float64(half-1))
	}
	in0 := (cfg.Dim + 1) * cfg.EmbedSize
	sizes := [][2]int{{in0, cfg.Hidden}}
	for range cfg.Blocks {
		sizes = append(sizes, [2]int{cfg.Hidden, cfg.Hidden})
	}
	sizes = append(sizes, [2]int{cfg.Hidden, cfg.Dim})
	off := 0
	for _, s := range sizes {
		in, out := s[0], s[1]
		l := mlpLayer{in: in, out: out, wOff: off,
			w: m.params[off : off+in*out : off+in*out], b: m.params[off+in*out : off+in*out+out : off+in*out+out]}
		off += in*out + out
		if rng != nil {
			bound := 1 / math.Sqrt(float64(in))
			for i := range l.w {
				l.w[i] = bound * (2*rng.Float64() - 1)
			}
			for i := range l.b {
				l.b[i] = bound * (2*rng.Float64() - 1)
			}
		}
		m.layers = append(m.layers, l)
	}
	if off != len(m.params) {
		panic("sim: mlp parameter layout does not add up")
	}
	return m, nil
}

// Config returns the architecture settings.
func (m *MLP) Config() MLPConfig { return m.cfg }

// Dim returns d.
func (m *MLP) Dim() int { return m.cfg.Dim }

// Params returns θ, the network's own flat parameter vector.
func (m *MLP) Params() []float64 { return m.params }

// Kind returns "mlp".
func (m *MLP) Kind() string { return "mlp" }

// MarshalConfig returns the MLPConfig as JSON.
func (m *MLP) MarshalConfig() ([]byte, error) { return json.Marshal(m.cfg) }

// UnmarshalMLPConfig parses and validates MLP settings written by
// MarshalConfig; unknown fields and trailing data are errors.
func UnmarshalMLPConfig(data []byte) (MLPConfig, error) {
	var c MLPConfig
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return MLPConfig{}, fmt.Errorf("sim: mlp config: %w", err)
	}
	if dec.More() {
		return MLPConfig{}, fmt.Errorf("sim: mlp config: trailing data after the JSON object")
	}
	return c, c.Validate()
}

func init() {
	RegisterNet("mlp", func(config []byte) (ScoreNet, error) {
		c, err := UnmarshalMLPConfig(config)
		if err != nil {
			return nil, err
		}
		return NewMLP(c, nil)
	})
	registerNetSize("mlp", func(config []byte) (int, error) {
		c, err := UnmarshalMLPConfig(config)
		return c.NumParams(), err
	})
}

// NewWorkspace returns buffers for batches of up to maxBatch rows.
func (m *MLP) NewWorkspace(maxBatch int) Workspace { return m.NewMLPWorkspace(maxBatch) }

// NewMLPWorkspace is NewWorkspace with the concrete type, which adds
// BackwardInput.
func (m *MLP) NewMLPWorkspace(maxBatch int) *MLPWorkspace {
	if maxBatch < 1 {
		panic("sim: workspace batch size must be positive")
	}
	c := m.cfg
	n, h := maxBatch, c.Hidden
	in0 := (c.Dim + 1) * c.EmbedSize
	w := &MLPWorkspace{net: m, maxBatch: n,
		emb: make([]float64, n*in0), pre: make([]float64, n*h), dout: make([]float64, n*c.Dim),
		dz: make([]float64, n*h), dv: make([]float64, n*h)}
	for range c.Blocks + 1 {
		w.dgelu = append(w.dgelu, make([]float64, n*h))
		w.act = append(w.act, make([]float64, n*h))
	}
	// The products have at most max(n, (d+1)E, H) rows and max(H, dE)
	// columns: size the scratch for them all, so that no call grows it.
	w.g.reserve(max(n, in0, h), max(h, c.Dim*c.EmbedSize))
	return w
}

// MLPWorkspace holds the activations of one batch of an MLP. It implements
// Workspace and adds BackwardInput. It reads the network's parameters at
// every call, so it follows optimizer updates; it belongs to one goroutine
// at a time.
type MLPWorkspace struct {
	net      *MLP
	maxBatch int
	n        int         // rows of the last Forward; 0 before the first
	emb      []float64   // n×(d+1)E embedding a
	pre      []float64   // n×H pre-activations v of the layer being computed
	dgelu    [][]float64 // per layer 0..B: n×H GELU'(v), for the backward pass
	act      [][]float64 // per layer 0..B: n×H outputs z_l
	dout     []float64   // OutputScale·dout
	dz, dv   []float64   // n×H gradient scratch
	demb     []float64   // n×dE, allocated on the first BackwardInput
	g        gemmScratch
}

// Forward writes out (n×d) = s_θ(x, t) for the n = len(t) rows of x and
// keeps the activations for Backward. A row whose time equals the previous
// row's reuses its time embedding.
func (w *MLPWorkspace) Forward(out, x, t []float64) {
	m := w.net
	c := m.cfg
	n, d, h, e := len(t), c.Dim, c.Hidden, c.EmbedSize
	if n > w.maxBatch {
		panic(fmt.Sprintf("sim: batch of %d rows exceeds the workspace's %d", n, w.maxBatch))
	}
	if len(x) != n*d || len(out) != n*d {
		panic("sim: batch size mismatch")
	}
	w.n = n
	if n == 0 {
		return
	}
	in0 := (d + 1) * e
	xs := c.InputScale * c.CoordScale
	for i := range n {
		row := w.emb[i*in0 : (i+1)*in0]
		for j := range d {
			m.embed(row[j*e:(j+1)*e], xs*x[i*d+j])
		}
		tb := row[d*e:]
		if i > 0 && t[i] == t[i-1] {
			copy(tb, w.emb[(i-1)*in0+d*e:i*in0])
		} else {
			m.embed(tb, c.TimeScale*t[i])
		}
	}
	in := w.emb[:n*in0]
	for li := 0; li <= c.Blocks; li++ {
		l := &m.layers[li]
		v, dg, z := w.pre[:n*h], w.dgelu[li][:n*h], w.act[li][:n*h]
		for i := range n {
			copy(v[i*h:(i+1)*h], l.b)
		}
		w.g.gemm(true, false, false, n, h, l.in, in, l.in, l.w, h, v, h) // v = b + in·W
		if li == 0 {
			geluRows(z, dg, v, nil) // z = GELU(v)
		} else {
			geluRows(z, dg, v, in) // z = in + GELU(v)
		}
		in = z
	}
	lo := &m.layers[c.Blocks+1]
	out = out[:n*d]
	for i := range n {
		copy(out[i*d:(i+1)*d], lo.b)
	}
	w.g.gemm(true, false, false, n, d, h, in, h, lo.w, d, out, d) // out = b + z_B·W_out
	if c.OutputScale != 1 {
		for i := range out {
			out[i] *= c.OutputScale
		}
	}
}

// embed writes e(u) = [sin(u f_k)…, cos(u f_k)…] into dst (len E), with
// sincosScaled (mlp_embed.go).
func (m *MLP) embed(dst []float64, u float64) {
	half := len(m.freq)
	sincosScaled(dst[:half], dst[half:2*half], m.freq, u)
}

// Backward adds ∂/∂θ Σ_ij dout_ij out_ij, the parameter gradient of the
// last Forward contracted with dout (n×d), into grad (len(Params())).
func (w *MLPWorkspace) Backward(grad, dout []float64) { w.backward(grad, nil, dout) }

// BackwardInput writes dx (n×d) = ∂/∂x Σ_ij dout_ij out_ij, the input
// gradient of the last Forward contracted with dout, through the embedding:
// ∂e(u)/∂u = [f_k cos(u f_k)…, −f_k sin(u f_k)…], ∂u_j/∂x_j = CoordScale·InputScale.
// The first call allocates a maxBatch×dE buffer; later calls allocate nothing.
func (w *MLPWorkspace) BackwardInput(dx, dout []float64) { w.backward(nil, dx, dout) }

// BackwardBoth does Backward(grad, dout) and BackwardInput(dx, dout) in one
// pass; either may be nil.
func (w *MLPWorkspace) BackwardBoth(grad, dx, dout []float64) { w.backward(grad, dx, dout) }

func (w *MLPWorkspace) backward(grad, dx, dout []float64) {
	m := w.net
	c := m.cfg
	n, d, h, e := w.n, c.Dim, c.Hidden, c.EmbedSize
	if len(dout) != n*d || (dx != nil && len(dx) != n*d) {
		panic("sim: batch size mismatch in backward (dout must match the last Forward)")
	}
	if grad != nil && len(grad) != len(m.params) {
		panic(fmt.Sprintf("sim: gradient has %d entries, want %d", len(grad), len(m.params)))
	}
	if n == 0 {
		return
	}
	in0 := (d + 1) * e
	g := w.dout[:n*d]
	for i, v := range dout {
		g[i] = c.OutputScale * v
	}
	lo := &m.layers[c.Blocks+1]
	if grad != nil {
		// ∂W_out += z_Bᵀ·g
		w.g.gemm(true, true, false, h, d, n, w.act[c.Blocks][:n*h], h, g, d, grad[lo.wOff:lo.wOff+h*d], d)
		addColSums(grad[lo.wOff+h*d:lo.wOff+h*d+d], g, n, d)
	}
	dz, dv := w.dz[:n*h], w.dv[:n*h]
	w.g.gemm(false, false, true, n, h, d, g, d, lo.w, d, dz, h) // dz = g·W_outᵀ
	for li := c.Blocks; li >= 0; li-- {
		l := &m.layers[li]
		dg := w.dgelu[li][:n*h]
		for i, gi := range dg {
			dv[i] = dz[i] * gi
		}
		var in []float64
		if li == 0 {
			in = w.emb[:n*in0]
		} else {
			in = w.act[li-1][:n*h]
		}
		if grad != nil {
			// ∂W_l += inᵀ·dv
			w.g.gemm(true, true, false, l.in, h, n, in, l.in, dv, h, grad[l.wOff:l.wOff+l.in*h], h)
			addColSums(grad[l.wOff+l.in*h:l.wOff+l.in*h+h], dv, n, h)
		}
		if li > 0 {
			w.g.gemm(true, false, true, n, h, h, dv, h, l.w, h, dz, h) // residual: dz stays, plus dv·Wᵀ
		}
	}
	if dx == nil {
		return
	}
	// ∂/∂a for the coordinate embeddings only: the first d·E rows of W_0.
	de := d * e
	if cap(w.demb) < w.maxBatch*de {
		w.demb = make([]float64, w.maxBatch*de)
	}
	da := w.demb[:n*de]
	w.g.gemm(false, false, true, n, de, h, dv, h, m.layers[0].w[:de*h], h, da, de) // da = dv·W_0[:dE]ᵀ
	half := e / 2
	xs := c.InputScale * c.CoordScale
	for i := range n {
		for j := range d {
			a := w.emb[i*in0+j*e : i*in0+(j+1)*e]
			ga := da[i*de+j*e : i*de+(j+1)*e]
			var s float64
			for k, f := range m.freq {
				// a[k] = sin(u f_k), a[half+k] = cos(u f_k)
				s += f * (a[half+k]*ga[k] - a[k]*ga[half+k])
			}
			dx[i*d+j] = xs * s
		}
	}
}

// addColSums adds the column sums of the row-major n×k matrix a into dst.
func addColSums(dst, a []float64, n, k int) {
	dst = dst[:k]
	for i := range n {
		row := a[i*k : i*k+k]
		for j, v := range row {
			dst[j] += v
		}
	}
}
