package live

import (
	"math"
	"runtime"
	"strings"
	"testing"
	"time"

	"iwsm/targets"
)

// TestOracleViewRun plays one whole oracle run on a fake clock and checks
// that the particles end in the modes the exact score leads them to.
func TestOracleViewRun(t *testing.T) {
	st := DefaultState()
	st.Method, st.Particles, st.Steps = "oracle", 1000, 300
	if runtime.GOARCH == "wasm" {
		st.Particles = 400
	}
	tg, _ := st.BuildTarget()
	now := time.Unix(0, 0)
	v, err := NewPaneView(st, 0, tg, now)
	if err != nil {
		t.Fatal(err)
	}
	var snap Snapshot
	v.SnapshotInto(&snap)
	if snap.T != 1 || snap.Step != 0 || len(snap.Trail) != 1 {
		t.Fatalf("fresh view at t=%v step %d with %d trail entries", snap.T, snap.Step, len(snap.Trail))
	}
	frames := 0
	for !v.sampler.Done() {
		now = now.Add(time.Second / 60)
		v.Advance(now, time.Hour)
		frames++
		if frames > 60*(flowSeconds+2) {
			t.Fatalf("run not finished after %d frames (step %d)", frames, v.sampler.StepIndex())
		}
	}
	if min := int(60 * flowSeconds * 0.9); frames < min {
		t.Errorf("run took %d frames, want at least %d", frames, min)
	}
	v.SnapshotInto(&snap)
	if !snap.Holding || snap.T != 0 || len(snap.Trail) != trailLength {
		t.Fatalf("finished run: holding %v, t %v, %d trail entries", snap.Holding, snap.T, len(snap.Trail))
	}
	g := tg.(*targets.Mixture)
	cur := snap.Trail[len(snap.Trail)-1]
	far, covered := 0, map[int16]bool{}
	for i, k := range snap.Mode {
		m := v.modes[k]
		if math.Hypot(float64(cur[2*i])-m[0], float64(cur[2*i+1])-m[1]) > 4*g.ModeStd(int(k)) {
			far++
		}
		covered[k] = true
	}
	if far > st.Particles/50 {
		t.Errorf("%d of %d particles end far from their predicted mode", far, st.Particles)
	}
	if len(covered) < 38 {
		t.Errorf("particles ended in %d modes, want ≥ 38 of 40", len(covered))
	}
	now = now.Add(time.Duration(holdSeconds*float64(time.Second)) - time.Millisecond)
	v.Advance(now, time.Hour)
	if !v.sampler.Done() {
		t.Fatal("restarted before the hold was over")
	}
	now = now.Add(2 * time.Millisecond)
	v.Advance(now, time.Hour)
	v.SnapshotInto(&snap)
	if snap.Runs != 1 || snap.T != 1 || snap.Holding {
		t.Fatalf("after the hold: runs %d, t %v, holding %v", snap.Runs, snap.T, snap.Holding)
	}
}

// TestPanesShareNoise: two panes of one state start from the same prior
// noise.
func TestPanesShareNoise(t *testing.T) {
	st := DefaultState()
	st.Method, st.Compare, st.Particles = "oracle", "iwsm", 200
	tg, _ := st.BuildTarget()
	a, err := NewPaneView(st, 0, tg, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewPaneView(st, 1, tg, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var sa, sb Snapshot
	a.SnapshotInto(&sa)
	b.SnapshotInto(&sb)
	for i := range sa.Trail[0] {
		if sa.Trail[0][i] != sb.Trail[0][i] {
			t.Fatal("the panes start from different noise")
		}
	}
}

func TestViewApply(t *testing.T) {
	st := DefaultState()
	tg, _ := st.BuildTarget()
	v, err := NewPaneView(st, 0, tg, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	n := len(v.net.Params())
	p := make([]float64, n)
	p[0] = 0.25
	v.Apply(Report{Gen: 3, Step: 10, Seconds: 1, Params: p, Buffer: []float32{1, 2, 3, 4}})
	if v.net.Params()[0] != 0.25 || v.buffer.Len() != 2 || len(v.History()) != 1 {
		t.Fatalf("after a report: θ0 %v, buffer %d rows, history %d", v.net.Params()[0], v.buffer.Len(), len(v.History()))
	}
	v.Apply(Report{Gen: 2, Step: 99, Params: make([]float64, n)})
	if v.net.Params()[0] != 0.25 || v.Report().Step != 10 {
		t.Fatal("a stale report was applied")
	}
	v.Apply(Report{Gen: 3, Step: 11, Params: make([]float64, n-1)})
	if !strings.Contains(v.Report().Err, "parameters") {
		t.Fatalf("wrong-size parameters: err %q", v.Report().Err)
	}
	if len(v.Proposal()) != 4 {
		t.Fatal("proposal layer did not draw from the buffer")
	}
	f := v.ScoreField()
	if len(f.Points) != 2*fieldCells*fieldCells || len(f.Exact) != len(f.Learned) {
		t.Fatalf("score field: %d points, %d learned, %d exact", len(f.Points), len(f.Learned), len(f.Exact))
	}
}
