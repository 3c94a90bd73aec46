package main

// Helpers shared by the end-to-end tests (browser_test.go, desktop_test.go):
// the E2E switch, the module root, the bundle and the screenshot folder, and
// the screenshot check.

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// e2eRequired reports whether E2E=1: the end-to-end tests must then run, and
// a missing tool is a failure instead of a skip.
func e2eRequired() bool { return os.Getenv("E2E") == "1" }

// skipOrFail skips the test with reason, or fails it when E2E=1.
func skipOrFail(t *testing.T, reason string) {
	t.Helper()
	if e2eRequired() {
		t.Fatalf("E2E=1 but %s", reason)
	}
	t.Skip(reason)
}

// skipIfShort skips end-to-end tests under -short unless E2E=1.
func skipIfShort(t *testing.T) {
	t.Helper()
	if testing.Short() && !e2eRequired() {
		t.Skip("end-to-end test skipped in -short mode (set E2E=1 to force)")
	}
}

// moduleRoot returns the folder holding go.mod, found with `go env GOMOD`.
func moduleRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		t.Fatal("go env GOMOD: not inside a module")
	}
	return filepath.Dir(gomod)
}

// bundleDir returns the built web bundle: $IWSM_DIST when set (make test
// builds it first), otherwise a fresh `make build` into a temporary folder.
func bundleDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("IWSM_DIST"); d != "" {
		for _, f := range []string{"index.html", "app.html", "app.wasm", "wasm_exec.js"} {
			if _, err := os.Stat(filepath.Join(d, f)); err != nil {
				t.Fatalf("IWSM_DIST=%s is not a bundle: %v", d, err)
			}
		}
		return d
	}
	if _, err := exec.LookPath("make"); err != nil {
		skipOrFail(t, "make is not installed, so the bundle cannot be built (or set IWSM_DIST)")
	}
	dist := t.TempDir()
	cmd := exec.Command("make", "-C", moduleRoot(t), "build", "DIST="+dist)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make build DIST=%s: %v\n%s", dist, err, out)
	}
	return dist
}

// shotsDir returns where screenshots go: $IWSM_SHOTS (created if needed) or
// a temporary folder.
func shotsDir(t *testing.T) string {
	t.Helper()
	d := os.Getenv("IWSM_SHOTS")
	if d == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

// findChrome returns the Chromium binary: $CHROME, or chromium,
// chromium-browser or google-chrome on PATH; "" when there is none.
func findChrome() string {
	if c := os.Getenv("CHROME"); c != "" {
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
		return ""
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// shotStats describes a screenshot: its size, the share of pixels that
// differ clearly from the most common colour (the background), and the number
// of distinct colours.
type shotStats struct {
	width, height int
	foreground    float64 // fraction of pixels far from the background colour
	colours       int
}

// analyseShot decodes a PNG and measures how much of it is not background.
func analyseShot(t *testing.T, data []byte) shotStats {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	return measure(img)
}

// measure computes shotStats for an image.
func measure(img image.Image) shotStats {
	b := img.Bounds()
	counts := make(map[[3]uint8]int)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			counts[[3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8)}]++
		}
	}
	var bg [3]uint8
	best := -1
	for c, n := range counts {
		if n > best {
			bg, best = c, n
		}
	}
	// "Clearly different": more than 24 levels (of 255) in some channel, so
	// dithering and compression noise do not count as content.
	far := 0
	for c, n := range counts {
		for i := range 3 {
			if d := int(c[i]) - int(bg[i]); d > 24 || d < -24 {
				far += n
				break
			}
		}
	}
	total := b.Dx() * b.Dy()
	s := shotStats{width: b.Dx(), height: b.Dy(), colours: len(counts)}
	if total > 0 {
		s.foreground = float64(far) / float64(total)
	}
	return s
}

// checkShot fails the test when a screenshot looks blank: fewer than 1% of
// its pixels away from the background colour, or fewer than 16 colours (the
// heatmap alone has dozens).
func checkShot(t *testing.T, name string, s shotStats) {
	t.Helper()
	t.Logf("%s: %dx%d, %.1f%% non-background pixels, %d colours", name, s.width, s.height, 100*s.foreground, s.colours)
	if s.width < 100 || s.height < 100 {
		t.Errorf("%s: only %dx%d pixels", name, s.width, s.height)
	}
	if s.foreground < 0.01 || s.colours < 16 {
		t.Errorf("%s looks blank: %.2f%% non-background pixels, %d colours", name, 100*s.foreground, s.colours)
	}
}

func TestMeasureShot(t *testing.T) {
	blank := image.NewRGBA(image.Rect(0, 0, 200, 100))
	if s := measure(blank); s.foreground != 0 || s.colours != 1 {
		t.Errorf("blank image: %+v, want no foreground and one colour", s)
	}
	// A quarter of the pixels drawn in 50 grey levels over a black background.
	drawn := image.NewRGBA(image.Rect(0, 0, 200, 100))
	for y := range 50 {
		for x := range 100 {
			v := uint8(100 + x/2)
			drawn.Set(x, y, color.RGBA{v, v, v, 255})
		}
	}
	s := measure(drawn)
	if math.Abs(s.foreground-0.25) > 1e-9 || s.colours != 51 {
		t.Errorf("quarter-drawn image: %+v, want foreground 0.25 and 51 colours", s)
	}
}
