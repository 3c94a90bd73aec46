//go:build js && wasm

// Package jsfetch reads files over HTTP with the browser's fetch, for the
// app's main thread and its training worker (shipped checkpoints, reference
// sets).
package jsfetch

import (
	"errors"
	"syscall/js"
)

// Loader returns a loader that fetches prefix+name relative to the page's (or
// the worker's) location and waits for the bytes. Call it from a goroutine
// that may block, never from a JavaScript callback.
func Loader(prefix string) func(name string) ([]byte, error) {
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
