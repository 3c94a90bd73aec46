package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
)

// EGNNConfig holds the architecture of an EGNN score network. Every field is
// part of the checkpoint (MarshalConfig); DefaultEGNNConfig fills them all.
type EGNNConfig struct {
	// Particles is the number N of identical particles (N ≥ 2).
	Particles int `json:"particles"`
	// SpatialDim is the dimension D of each particle's position; a
	// configuration has d = N·D coordinates, particle i at x[i·D:(i+1)·D].
	SpatialDim int `json:"spatial_dim"`
	// Layers is the number L of equivariant layers (iDEM: 3 for DW-4, 5 for
	// LJ-13 and LJ-55).
	Layers int `json:"layers"`
	// Hidden is the width H of node features and messages (iDEM: 128).
	Hidden int `json:"hidden"`
	// TimeFreqs is the number K of sinusoidal time features added to t:
	// f(t) = [t, sin(πkt), cos(πkt) for k = 1..K]. iDEM uses K = 0 (the node
	// input is t alone).
	TimeFreqs int `json:"time_freqs"`
	// CoordScale is C in the coordinate update x_i ← x_i + C Σ_j u_ij φ̃_ij
	// (iDEM sums: C = 1; C = 1/(N−1) averages).
	CoordScale float64 `json:"coord_scale"`
	// CoordRange is R in φ̃ = R·tanh(φ_x), which bounds every edge's
	// coordinate step; 0 uses φ̃ = φ_x unbounded. iDEM: tanh with R = 15/L.
	CoordRange float64 `json:"coord_range"`
	// MessageScale is A in the message aggregate m_i = A Σ_j e_ij m_ij
	// (iDEM sums: A = 1).
	MessageScale float64 `json:"message_scale"`
	// OutputScale is S in the output S·(x^L − x^0 − centre of mass).
	OutputScale float64 `json:"output_scale"`
}

// DefaultEGNNConfig returns iDEM's EGNN for N particles in D dimensions:
// the settings of iDEM's configs/model/net/egnn.yaml (SiLU, attention gates,
// time t as the only node input, summed messages and coordinate steps,
// C = A = 1, R·tanh(φ_x) with coords_range 15 spread over the layers,
// R = 15/L) at the sizes of ../shared/METHOD.md: width 128, 3 layers for
// N ≤ 4 (DW-4) and 5 otherwise (LJ-13, LJ-55); S = 1.
func DefaultEGNNConfig(particles, spatialDim int) EGNNConfig {
	layers := 5
	if particles <= 4 {
		layers = 3
	}
	return EGNNConfig{
		Particles:    particles,
		SpatialDim:   spatialDim,
		Hidden:       128,
		TimeFreqs:    0,
		CoordScale:   1,
		MessageScale: 1,
		OutputScale:  1,
	}.WithLayers(layers)
}

// WithLayers returns c with L layers and iDEM's coordinate range of 15
// spread over them (R = 15/L).
func (c EGNNConfig) WithLayers(layers int) EGNNConfig {
	c.Layers = layers
	c.CoordRange = 15 / float64(layers)
	return c
}

// Validate reports whether the architecture is usable: 2 ≤ N ≤ 1000,
// 1 ≤ D ≤ 16, 1 ≤ L ≤ 64, 1 ≤ H ≤ 4096, 0 ≤ K ≤ 64, C, A, S finite and
// positive, R finite and ≥ 0.
func (c EGNNConfig) Validate() error {
	switch {
	case c.Particles < 2 || c.Particles > 1000:
		return fmt.Errorf("sim: EGNN particles %d out of range [2, 1000]", c.Particles)
	case c.SpatialDim < 1 || c.SpatialDim > 16:
		return fmt.Errorf("sim: EGNN spatial dimension %d out of range [1, 16]", c.SpatialDim)
	case c.Layers < 1 || c.Layers > 64:
		return fmt.Errorf("sim: EGNN layers %d out of range [1, 64]", c.Layers)
	case c.Hidden < 1 || c.Hidden > 4096:
		return fmt.Errorf("sim: EGNN width %d out of range [1, 4096]", c.Hidden)
	case c.TimeFreqs < 0 || c.TimeFreqs > 64:
		return fmt.Errorf("sim: EGNN time frequencies %d out of range [0, 64]", c.TimeFreqs)
	case !egnnPositive(c.CoordScale):
		return fmt.Errorf("sim: EGNN coord_scale %v must be finite and > 0", c.CoordScale)
	case !(c.CoordRange >= 0) || math.IsInf(c.CoordRange, 0):
		return fmt.Errorf("sim: EGNN coord_range %v must be finite and ≥ 0", c.CoordRange)
	case !egnnPositive(c.MessageScale):
		return fmt.Errorf("sim: EGNN message_scale %v must be finite and > 0", c.MessageScale)
	case !egnnPositive(c.OutputScale):
		return fmt.Errorf("sim: EGNN output_scale %v must be finite and > 0", c.OutputScale)
	}
	return nil
}

