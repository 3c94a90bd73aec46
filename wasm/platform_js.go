//go:build js && wasm

package main

import (
	"sync"
	"syscall/js"
)

// browser publishes the app's figures as window.iwsm for the page, the
// end-to-end tests and curious visitors.
type browser struct {
	mu   sync.Mutex
	last stats
	pos  []float32
}

func newPlatform(options) platform {
	b := &browser{}
	api := js.Global().Get("Object").New()
	api.Set("stats", js.FuncOf(func(js.Value, []js.Value) any {
		b.mu.Lock()
		defer b.mu.Unlock()
		s := b.last
		return map[string]any{
			"frame": s.Frame, "t": s.T, "step": s.Step, "steps": s.Steps, "runs": s.Runs,
			"particles": s.Particles, "fps": s.FPS, "running": s.Running,
		}
	}))
	// positions(n) returns the first n particles as [x0, y0, x1, y1, ...].
	api.Set("positions", js.FuncOf(func(_ js.Value, args []js.Value) any {
		b.mu.Lock()
		defer b.mu.Unlock()
		n := len(b.pos) / 2
		if len(args) > 0 && args[0].Type() == js.TypeNumber {
			n = min(max(args[0].Int(), 0), n)
		}
		out := make([]any, 2*n)
		for i := range out {
			out[i] = float64(b.pos[i])
		}
		return out
	}))
	js.Global().Set("iwsm", api)
	return b
}

func (b *browser) update(st stats, positions []float32) bool {
	b.mu.Lock()
	b.last = st
	b.pos = append(b.pos[:0], positions...)
	b.mu.Unlock()
	return false
}

func (b *browser) firstFrame() { js.Global().Set("iwsmStatus", "running") }

func (b *browser) screenshotPath() string { return "" }

func (b *browser) exit() { js.Global().Set("iwsmStatus", "exited") }
