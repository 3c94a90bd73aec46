// The training engine's Web Worker: loads Go's wasm_exec.js and worker.wasm
// (the Ebiten-free build of wasm/worker), which then talks to the app with
// gob-encoded messages. Errors before the Go program runs are posted as
// strings so that the app can show them.
"use strict";
try {
  importScripts("wasm_exec.js");
  const go = new Go();
  WebAssembly.instantiateStreaming(fetch("worker.wasm"), go.importObject)
    .then((r) => go.run(r.instance))
    .then(() => postMessage("the training worker exited"))
    .catch((e) => postMessage("the training worker failed to start: " + e));
} catch (e) {
  postMessage("the training worker failed to start: " + e);
}
