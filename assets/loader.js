// loader.js starts the IW-SM app (app.html): it checks for WebGL2 and WebAssembly,
// starts the training worker (worker.js), downloads app.wasm with a progress
// bar, compiles it, hands the compiled module to the worker, runs it with
// wasm_exec.js's Go class, and reports a status in window.iwsmStatus for
// tests and visitors:
//
//   "loading"           until the app draws its first frame
//   "running"           set by the Go app itself once its first frame is drawn
//   "exited"            the Go program returned from main
//   "error: <message>"  anything that stops the app from starting or running
//
// The app's settings travel in location.hash ("#target=gmm40&method=iwsm").
// The hash is read when the Go program starts, after the download, so a hash
// set meanwhile (by the companion article around an embedded app) is the one
// used; later changes reach the running program through hashchange.
//
// Every URL is relative, so the bundle works from any static host and path.
"use strict";

(() => {
  // Inside the companion article's iframe the article supplies the title and
  // the links: style.css hides the duplicates under html.embedded.
  let embedded = false;
  try {
    embedded = window.self !== window.top;
  } catch (e) {
    embedded = true; // a cross-origin parent: certainly framed
  }
  if (embedded) document.documentElement.classList.add("embedded");

  const $ = (id) => document.getElementById(id);
  const overlay = $("overlay");
  const loading = $("loading");
  const progress = $("progress");
  const bar = $("bar");
  const statusText = $("status");
  const problem = $("problem");
  const credit = $("credit");

  // --- window.iwsmStatus, observed through an accessor so the page reacts
  // to the value the Go program sets (js.Global().Set goes through it).
  let status = "loading";
  Object.defineProperty(window, "iwsmStatus", {
    configurable: true,
    enumerable: true,
    get: () => status,
    set: (value) => {
      status = String(value);
      if (status === "running") showRunning();
    },
  });

  function showRunning() {
    credit.hidden = false;
    if (!overlay.isConnected) return;
    overlay.classList.add("fading");
    setTimeout(() => {
      if (status === "running") overlay.remove();
    }, 350);
  }

  // fail shows a problem over the page and records it in iwsmStatus.
  function fail(title, detail) {
    status = "error: " + (detail ? title + ": " + detail : title);
    console.error("iwsm:", status);
    showProblem(title, detail);
  }

  function showProblem(title, detail) {
    $("problem-title").textContent = title;
    $("problem-detail").textContent = detail || "";
    loading.hidden = true;
    problem.hidden = false;
    overlay.classList.remove("fading");
    if (!overlay.isConnected) document.body.appendChild(overlay);
  }

  $("reload").addEventListener("click", () => location.reload());

  // --- Progress display.
  const MB = 1024 * 1024;
  const mb = (n) => (n / MB).toFixed(1);

  function setPhase(text) {
    statusText.textContent = text;
  }

  function showProgress(received, total) {
    if (total > 0) {
      const pct = Math.min(100, (100 * received) / total);
      progress.classList.remove("indeterminate");
      bar.style.width = pct.toFixed(1) + "%";
      progress.setAttribute("aria-valuenow", pct.toFixed(0));
      progress.setAttribute("aria-valuetext", `${mb(received)} of ${mb(total)} MB`);
      setPhase(`Downloading the simulation: ${mb(received)} / ${mb(total)} MB`);
    } else {
      progress.removeAttribute("aria-valuenow");
      progress.setAttribute("aria-valuetext", `${mb(received)} MB received`);
      setPhase(`Downloading the simulation: ${mb(received)} MB`);
    }
  }

  function showStarting() {
    progress.classList.add("indeterminate");
    bar.style.width = "";
    progress.removeAttribute("aria-valuenow");
    progress.setAttribute("aria-valuetext", "starting");
    setPhase("Starting…");
  }

  // --- Feature detection.
  function hasWebGL2() {
    try {
      const gl = document.createElement("canvas").getContext("webgl2");
      if (!gl) return false;
      const lose = gl.getExtension("WEBGL_lose_context");
      if (lose) lose.loseContext(); // free it: browsers cap live contexts
      return true;
    } catch (e) {
      return false;
    }
  }

  // expectedSize is the number of bytes the response stream will yield, or 0
  // when unknown. With Content-Encoding gzip, Content-Length counts the
  // compressed bytes while the stream yields decompressed ones, so it is only
  // trusted for an unencoded response; our server also sends the
  // decompressed size as X-Uncompressed-Length.
  function expectedSize(headers) {
    const digits = /^\d+$/;
    const uncompressed = headers.get("X-Uncompressed-Length");
    if (uncompressed && digits.test(uncompressed)) return Number(uncompressed);
    const encoding = (headers.get("Content-Encoding") || "identity").trim().toLowerCase();
    const length = headers.get("Content-Length");
    if (encoding === "identity" && length && digits.test(length)) return Number(length);
    return 0;
  }

  async function download(url) {
    const resp = await fetch(url);
    if (!resp.ok) throw new Error(`${url}: HTTP ${resp.status} ${resp.statusText}`.trim());
    const total = expectedSize(resp.headers);
    showProgress(0, total);
    if (!resp.body || !resp.body.getReader) {
      return new Uint8Array(await resp.arrayBuffer());
    }
    const reader = resp.body.getReader();
    const chunks = [];
    let received = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.length;
      showProgress(received, total);
    }
    const bytes = new Uint8Array(received);
    let offset = 0;
    for (const c of chunks) {
      bytes.set(c, offset);
      offset += c.length;
    }
    return bytes;
  }

  // --- Go's output: wasm_exec.js prints it to the console; keep its tail so
  // a crash (a panic or a fatal error) can be shown on the page.
  let outputTail = "";
  function captureOutput() {
    const fsys = globalThis.fs;
    if (!fsys || typeof fsys.writeSync !== "function") return;
    const write = fsys.writeSync.bind(fsys);
    const decoder = new TextDecoder("utf-8");
    fsys.writeSync = (fd, buf) => {
      outputTail = (outputTail + decoder.decode(buf, { stream: true })).slice(-4000);
      return write(fd, buf);
    };
  }

  // crashSummary picks the line that explains a crash from Go's output.
  function crashSummary() {
    const lines = outputTail.split("\n").map((l) => l.trim()).filter(Boolean);
    const key = lines.find((l) => /^(panic|fatal error)\b/.test(l));
    return key || lines[lines.length - 1] || "";
  }

  // startTrainingWorker starts the training engine's Web Worker (worker.js)
  // before the download, so that its script is loaded and running by the
  // time the module is compiled: a worker created later starts only when the
  // page's thread is free, which, while the app initializes and draws its
  // first frames, costs seconds. The caller posts it the compiled module, so
  // the module is downloaded and compiled once. The Go program takes the
  // worker over from window.iwsmTrainingWorker, with the messages that
  // arrived before it did.
  function startTrainingWorker() {
    if (typeof Worker !== "function") return null; // the app reports it
    try {
      const worker = new Worker("worker.js");
      const early = [];
      worker.onmessage = (e) => early.push(e);
      worker.onerror = (e) => early.push(e);
      globalThis.iwsmTrainingWorker = { worker, early };
      return worker;
    } catch (e) {
      console.warn("iwsm: the training worker will start with the app:", e);
      return null;
    }
  }

  async function start() {
    if (typeof WebAssembly !== "object" || typeof WebAssembly.instantiate !== "function") {
      fail("WebAssembly is not available", "This browser cannot run WebAssembly, which the simulation is compiled to. Try a current Firefox, Chrome, Edge or Safari.");
      return;
    }
    if (!hasWebGL2()) {
      fail("WebGL2 is not available", "The simulation draws with WebGL2, which this browser has turned off or does not support. Enable hardware acceleration, or try a current Firefox, Chrome, Edge or Safari.");
      return;
    }
    if (typeof globalThis.Go !== "function") {
      fail("wasm_exec.js did not load", "The bundle is incomplete: rebuild it with make build.");
      return;
    }

    const trainer = startTrainingWorker();
    let bytes;
    try {
      bytes = await download("app.wasm");
    } catch (e) {
      if (trainer) trainer.terminate();
      fail("Could not download the simulation", e && e.message ? e.message : String(e));
      return;
    }

    showStarting();
    const go = new globalThis.Go();
    go.argv = ["iwsm", "-state", location.hash.slice(1)];
    let exitCode = null;
    const exit = go.exit;
    go.exit = (code) => {
      exitCode = code;
      exit.call(go, code);
    };
    captureOutput();

    let instance;
    try {
      const module = await WebAssembly.compile(bytes);
      if (trainer) trainer.postMessage(module);
      instance = await WebAssembly.instantiate(module, go.importObject);
    } catch (e) {
      if (trainer) trainer.terminate();
      fail("Could not start the simulation", e && e.message ? e.message : String(e));
      return;
    }
    bytes = null; // let the download be collected

    // go.run resolves when the Go program exits; an Ebiten app normally never does.
    go.run(instance).then(
      () => {
        if (exitCode === 0 || exitCode === null) {
          status = "exited";
          showProblem("The simulation stopped", "The Go program exited. Reload the page to start it again.");
        } else {
          const why = crashSummary();
          fail(`The simulation crashed (exit code ${exitCode})`, why);
        }
      },
      (e) => fail("The simulation crashed", e && e.message ? e.message : String(e)),
    );
  }

  start();
})();
