//go:build js && wasm

package main

import (
	"errors"
	"sync"
	"syscall/js"

	"iwsm/targets"
	"iwsm/wasm/jsfetch"
	"iwsm/wasm/live"
)

// browser publishes the app's figures as window.iwsm, keeps the settings in
// the page's URL fragment, and runs the training engine in a Web Worker
// (worker.js running this same module, see worker_js.go) so that it has a
// core of its own.
type browser struct {
	mu      sync.Mutex
	last    []paneStats
	pos     []float32
	pending string
	changed bool
	written string // the fragment this app wrote last (its own hashchange is ignored)
}

func newPlatform(options) platform {
	b := &browser{}
	// The particle systems' views histogram the reference sets, which the
	// page serves under data/ (the worker fetches them for its evaluations).
	targets.SetReferenceLoader(jsfetch.Loader("data/"))
	api := js.Global().Get("Object").New()
	api.Set("stats", js.FuncOf(func(js.Value, []js.Value) any {
		b.mu.Lock()
		defer b.mu.Unlock()
		if len(b.last) == 0 {
			return nil
		}
		return statsObject(b.last[0])
	}))
	api.Set("panes", js.FuncOf(func(js.Value, []js.Value) any {
		b.mu.Lock()
		defer b.mu.Unlock()
		out := make([]any, len(b.last))
		for i, s := range b.last {
			out[i] = statsObject(s)
		}
		return out
	}))
	// positions(n) returns the first pane's first n particles as [x0, y0, x1, y1, ...].
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
	js.Global().Call("addEventListener", "hashchange", js.FuncOf(func(js.Value, []js.Value) any {
		h := js.Global().Get("location").Get("hash").String()
		if len(h) > 0 && h[0] == '#' {
			h = h[1:]
		}
		b.mu.Lock()
		if h != b.written {
			b.pending, b.changed = h, true
		}
		b.mu.Unlock()
		return nil
	}))
	return b
}

// statsObject converts a pane's figures to a JavaScript object.
func statsObject(s paneStats) map[string]any {
	return map[string]any{
		"pane": s.Pane, "variant": s.Variant, "frame": s.Frame, "t": s.T, "runs": s.Runs, "step": s.Step,
		"seconds": s.Seconds, "fps": s.FPS, "particles": s.Particles, "loss": s.Loss, "ess": s.ESS,
		"covered": s.Covered, "modes": s.Modes, "w2": s.W2, "mmd": s.MMD, "e_w2": s.EnergyW2, "energy_evals": float64(s.Evals),
		"corrected": s.Corrected, "mala_acceptance": s.MALAAcceptance, "running": s.Running, "error": s.Error,
	}
}

func (b *browser) update(panes []paneStats, positions []float32) bool {
	b.mu.Lock()
	b.last = panes
	b.pos = append(b.pos[:0], positions...)
	b.mu.Unlock()
	return false
}

func (b *browser) stateChanged(encoded string) {
	b.mu.Lock()
	b.written = encoded
	b.mu.Unlock()
	loc := js.Global().Get("location")
	url := loc.Get("pathname").String() + loc.Get("search").String()
	if encoded != "" {
		url += "#" + encoded
	}
	js.Global().Get("history").Call("replaceState", nil, "", url)
}

func (b *browser) pendingState() (string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.changed {
		return "", false
	}
	b.changed = false
	return b.pending, true
}

func (b *browser) firstFrame() { js.Global().Set("iwsmStatus", "running") }

// save offers data as a download.
func (b *browser) save(name string, data []byte) (string, error) {
	arr := js.Global().Get("Uint8Array").New(len(data))
	js.CopyBytesToJS(arr, data)
	blob := js.Global().Get("Blob").New([]any{arr})
	url := js.Global().Get("URL").Call("createObjectURL", blob)
	a := js.Global().Get("document").Call("createElement", "a")
	a.Set("href", url)
	a.Set("download", name)
	js.Global().Get("document").Get("body").Call("appendChild", a)
	a.Call("click")
	a.Call("remove")
	js.Global().Get("URL").Call("revokeObjectURL", url)
	return name + " (download)", nil
}

