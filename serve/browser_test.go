package main

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// appStats is what window.iwsm.stats() returns.
type appStats struct {
	Frame     float64 `json:"frame"`
	T         float64 `json:"t"`
	Particles float64 `json:"particles"`
	FPS       float64 `json:"fps"`
	Running   bool    `json:"running"`
}

// appPositions is read from window.iwsm.positions(n) inside the page, so
// that non-finite numbers are detected there (JSON would turn NaN into null).
type appPositions struct {
	Coords []float64 `json:"coords"`
	Finite bool      `json:"finite"`
}

const positionsJS = `(() => {
	const p = Array.from(window.iwsm.positions(64));
	return {coords: p.map(v => Number.isFinite(v) ? v : 0), finite: p.every(Number.isFinite)};
})()`

// responseLog records the headers the server sent for each path, to prove
// which variant of app.wasm the browser received.
type responseLog struct {
	mu   sync.Mutex
	seen map[string]http.Header
	code map[string]int
}

// statusWriter captures the status code of a response.
type statusWriter struct {
	http.ResponseWriter
	code int
}

// WriteHeader records the first status code and passes it on.
func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write records an implicit 200 and passes the bytes on.
func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// wrap returns h with every response's headers and status recorded.
func (l *responseLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		l.mu.Lock()
		defer l.mu.Unlock()
		l.seen[r.URL.Path] = w.Header().Clone()
		l.code[r.URL.Path] = sw.code
	})
}

// get returns the headers and status last sent for path.
func (l *responseLog) get(path string) (http.Header, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seen[path], l.code[path]
}

// browserSession is headless Chromium driving the real bundle, served by the
// real handler from an httptest server. It records every response's headers
// and the page's console, uncaught exceptions and browser errors (CSP
// refusals, failed loads), for every frame of the page.
type browserSession struct {
	ctx       context.Context // the tab
	url       string          // the server's base URL, without a trailing slash
	responses *responseLog

	mu      sync.Mutex
	console []string
}

// startBrowser serves the bundle and opens a headless Chromium tab with the
// given viewport. Everything stops when the test ends; on failure the test
// log gets the page's console. It skips (or fails with E2E=1) when no
// Chromium is installed.
func startBrowser(t *testing.T, width, height int) *browserSession {
	t.Helper()
	skipIfShort(t)
	chrome := findChrome()
	if chrome == "" {
		skipOrFail(t, "no Chromium found (install chromium, or set CHROME)")
	}
	dist := bundleDir(t)
	h, err := newHandler(dist)
	if err != nil {
		t.Fatal(err)
	}
	b := &browserSession{responses: &responseLog{seen: map[string]http.Header{}, code: map[string]int{}}}
	srv := httptest.NewServer(b.responses.wrap(h))
	t.Cleanup(srv.Close)
	b.url = srv.URL

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute) // a ceiling: each test polls with its own timeout
	t.Cleanup(cancel)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome),
		chromedp.NoSandbox,
		chromedp.DisableGPU, // also sets --enable-unsafe-swiftshader: WebGL2 on SwiftShader
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)
	b.ctx = bctx

	// Keep the page's console and uncaught exceptions to explain a failure.
	if err := chromedp.Listen(bctx, func(ev any) {
		var line string
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			parts := make([]string, 0, len(ev.Args))
			for _, a := range ev.Args {
				if len(a.Value) > 0 {
					parts = append(parts, string(a.Value))
				} else {
					parts = append(parts, a.Description)
				}
			}
			line = string(ev.Type) + ": " + strings.Join(parts, " ")
		case *cdplog.EventEntryAdded: // the browser's own messages: CSP refusals, failed loads
			if ev.Entry.Level != cdplog.EntryLevelError {
				return
			}
			line = "browser error: " + ev.Entry.Text
			if ev.Entry.URL != "" {
				line += " (" + ev.Entry.URL + ")"
			}
		case *runtime.EventExceptionThrown:
			line = "exception: " + ev.ExceptionDetails.Text
			if ex := ev.ExceptionDetails.Exception; ex != nil {
				line += " " + ex.Description
			}
		default:
			return
		}
		b.mu.Lock()
		b.console = append(b.console, line)
		b.mu.Unlock()
	}); err != nil {
		t.Fatalf("starting %s: %v", chrome, err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			b.mu.Lock()
			defer b.mu.Unlock()
			for _, l := range b.console {
				t.Logf("page %s", l)
			}
		}
	})
	enableLog := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, cdplog.Enable, cdp.Empty{})
		return err
	})
	if err := chromedp.Do(bctx, enableLog, chromedp.EmulateViewport(int64(width), int64(height))); err != nil {
		t.Fatalf("starting %s: %v", chrome, err)
	}
	return b
}

// open navigates the tab to path (e.g. "/app.html") on the test server.
func (b *browserSession) open(t *testing.T, path string) {
	t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.Navigate(b.url+path)); err != nil {
		t.Fatalf("navigate to %s: %v", path, err)
	}
}

