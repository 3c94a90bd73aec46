package live

import (
	"math"
	"runtime"
	"testing"
	"time"

	"iwsm/targets"
)

// TestSessionOracleRun plays one whole run on a fake clock and checks that the
// particles end in the modes the oracle score leads them to.
func TestSessionOracleRun(t *testing.T) {
	st := DefaultState()
	st.Particles, st.Steps = 1000, 300
	if runtime.GOARCH == "wasm" {
		st.Particles = 400
	}
	now := time.Unix(0, 0)
	s, err := NewSession(st, now)
	if err != nil {
		t.Fatal(err)
	}
	var snap Snapshot
	s.SnapshotInto(&snap)
	if snap.T != 1 || snap.Step != 0 || len(snap.Trail) != 1 {
		t.Fatalf("fresh session at t=%v step %d with %d trail entries", snap.T, snap.Step, len(snap.Trail))
	}
	frames := 0
	for !s.sampler.Done() {
		now = now.Add(time.Second / 60)
		s.Advance(now, time.Hour)
		frames++
		if frames > 60*(flowSeconds+2) {
			t.Fatalf("run not finished after %d frames (step %d)", frames, s.sampler.StepIndex())
		}
	}
	// The visible part of the flow is paced over flowSeconds.
	if min := int(60 * flowSeconds * 0.9); frames < min {
		t.Errorf("run took %d frames, want at least %d", frames, min)
	}
	s.SnapshotInto(&snap)
	if !snap.Holding || snap.T != 0 || len(snap.Trail) != trailLength {
		t.Fatalf("finished run: holding %v, t %v, %d trail entries", snap.Holding, snap.T, len(snap.Trail))
	}
	// Each particle ends within 4σ of the mode it was coloured by.
	g := s.target.(*targets.Mixture)
	cur := snap.Trail[len(snap.Trail)-1]
	far, covered := 0, map[int16]bool{}
	for i, k := range snap.Mode {
		m := s.modes[k]
		if math.Hypot(float64(cur[2*i])-m[0], float64(cur[2*i+1])-m[1]) > 4*g.ModeStd(int(k)) {
			far++
		}
		covered[k] = true
	}
	if far > st.Particles/100 {
		t.Errorf("%d of %d particles end far from their predicted mode", far, st.Particles)
	}
	if len(covered) < 38 {
		t.Errorf("particles ended in %d modes, want ≥ 38 of 40", len(covered))
	}
	// After the hold the next run starts from new noise.
	now = now.Add(time.Duration(holdSeconds*float64(time.Second)) - time.Millisecond)
	s.Advance(now, time.Hour)
	if !s.sampler.Done() {
		t.Fatal("restarted before the hold was over")
	}
	now = now.Add(2 * time.Millisecond)
	s.Advance(now, time.Hour)
	s.SnapshotInto(&snap)
	if snap.Runs != 1 || snap.T != 1 || snap.Holding {
		t.Fatalf("after the hold: runs %d, t %v, holding %v", snap.Runs, snap.T, snap.Holding)
	}
}

func TestSessionErrors(t *testing.T) {
	st := DefaultState()
	st.Target = "nope"
	if _, err := NewSession(st, time.Now()); err == nil {
		t.Fatal("unknown target accepted")
	}
}

func TestLogDensityGrid(t *testing.T) {
	g, err := targets.NewGMM("gmm40")
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := g.Bounds()
	const w, h = 8, 6
	grid := make([]float64, w*h)
	LogDensityGrid(grid, g, lo, hi, w, h)
	// Cell (r, c) holds the density at its centre, row 0 at the top.
	r, c := 1, 5
	x := []float64{lo[0] + (float64(c)+0.5)/w*(hi[0]-lo[0]), hi[1] - (float64(r)+0.5)/h*(hi[1]-lo[1])}
	if got, want := grid[r*w+c], g.LogProb(x); got != want {
		t.Fatalf("grid cell = %v, want %v", got, want)
	}
}
