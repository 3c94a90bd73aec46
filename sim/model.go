package sim

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
