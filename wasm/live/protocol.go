package live

import (
	"bytes"
	"encoding/gob"
	"fmt"
)

// Command is a message from the app to the training engine.
type Command struct {
	// Kind is "reset" (rebuild every pane from State), "run" (Running says
	// whether to train continuously) or "step" (take Steps training steps
	// now, also when paused).
	Kind    string
	State   string // "reset": the State's URL-fragment form (State.Encode)
	Running bool   // "reset" and "run": train continuously
	Steps   int    // "step": how many steps
}

// Report is what the training engine tells the app about one pane.
type Report struct {
	Gen         int    // the reset this report belongs to; older ones are stale
	Pane        int    // pane index
	Variant     string // the pane's variant
	Step        int    // gradient steps taken
	Seconds     float64
	Loss        float64 // mean loss of the steps since the last report
	ESS         float64 // mean nESS of the steps since the last report
	EnergyEvals int64
	Params      []float64 // θ of the sampling network (nil: unchanged since the last report, or an oracle pane)
	Eval        *Evaluation
	Buffer      []float32 // a sample of the replay buffer's rows (n×d), when asked for
	Batch       []float32 // the last training batch (n×d), when asked for
	Weights     []float32 // its normalized importance weights times n (1 = uniform)
	Note        string    // information for the visitor (e.g. no pretrained network)
	Err         string    // the pane stopped: why
}

// Evaluation is the engine's latest quality check of a pane: samples of the
// sampling network against exact samples of the target (sim.Evaluator).
type Evaluation struct {
	Step    int
	Seconds float64 // training seconds at the evaluation
	N       int
	W2      float64 // NaN while the check's x-W2 is being computed (and before any)
	MMD     float64 // NaN like W2
	// EnergyW2 (E-W2) and DistTV (interatomic-distance histogram TV) are a
	// particle system's figures: NaN like W2, and always NaN for other targets.
	EnergyW2 float64
	DistTV   float64
	Covered  int
	Modes    int
	Counts   []int // samples per mode
}

// EncodeCommand and the other codecs below serialize messages with gob for
// the Web Worker boundary (a Uint8Array each way).
func EncodeCommand(c Command) []byte { return encode(c) }

// DecodeCommand is the inverse of EncodeCommand.
func DecodeCommand(b []byte) (Command, error) {
	var c Command
	err := decode(b, &c)
	return c, err
}

// EncodeReports serializes a batch of reports.
func EncodeReports(r []Report) []byte { return encode(r) }

// DecodeReports is the inverse of EncodeReports.
func DecodeReports(b []byte) ([]Report, error) {
	var r []Report
	err := decode(b, &r)
	return r, err
}

func encode(v any) []byte {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(v); err != nil {
		panic("live: encoding a message: " + err.Error()) // plain data: cannot fail
	}
	return buf.Bytes()
}

func decode(b []byte, v any) error {
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(v); err != nil {
		return fmt.Errorf("live: malformed message: %w", err)
	}
	return nil
}
