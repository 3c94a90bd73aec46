package live

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"iwsm/sim"
)

// fastState is a small, quick configuration for engine tests.
func fastState() State {
	s := DefaultState()
	s.Pretrained = false
	s.K, s.Batch, s.Buffer = 4, 64, 400
	return s
}

// waitFor polls a host until a report satisfies ok or the time runs out.
func waitFor(t *testing.T, h Host, timeout time.Duration, ok func(Report) bool) Report {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		for _, r := range h.Poll() {
			if r.Err != "" {
				t.Fatalf("engine error: %s", r.Err)
			}
			if ok(r) {
				return r
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("no matching report in time")
	return Report{}
}

func TestEngineTrainsAndReports(t *testing.T) {
	h := NewGoroutineHost(nil)
	defer h.Close()
	st := fastState()
	st.Compare = "idem"
	h.Send(Command{Kind: "reset", State: st.Encode(), Running: true})
	r := waitFor(t, h, 20*time.Second, func(r Report) bool { return r.Pane == 1 && r.Step >= 5 && r.Eval != nil })
	if r.Variant != "idem" || r.Gen != 1 {
		t.Fatalf("report %+v", r)
	}
	if r.Eval.Modes != 40 || r.Eval.N != evalSamples || len(r.Eval.Counts) != 40 {
		t.Fatalf("evaluation %+v", r.Eval)
	}
	tg, _ := st.BuildTarget()
	cfg := st.TrainConfig(tg, "idem")
	net, _ := sim.NewMLP(cfg.Net.MLP, nil)
	p := waitFor(t, h, 10*time.Second, func(r Report) bool { return r.Params != nil })
	if len(p.Params) != len(net.Params()) {
		t.Fatalf("reported %d parameters, the pane's network has %d", len(p.Params), len(net.Params()))
	}
	if len(p.Weights) != st.Batch || len(p.Batch) != 2*st.Batch {
		t.Fatalf("batch layer: %d weights, %d coordinates", len(p.Weights), len(p.Batch))
	}

	// Paused, the steps stop; a single-step command takes exactly one step per pane.
	h.Send(Command{Kind: "run", Running: false})
	time.Sleep(300 * time.Millisecond)
	h.Poll()
	time.Sleep(300 * time.Millisecond)
	var before [2]int
	for _, r := range h.Poll() {
		before[r.Pane] = r.Step
	}
	h.Send(Command{Kind: "step", Steps: 1})
	time.Sleep(500 * time.Millisecond)
	var after [2]int
	for _, r := range h.Poll() {
		after[r.Pane] = r.Step
	}
	if after[0] != before[0]+1 || after[1] != before[1]+1 {
		t.Fatalf("single step: steps %v → %v", before, after)
	}
}

func TestEnginePretrained(t *testing.T) {
	st := fastState()
	st.Pretrained = true
	tg, _ := st.BuildTarget()
	cfg := st.TrainConfig(tg, "iwsm")
	net, err := sim.NewMLP(cfg.Net.MLP, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	var ckpt bytes.Buffer
	if err := sim.WriteCheckpoint(&ckpt, sim.Checkpoint{Net: net, Meta: map[string]string{"step": "123"}}); err != nil {
		t.Fatal(err)
	}
	asked := ""
	h := NewGoroutineHost(func(name string) ([]byte, error) {
		asked = name
		return ckpt.Bytes(), nil
	})
	defer h.Close()
	h.Send(Command{Kind: "reset", State: st.Encode(), Running: false})
	var params []float64
	r := waitFor(t, h, 10*time.Second, func(r Report) bool {
		if r.Params != nil {
			params = r.Params
		}
		return r.Eval != nil
	})
	if asked != "pretrained/gmm40-iwsm.ckpt" || !strings.Contains(r.Note, "123 steps") || r.Step != 0 {
		t.Fatalf("asked for %q; report note %q at step %d", asked, r.Note, r.Step)
	}
	if !reflect.DeepEqual(params, net.Params()) {
		t.Fatal("reported parameters are not the checkpoint's")
	}

	// A missing checkpoint means training from scratch, said so.
	h2 := NewGoroutineHost(func(string) ([]byte, error) { return nil, errors.New("404") })
	defer h2.Close()
	h2.Send(Command{Kind: "reset", State: st.Encode(), Running: false})
	r = waitFor(t, h2, 5*time.Second, func(r Report) bool { return r.Note != "" })
	if !strings.Contains(r.Note, "from scratch") {
		t.Fatalf("note %q", r.Note)
	}
}

func TestEngineBadCommand(t *testing.T) {
	e := NewEngine(nil)
	if err := e.Handle(Command{Kind: "dance"}); err == nil {
		t.Fatal("unknown command accepted")
	}
	if err := e.Handle(Command{Kind: "reset", State: "target=gmm40&modes=1,2"}); err != nil {
		t.Fatalf("edited target: %v", err)
	}
	if len(e.panes) != 1 || e.panes[0].tr == nil || e.panes[0].err != nil {
		t.Fatalf("edited target did not build a trainer: %+v", e.panes)
	}
	e.close()
}

func TestProtocolRoundTrip(t *testing.T) {
	c := Command{Kind: "reset", State: "target=gmm120&seed=3", Running: true}
	if got, err := DecodeCommand(EncodeCommand(c)); err != nil || got != c {
		t.Fatalf("command round trip: %+v, %v", got, err)
	}
	r := []Report{{Gen: 2, Pane: 1, Variant: "idem", Step: 9, Params: []float64{1, -2.5},
		Eval: &Evaluation{Covered: 39, Modes: 40, Counts: []int{1, 2}}, Weights: []float32{0.5}},
		{Gen: 2, Variant: "iwsm", Step: 4, Eval: &Evaluation{N: 256, W2: 1.5, MMD: 0.01, EnergyW2: 0.75, DistTV: 0.125}}}
	if got, err := DecodeReports(EncodeReports(r)); err != nil || !reflect.DeepEqual(got, r) {
		t.Fatalf("report round trip: %+v, %v", got, err)
	}
	if _, err := DecodeReports([]byte("garbage")); err == nil {
		t.Fatal("garbage decoded")
	}
}
