//go:build js && wasm

package main

import (
	"syscall/js"
	"time"

	"iwsm/targets"
	"iwsm/wasm/jsfetch"
	"iwsm/wasm/live"
)

// inWorker reports whether this program was started by assets/worker.js as
// the browser app's training engine rather than by the page to draw. The
// bundle ships one WebAssembly module for both roles: the page compiles
// app.wasm once and hands the compiled module to the worker, so the visitor
// downloads and compiles the Go runtime and the sim code once.
func inWorker() bool { return js.Global().Get("iwsmWorker").Truthy() }

// runWorker is the training engine of the browser app, run in a Web Worker
// so that training has a core of its own while the page draws. It is the
// same live.Engine the desktop app runs in a goroutine; messages are
// gob-encoded Uint8Arrays (live.Command in, []live.Report out). It never
// returns.
func runWorker() {
	self := js.Global()
	in := make(chan live.Command, 64)
	self.Set("onmessage", js.FuncOf(func(_ js.Value, args []js.Value) any {
		data := args[0].Get("data")
		if !data.InstanceOf(js.Global().Get("Uint8Array")) {
			self.Call("postMessage", "bad command: not a byte array")
			return nil
		}
		buf := make([]byte, data.Get("length").Int())
		js.CopyBytesToGo(buf, data)
		c, err := live.DecodeCommand(buf)
		if err != nil {
			self.Call("postMessage", "bad command: "+err.Error())
			return nil
		}
		select {
		case in <- c:
		default:
			self.Call("postMessage", "training engine busy: command dropped")
		}
		return nil
	}))
	targets.SetReferenceLoader(jsfetch.Loader("data/"))
	publish := func(r []live.Report) {
		b := live.EncodeReports(r)
		arr := js.Global().Get("Uint8Array").New(len(b))
		js.CopyBytesToJS(arr, b)
		self.Call("postMessage", arr, []any{arr.Get("buffer")})
	}
	self.Call("postMessage", "ready")
	// Between slices of training the engine sleeps a millisecond: only when
	// every goroutine is blocked does the worker's event loop deliver
	// messages (TOOLCHAIN.md).
	live.RunLoop(live.NewEngine(jsfetch.Loader("")), in, publish, func() { time.Sleep(time.Millisecond) }, nil)
}
