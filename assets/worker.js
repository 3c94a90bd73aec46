// The training engine's Web Worker. It runs the app's own WebAssembly module
// (app.wasm, which the page compiled and posts as the first message) in its
// training role: wasm/worker_js.go, selected by self.iwsmWorker. The module
// then talks to the page with gob-encoded messages. Errors before the Go
// program runs are posted as strings so that the app can show them.
"use strict";

// Ebiten's package initialization reads the page's DOM (window, document,
// Document.prototype.hidden) even when nothing is drawn. A worker has no DOM,
// so it gets an inert stand-in: every property is another stand-in, every
// call returns one. The training role never draws, so nothing else reads it.
function installInertDOM() {
  const inert = () =>
    new Proxy(function () {}, {
      get(target, key) {
        if (key === Symbol.toPrimitive) return () => 0;
        if (!(key in target)) target[key] = inert();
        return target[key];
      },
      apply: () => inert(),
      construct: () => inert(),
    });
  self.window = self.window || inert();
  self.document = self.document || inert();
  self.screen = self.screen || inert();
  self.Document = self.Document || class Document { get hidden() { return true; } };
}

let started = false;
self.onmessage = async (e) => {
  if (started) return; // the Go program replaces this handler once it runs
  started = true;
  try {
    importScripts("wasm_exec.js");
    installInertDOM();
    self.iwsmWorker = true;
    const module =
      e.data instanceof WebAssembly.Module
        ? e.data
        : await WebAssembly.compileStreaming(fetch("app.wasm"));
    const go = new Go();
    go.argv = ["iwsm-worker"];
    const instance = await WebAssembly.instantiate(module, go.importObject);
    await go.run(instance);
    postMessage("the training worker exited");
  } catch (err) {
    postMessage("the training worker failed to start: " + err);
  }
};