// waitRunning polls the JavaScript expression status, which evaluates to
// the app's iwsmStatus, until the app runs; it stops at once when the loader
// reports a failure or the Go program exited.
func (b *browserSession) waitRunning(t *testing.T, status string) {
	t.Helper()
	start := time.Now()
	got, err := chromedp.Run(b.ctx, chromedp.Poll[string](
		`(s => (s === "running" || s === "exited" || String(s).startsWith("error")) ? String(s) : false)(`+status+`)`,
		chromedp.WithPollingInterval(100*time.Millisecond),
		chromedp.WithPollingTimeout(90*time.Second),
	))
	if err != nil {
		now, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(() => { try { return String(`+status+`); } catch (e) { return "unreadable: " + e; } })()`))
		t.Fatalf("app not running after %v (iwsmStatus %q): %v", time.Since(start).Round(time.Second), now, err)
	}
	if got != "running" {
		t.Fatalf("app did not start: iwsmStatus = %q", got)
	}
	t.Logf("running after %v", time.Since(start).Round(100*time.Millisecond))
}

// checkWasmServed checks that the browser received the precompressed
// app.wasm.gz for app.wasm.
func (b *browserSession) checkWasmServed(t *testing.T) {
	t.Helper()
	hdr, code := b.responses.get("/app.wasm")
	if code != http.StatusOK || hdr.Get("Content-Encoding") != "gzip" || hdr.Get("Content-Type") != "application/wasm" {
		t.Errorf("app.wasm served with status %d, Content-Encoding %q, Content-Type %q; want 200, gzip, application/wasm",
			code, hdr.Get("Content-Encoding"), hdr.Get("Content-Type"))
	}
}

// screenshot captures the viewport, saves it as name in the screenshot
// folder and checks that it does not look blank.
func (b *browserSession) screenshot(t *testing.T, name string) {
	t.Helper()
	shot, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := filepath.Join(shotsDir(t), name)
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot saved to %s", path)
	checkShot(t, name, analyseShot(t, shot))
}

// checkConsole fails the test when the page logged an error, threw, or was
// refused anything by the Content-Security-Policy.
func (b *browserSession) checkConsole(t *testing.T) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, l := range b.console {
		if strings.HasPrefix(l, "exception:") || strings.HasPrefix(l, "error:") || strings.HasPrefix(l, "browser error:") {
			t.Errorf("page logged %s", l)
		}
	}
}

// TestBrowser opens the full-window app (app.html) in headless Chromium,
// waits for the Go app to draw, and checks that frames advance, particles
// move and the page shows something.
func TestBrowser(t *testing.T) {
	b := startBrowser(t, 1024, 768)
	b.open(t, "/app.html")
	b.waitRunning(t, "window.iwsmStatus")
	b.checkWasmServed(t)

	read := func() (appStats, appPositions) {
		t.Helper()
		s, err := chromedp.Run(b.ctx, chromedp.Evaluate[appStats](`window.iwsm.stats()`))
		if err != nil {
			t.Fatalf("window.iwsm.stats(): %v", err)
		}
		p, err := chromedp.Run(b.ctx, chromedp.Evaluate[appPositions](positionsJS))
		if err != nil {
			t.Fatalf("window.iwsm.positions(64): %v", err)
		}
		return s, p
	}
	s1, p1 := read()
	t.Logf("stats 1: %+v", s1)
	var s2 appStats
	var p2 appPositions
	moved := false
	// Particles hold still for a moment at t = 0 before a restart, so allow
	// a few reads before concluding they do not move.
	for range 3 {
		time.Sleep(2 * time.Second)
		s2, p2 = read()
		if moved = !equalFloats(p1.Coords, p2.Coords); moved {
			break
		}
	}
	t.Logf("stats 2: %+v", s2)

	if s2.Frame <= s1.Frame {
		t.Errorf("frame did not advance: %v then %v", s1.Frame, s2.Frame)
	}
	if s1.Particles < 64 {
		t.Errorf("particles = %v, want at least 64", s1.Particles)
	}
	for _, p := range []appPositions{p1, p2} {
		if len(p.Coords) != 128 {
			t.Errorf("positions(64) returned %d numbers, want 128", len(p.Coords))
		}
		if !p.Finite {
			t.Error("positions(64) contains non-finite numbers")
		}
	}
	if !moved {
		t.Error("the first 64 particles did not move in 6 s")
	}
	for _, v := range []float64{s2.T, s2.FPS} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Errorf("stats has a non-finite number: %+v", s2)
		}
	}
	if !s2.Running {
		t.Errorf("stats().running is false: %+v", s2)
	}

	b.screenshot(t, "browser.png")
	b.checkConsole(t)
}

// equalFloats reports whether a and b hold the same numbers.
func equalFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// String makes appStats readable in logs.
func (s appStats) String() string {
	return fmt.Sprintf("frame=%v t=%.3f particles=%v fps=%.1f running=%v", s.Frame, s.T, s.Particles, s.FPS, s.Running)
}