// share copies the page's URL with the settings to the clipboard.
func (b *browser) share(encoded string) (string, error) {
	loc := js.Global().Get("location")
	link := loc.Get("origin").String() + loc.Get("pathname").String() + "#" + encoded
	clip := js.Global().Get("navigator").Get("clipboard")
	if !clip.Truthy() {
		return "", errors.New("no clipboard here; the address bar holds the link")
	}
	clip.Call("writeText", link)
	return "link copied: " + link, nil
}

func (b *browser) screenshotPath() string { return "" }

func (b *browser) exit() { js.Global().Set("iwsmStatus", "exited") }

// writeFile is not available in the browser: exports are downloads.
func writeFile(string, []byte) error { return errors.New("no file system in the browser") }

// newHost starts the Web Worker that runs the training engine.
func (b *browser) newHost() live.Host { return newWorkerHost() }

// workerHost talks to the training engine in worker.js: commands go out as
// gob-encoded Uint8Arrays once the worker says it is ready, reports come back
// the same way.
type workerHost struct {
	mu      sync.Mutex
	w       js.Value
	ready   bool
	queue   []live.Command
	reports []live.Report
	onmsg   js.Func
	onerr   js.Func
}

// newWorkerHost takes over the worker that loader.js started on the page's
// compiled module (window.iwsmTrainingWorker), replaying the messages it
// posted meanwhile, or starts one that fetches app.wasm itself.
func newWorkerHost() *workerHost {
	h := &workerHost{}
	var early js.Value
	if pre := js.Global().Get("iwsmTrainingWorker"); pre.Truthy() {
		h.w, early = pre.Get("worker"), pre.Get("early")
		js.Global().Delete("iwsmTrainingWorker")
	} else {
		h.w = js.Global().Get("Worker").New("worker.js")
		h.w.Call("postMessage", "start")
	}
	h.onmsg = js.FuncOf(func(_ js.Value, args []js.Value) any {
		h.receive(args[0].Get("data"))
		return nil
	})
	h.onerr = js.FuncOf(func(_ js.Value, args []js.Value) any {
		h.failed(args[0])
		return nil
	})
	h.w.Set("onmessage", h.onmsg)
	h.w.Set("onerror", h.onerr)
	// No message can arrive between reading early and setting the handlers:
	// the page's event loop runs only when the Go program yields.
	for i := 0; early.Truthy() && i < early.Length(); i++ {
		if e := early.Index(i); e.Get("type").String() == "error" {
			h.failed(e)
		} else {
			h.receive(e.Get("data"))
		}
	}
	return h
}

// receive handles a message of the worker: "ready", an error string from its
// bootstrap, or gob-encoded reports.
func (h *workerHost) receive(data js.Value) {
	if data.Type() == js.TypeString {
		h.mu.Lock()
		defer h.mu.Unlock()
		if data.String() == "ready" {
			h.ready = true
			for _, c := range h.queue {
				h.post(c)
			}
			h.queue = nil
		} else {
			h.reports = append(h.reports, live.Report{Pane: -1, Err: data.String()})
		}
		return
	}
	var r []live.Report
	err := errors.New("the training worker sent a message that is not a byte array")
	if data.InstanceOf(js.Global().Get("Uint8Array")) {
		buf := make([]byte, data.Get("length").Int())
		js.CopyBytesToGo(buf, data)
		r, err = live.DecodeReports(buf)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if err != nil {
		h.reports = append(h.reports, live.Report{Pane: -1, Err: err.Error()})
		return
	}
	h.reports = append(h.reports, r...)
}

// failed records an error event of the worker.
func (h *workerHost) failed(e js.Value) {
	msg := "the training worker failed"
	if e.Type() == js.TypeObject && e.Get("message").Truthy() {
		msg += ": " + e.Get("message").String()
	}
	h.mu.Lock()
	h.reports = append(h.reports, live.Report{Pane: -1, Err: msg})
	h.mu.Unlock()
}

// post sends a command; the caller holds h.mu.
func (h *workerHost) post(c live.Command) {
	b := live.EncodeCommand(c)
	arr := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(arr, b)
	h.w.Call("postMessage", arr)
}

func (h *workerHost) Send(c live.Command) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.ready {
		h.queue = append(h.queue, c)
		return
	}
	h.post(c)
}

func (h *workerHost) Poll() []live.Report {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.reports
	h.reports = nil
	return r
}

func (h *workerHost) Close() {
	h.w.Call("terminate")
	h.onmsg.Release()
	h.onerr.Release()
}
