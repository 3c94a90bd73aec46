package live

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkEngineToCoverage trains gmm40 from scratch (the app's default
// settings, IW-SM, one pane) the way the app's engine does, in work slices
// with reports between them, until a quality check covers every mode or
// two minutes pass. It reports the wall seconds and training steps to
// 40/40 and the steps per second; compare the refresh steps (refreshSteps).
// The browser's worker runs the WebAssembly build, so measure that too:
//
//	GOOS=js GOARCH=wasm go test -run '^$' -bench EngineToCoverage -benchtime 1x ./wasm/live/
//
// (with $(go env GOROOT)/lib/wasm on PATH, so that go test runs it under Node).
func BenchmarkEngineToCoverage(b *testing.B) {
	const limit = 2 * time.Minute
	defer func(v int) { refreshSteps = v }(refreshSteps)
	for _, rs := range []int{100, 50} {
		for _, seed := range []uint64{1, 2} {
			b.Run(fmt.Sprintf("refresh%d/seed%d", rs, seed), func(b *testing.B) {
				refreshSteps = rs
				st := DefaultState()
				st.Pretrained, st.Seed = false, seed
				for range b.N {
					e, p := startEngine(b, st)
					start := time.Now()
					var last time.Time
					reached := 0.0
					for time.Since(start) < limit {
						e.Work(workSlice)
						if p.err != nil {
							b.Fatal(p.err)
						}
						if time.Since(last) >= reportEvery {
							last = time.Now()
							e.Reports()
						}
						if ev := p.eval; ev != nil && ev.Modes > 0 && ev.Covered == ev.Modes {
							reached = time.Since(start).Seconds()
							break
						}
					}
					wall := time.Since(start).Seconds()
					if reached == 0 {
						if p.eval != nil {
							b.Logf("not every mode within %v: %d of %d", limit, p.eval.Covered, p.eval.Modes)
						} else {
							b.Logf("no quality check within %v", limit)
						}
						reached = wall
					}
					b.ReportMetric(reached, "s-to-all-modes")
					b.ReportMetric(float64(p.tr.Steps()), "steps-to-all-modes")
					b.ReportMetric(float64(p.tr.Steps())/wall, "steps/s")
					e.close()
				}
			})
		}
	}
}

// BenchmarkEngineSteps runs the engine from scratch on one target at a time
// with that target's default knobs (DefaultStateFor), IW-SM, one pane, until
// it has taken 40 training steps or a minute has passed, and reports the
// training steps per second a visitor sees (quality checks and refreshes
// included) and the wall seconds per step. Measure the WebAssembly build too
// (see BenchmarkEngineToCoverage):
//
//	GOOS=js GOARCH=wasm go test -run '^$' -bench EngineSteps -benchtime 1x ./wasm/live/
func BenchmarkEngineSteps(b *testing.B) {
	const steps, limit = 40, time.Minute
	for _, target := range []string{"gmm40", "dw4", "lj13"} {
		b.Run(target, func(b *testing.B) {
			st := DefaultStateFor(target)
			st.Pretrained = false
			for range b.N {
				e, p := startEngine(b, st)
				start := time.Now()
				for p.tr.Steps() < steps && time.Since(start) < limit {
					e.Work(workSlice)
					if p.err != nil {
						b.Fatal(p.err)
					}
					e.Reports()
				}
				wall := time.Since(start).Seconds()
				b.ReportMetric(float64(p.tr.Steps())/wall, "steps/s")
				b.ReportMetric(wall/float64(max(1, p.tr.Steps())), "s/step")
				e.close()
			}
		})
	}
}

// startEngine starts an engine without shipped networks on st, running, and
// returns it with its first pane.
func startEngine(b *testing.B, st State) (*Engine, *trainPane) {
	b.Helper()
	e := NewEngine(nil)
	if err := e.Handle(Command{Kind: "reset", State: st.Encode(), Running: true}); err != nil {
		b.Fatal(err)
	}
	return e, e.panes[0]
}
