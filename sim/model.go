package sim

import "fmt"

// ScoreNet is a time-conditioned score network s_θ(x, t): R^d × [0, 1] → R^d
// whose parameters θ live in one flat vector, so that the optimizer,
// checkpoints and the browser's weight exchange treat every architecture
// alike.
type ScoreNet interface {
	// Dim returns d, the size of x and of the output.
	Dim() int
	// Params returns θ. The slice is the network's own: writing into it
	// changes the network.
	Params() []float64
	// NewWorkspace returns buffers for forward and backward passes of up to
	// maxBatch rows. A workspace belongs to one goroutine at a time.
	NewWorkspace(maxBatch int) Workspace
	// Kind names the architecture in checkpoints, e.g. "mlp" or "egnn".
	Kind() string
	// MarshalConfig returns the architecture settings as JSON; with Kind it
	// is everything a checkpoint needs besides θ to rebuild the network
	// (see RegisterNet).
	MarshalConfig() ([]byte, error)
}

// Workspace holds the activations of one batch of a ScoreNet.
type Workspace interface {
	// Forward writes out (n×d) = s_θ(x, t) for the n = len(t) rows of x (n×d),
	// row i at time t[i], and keeps what Backward needs. n ≤ maxBatch.
	Forward(out, x, t []float64)
	// Backward adds ∂/∂θ Σ_ij dout_ij out_ij, the parameter gradient of the
	// last Forward contracted with dout (n×d), into grad (len(Params())).
	Backward(grad, dout []float64)
}

// netBuilders maps a ScoreNet kind to the constructor that rebuilds it from
// its MarshalConfig JSON (with freshly initialised or zero parameters; the
// checkpoint loader then copies θ in).
var netBuilders = map[string]func(config []byte) (ScoreNet, error){}

// RegisterNet makes an architecture loadable from checkpoints. Each
// architecture calls it once from an init function; registering a kind twice
// panics.
func RegisterNet(kind string, build func(config []byte) (ScoreNet, error)) {
	if _, dup := netBuilders[kind]; dup {
		panic("sim: network kind " + kind + " registered twice")
	}
	netBuilders[kind] = build
}

// NetScore adapts a ScoreNet to the ScoreFunc the sampler calls: Score(dst,
// x, t) runs the network on every row at the shared time t,
// dst_i = s_θ(x_i, t), in chunks of at most the workspace's batch size. It
// holds one workspace and allocates nothing per call; like a workspace it
// belongs to one goroutine at a time.
type NetScore struct {
	net      ScoreNet
	ws       Workspace
	maxBatch int
	t        []float64
}

// NewNetScore returns the adapter with a workspace of maxBatch rows.
func NewNetScore(net ScoreNet, maxBatch int) *NetScore {
	if net == nil || maxBatch < 1 {
		panic("sim: NewNetScore needs a network and a positive batch size")
	}
	return &NetScore{net: net, ws: net.NewWorkspace(maxBatch), maxBatch: maxBatch, t: make([]float64, maxBatch)}
}

// Score writes s_θ(x_i, t) into row i of dst for every row of x (n×d).
func (s *NetScore) Score(dst, x []float64, t float64) {
	d := s.net.Dim()
	if len(x) != len(dst) || len(x)%d != 0 {
		panic("sim: batch size mismatch")
	}
	for i := range s.t {
		s.t[i] = t
	}
	for lo := 0; lo < len(x); lo += s.maxBatch * d {
		hi := min(lo+s.maxBatch*d, len(x))
		s.ws.Forward(dst[lo:hi], x[lo:hi], s.t[:(hi-lo)/d])
	}
}

// netSizers maps a ScoreNet kind to a function that returns the number of
// parameters its MarshalConfig JSON describes, without building the network.
// The checkpoint loader uses it to reject a mismatched parameter count before
// any allocation the file's own size does not justify; kinds without one are
// built first and compared after.
var netSizers = map[string]func(config []byte) (int, error){}

// registerNetSize registers the parameter counter of an architecture.
func registerNetSize(kind string, size func(config []byte) (int, error)) {
	if _, dup := netSizers[kind]; dup {
		panic("sim: network kind " + kind + " size registered twice")
	}
	netSizers[kind] = size
}

// CloneNet returns an independent copy of net (same architecture, a copy of
// θ) through its registered builder.
func CloneNet(net ScoreNet) (ScoreNet, error) {
	cfg, err := net.MarshalConfig()
	if err != nil {
		return nil, err
	}
	build, ok := netBuilders[net.Kind()]
	if !ok {
		return nil, fmt.Errorf("sim: network kind %q is not registered", net.Kind())
	}
	c, err := build(cfg)
	if err != nil {
		return nil, err
	}
	if len(c.Params()) != len(net.Params()) {
		return nil, fmt.Errorf("sim: rebuilt %s network has %d parameters, want %d", net.Kind(), len(c.Params()), len(net.Params()))
	}
	copy(c.Params(), net.Params())
	return c, nil
}