func egnnPositive(v float64) bool { return v > 0 && !math.IsInf(v, 0) }

// egnnDistEps is ε in ‖x_i − x_j‖ = √(r_ij + ε) of the normalised relative
// vectors (iDEM's 1e-8): it keeps them, and their derivatives, finite and
// smooth where particles coincide.
const egnnDistEps = 1e-8

// EGNN is an E(n)-equivariant graph network (Satorras, Hoogeboom & Welling
// 2021) used as a time-conditioned score network s_θ(x, t) for N identical
// particles in D dimensions, as iDEM uses it (EGNN_dynamics with attention).
// With H the width, L the layers and SiLU(z) = z·σ(z), σ(z) = 1/(1 + e^{−z}),
// on every configuration x (N×D) at time t:
//
//	h_i⁰ = W_t f(t) + b_t,  f(t) = [t, sin(πkt), cos(πkt), k = 1..K]   (the same for every i)
//	x_i⁰ = x_i,  r⁰_ij = ‖x_i − x_j‖²
//	for layer l = 0..L−1, over ordered pairs i ≠ j:
//	  r_ij = ‖x_i^l − x_j^l‖²,  u_ij = (x_i^l − x_j^l) / (√(r_ij + ε) + 1),  ε = 1e-8
//	  m_ij = SiLU(W₂ SiLU(W₁ [h_i^l, h_j^l, r_ij, r⁰_ij] + b₁) + b₂)          (φ_e)
//	  e_ij = σ(w_g · m_ij + b_g),  m̃_ij = e_ij m_ij                            (attention gate φ_inf)
//	  φ_ij = w₄ · SiLU(W₃ m̃_ij + b₃),  φ̃_ij = R tanh(φ_ij) (φ_ij when R = 0) (φ_x)
//	  x_i^{l+1} = x_i^l + C Σ_{j≠i} u_ij φ̃_ij
//	  m_i = A Σ_{j≠i} m̃_ij
//	  h_i^{l+1} = h_i^l + W₆ SiLU(W₅ [h_i^l, m_i] + b₅) + b₆                  (φ_h; not in the last layer)
//	s_θ(x, t)_i = S (Δ_i − (1/N) Σ_k Δ_k),  Δ_i = x_i^L − x_i⁰.
//
// Only relative vectors and distances enter, so the output rotates and
// permutes with the input and ignores translations; it sums to zero over
// particles. The last layer has no node update (its h would not reach the
// output; iDEM's code computes it, and an unused output embedding of h, so
// its networks count more parameters for the same function). Each layer's weights are W₁ H×(2H+2), W₂, W₃ H×H, w_g, w₄ H,
// W₅ H×2H, W₆ H×H with biases, initialised like PyTorch's nn.Linear
// (U(±1/√fan_in)) except w₄, Xavier-uniform with gain 0.001 as in iDEM so
// that the initial score is almost zero.
type EGNN struct {
	cfg    EGNNConfig
	theta  []float64
	nf     int // time features F = 1 + 2K
	wt, bt int // offsets of W_t (H×F) and b_t
	layers []egnnLayer
}

// egnnLayer holds the offsets in θ of one layer's parameters; all matrices
// are row-major out×in (PyTorch's layout).
type egnnLayer struct {
	w1, b1 int // W₁ H×(2H+2): columns [0,H) for h_i, [H,2H) for h_j, 2H for r, 2H+1 for r⁰
	w2, b2 int // W₂ H×H
	wg, bg int // w_g H, b_g 1
	w3, b3 int // W₃ H×H
	w4     int // w₄ H (no bias)
	w5, b5 int // W₅ H×2H: columns [0,H) for h_i, [H,2H) for m_i; −1 in the last layer
	w6, b6 int // W₆ H×H; −1 in the last layer
}

