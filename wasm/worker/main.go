//go:build js && wasm

// Command worker is the training engine of the browser app, run in a Web
// Worker (assets/worker.js) so that training has a core of its own while the
// page draws. It is the same live.Engine the desktop app runs in a
// goroutine; messages are gob-encoded Uint8Arrays (live.Command in,
// []live.Report out).
package main

import (
	"errors"
	"syscall/js"
	"time"

	"iwsm/targets"
	"iwsm/wasm/live"
)

func main() {
	self := js.Global()
	in := make(chan live.Command, 64)
	self.Set("onmessage", js.FuncOf(func(_ js.Value, args []js.Value) any {
		data := args[0].Get("data")
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
	targets.SetReferenceLoader(fetch("data/"))
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
	live.RunLoop(live.NewEngine(fetch("")), in, publish, func() { time.Sleep(time.Millisecond) }, nil)
}

// fetch returns a loader that fetches prefix+name relative to the worker's
// location and waits for the bytes.
func fetch(prefix string) func(name string) ([]byte, error) {
	return func(name string) ([]byte, error) {
		type result struct {
			b   []byte
			err error
		}
		ch := make(chan result, 1)
		var onBody, onResp, onErr js.Func
		release := func() { onBody.Release(); onResp.Release(); onErr.Release() }
		onErr = js.FuncOf(func(_ js.Value, args []js.Value) any {
			ch <- result{err: errors.New("fetching " + prefix + name + ": " + args[0].Call("toString").String())}
			return nil
		})
		onBody = js.FuncOf(func(_ js.Value, args []js.Value) any {
			arr := js.Global().Get("Uint8Array").New(args[0])
			b := make([]byte, arr.Get("length").Int())
			js.CopyBytesToGo(b, arr)
			ch <- result{b: b}
			return nil
		})
		onResp = js.FuncOf(func(_ js.Value, args []js.Value) any {
			resp := args[0]
			if !resp.Get("ok").Bool() {
				ch <- result{err: errors.New("fetching " + prefix + name + ": HTTP " + resp.Get("status").String())}
				return nil
			}
			resp.Call("arrayBuffer").Call("then", onBody, onErr)
			return nil
		})
		js.Global().Call("fetch", prefix+name).Call("then", onResp, onErr)
		r := <-ch
		release()
		return r.b, r.err
	}
}
