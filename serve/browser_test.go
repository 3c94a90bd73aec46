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

// TestBrowser serves the real bundle with the real handler, opens it in
// headless Chromium, waits for the Go app to draw, and checks that frames
// advance, particles move and the page shows something.
func TestBrowser(t *testing.T) {
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
	log := &responseLog{seen: map[string]http.Header{}, code: map[string]int{}}
	srv := httptest.NewServer(log.wrap(h))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome),
		chromedp.NoSandbox,
		chromedp.DisableGPU, // also sets --enable-unsafe-swiftshader: WebGL2 on SwiftShader
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1024, 768),
	)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()

	// Keep the page's console and uncaught exceptions to explain a failure.
	var consoleMu sync.Mutex
	var console []string
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
		consoleMu.Lock()
		console = append(console, line)
		consoleMu.Unlock()
	}); err != nil {
		t.Fatalf("starting %s: %v", chrome, err)
	}
	defer func() {
		if t.Failed() {
			consoleMu.Lock()
			defer consoleMu.Unlock()
			for _, l := range console {
				t.Logf("page %s", l)
			}
		}
	}()

	start := time.Now()
	enableLog := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, cdplog.Enable, cdp.Empty{})
		return err
	})
	if err := chromedp.Do(bctx, enableLog, chromedp.EmulateViewport(1024, 768), chromedp.Navigate(srv.URL+"/")); err != nil {
		t.Fatalf("navigate: %v", err)
	}
	// Wait until the app runs; stop at once if the loader reports a failure.
	status, err := chromedp.Run(bctx, chromedp.Poll[string](
		`(s => (s === "running" || s === "exited" || String(s).startsWith("error")) ? String(s) : false)(window.iwsmStatus)`,
		chromedp.WithPollingInterval(100*time.Millisecond),
		chromedp.WithPollingTimeout(90*time.Second),
	))
	if err != nil {
		now, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`String(window.iwsmStatus)`))
		t.Fatalf("app not running after %v (iwsmStatus %q): %v", time.Since(start).Round(time.Second), now, err)
	}
	if status != "running" {
		t.Fatalf("app did not start: iwsmStatus = %q", status)
	}
	t.Logf("running after %v", time.Since(start).Round(100*time.Millisecond))

	// The browser must have received the precompressed app.wasm.gz.
	hdr, code := log.get("/app.wasm")
	if code != http.StatusOK || hdr.Get("Content-Encoding") != "gzip" || hdr.Get("Content-Type") != "application/wasm" {
		t.Errorf("app.wasm served with status %d, Content-Encoding %q, Content-Type %q; want 200, gzip, application/wasm",
			code, hdr.Get("Content-Encoding"), hdr.Get("Content-Type"))
	}

	read := func() (appStats, appPositions) {
		t.Helper()
		s, err := chromedp.Run(bctx, chromedp.Evaluate[appStats](`window.iwsm.stats()`))
		if err != nil {
			t.Fatalf("window.iwsm.stats(): %v", err)
		}
		p, err := chromedp.Run(bctx, chromedp.Evaluate[appPositions](positionsJS))
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

	shot, err := chromedp.Run(bctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := filepath.Join(shotsDir(t), "browser.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot saved to %s", path)
	checkShot(t, "browser.png", analyseShot(t, shot))

	// The page must not have logged errors, thrown, or been refused
	// anything by the Content-Security-Policy.
	consoleMu.Lock()
	defer consoleMu.Unlock()
	for _, l := range console {
		if strings.HasPrefix(l, "exception:") || strings.HasPrefix(l, "error:") || strings.HasPrefix(l, "browser error:") {
			t.Errorf("page logged %s", l)
		}
	}
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