var _ ScoreNet = (*EGNN)(nil)

func init() {
	RegisterNet("egnn", func(config []byte) (ScoreNet, error) {
		var cfg EGNNConfig
		dec := json.NewDecoder(bytes.NewReader(config))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cfg); err != nil {
			return nil, fmt.Errorf("sim: EGNN config: %w", err)
		}
		return NewEGNN(cfg, nil)
	})
}

// NewEGNN returns the network of architecture cfg with parameters drawn from
// rng (see EGNN for the initialisation), or all zero when rng is nil (a
// checkpoint loader then copies θ in).
func NewEGNN(cfg EGNNConfig, rng *rand.Rand) (*EGNN, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	H, L := cfg.Hidden, cfg.Layers
	net := &EGNN{cfg: cfg, nf: 1 + 2*cfg.TimeFreqs, layers: make([]egnnLayer, L)}
	off := 0
	take := func(n int) int { o := off; off += n; return o }
	net.wt, net.bt = take(H*net.nf), take(H)
	for l := range net.layers {
		ly := &net.layers[l]
		ly.w1, ly.b1 = take(H*(2*H+2)), take(H)
		ly.w2, ly.b2 = take(H*H), take(H)
		ly.wg, ly.bg = take(H), take(1)
		ly.w3, ly.b3 = take(H*H), take(H)
		ly.w4 = take(H)
		ly.w5, ly.b5, ly.w6, ly.b6 = -1, -1, -1, -1
		if l < L-1 {
			ly.w5, ly.b5 = take(H*2*H), take(H)
			ly.w6, ly.b6 = take(H*H), take(H)
		}
	}
	net.theta = make([]float64, off)
	if rng != nil {
		net.initParams(rng)
	}
	return net, nil
}

// initParams draws θ: U(±1/√fan_in) for every weight and bias of a linear
// map with fan_in inputs, and U(±0.001·√(6/(H+1))) for w₄.
func (net *EGNN) initParams(rng *rand.Rand) {
	H := net.cfg.Hidden
	fill := func(off, n, fanIn int) {
		bound := 1 / math.Sqrt(float64(fanIn))
		for i := range n {
			net.theta[off+i] = bound * (2*rng.Float64() - 1)
		}
	}
	fill(net.wt, H*net.nf, net.nf)
	fill(net.bt, H, net.nf)
	for _, ly := range net.layers {
		fill(ly.w1, H*(2*H+2), 2*H+2)
		fill(ly.b1, H, 2*H+2)
		fill(ly.w2, H*H, H)
		fill(ly.b2, H, H)
		fill(ly.wg, H, H)
		fill(ly.bg, 1, H)
		fill(ly.w3, H*H, H)
		fill(ly.b3, H, H)
		bound := 0.001 * math.Sqrt(6/float64(H+1))
		for i := range H {
			net.theta[ly.w4+i] = bound * (2*rng.Float64() - 1)
		}
		if ly.w5 >= 0 {
			fill(ly.w5, H*2*H, 2*H)
			fill(ly.b5, H, 2*H)
			fill(ly.w6, H*H, H)
			fill(ly.b6, H, H)
		}
	}
}

// Dim returns d = N·D.
func (net *EGNN) Dim() int { return net.cfg.Particles * net.cfg.SpatialDim }

// Params returns θ, the network's own slice, of
// H(F+1) + (L−1)(7H² + 9H + 1) + 4H² + 7H + 1 values for F = 1 + 2K time
// features.
func (net *EGNN) Params() []float64 { return net.theta }

// Config returns the architecture.
func (net *EGNN) Config() EGNNConfig { return net.cfg }

// Kind returns "egnn".
func (net *EGNN) Kind() string { return "egnn" }

// MarshalConfig returns the EGNNConfig as JSON; the builder registered as
// "egnn" turns it back into an EGNN of the same architecture.
func (net *EGNN) MarshalConfig() ([]byte, error) { return json.Marshal(net.cfg) }

// NewWorkspace returns an EGNNWorkspace for up to maxBatch configurations
// that runs on the calling goroutine alone: the trainer and the sampler
// split their batches across workspaces themselves. Use NewEGNNWorkspace
// for a workspace that shares one batch among several goroutines.
func (net *EGNN) NewWorkspace(maxBatch int) Workspace {
	return net.NewEGNNWorkspace(maxBatch, EGNNWorkspaceOptions{Workers: 1})
}
