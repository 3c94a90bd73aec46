package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// xLibs are the pkg-config names of the X libraries Ebiten's native build
// links through cgo (GLFW).
var xLibs = []string{"x11", "xrandr", "xcursor", "xinerama", "xi", "xxf86vm", "gl"}

// TestDesktop builds the native app, runs it under Xvfb for a few seconds
// with the side-by-side view (IW-SM | iDEM, training from scratch in the
// app's goroutine) and checks its once-a-second JSON figures (both panes
// train), its exit status and the PNG it writes of its last frame.
func TestDesktop(t *testing.T) {
	skipIfShort(t)
	if _, err := exec.LookPath("xvfb-run"); err != nil {
		skipOrFail(t, "xvfb-run not found (apt-get install xvfb xauth)")
	}
	if _, err := exec.LookPath("pkg-config"); err != nil {
		skipOrFail(t, "pkg-config not found, so the X development libraries cannot be checked (apt-get install pkg-config)")
	}
	if err := exec.Command("pkg-config", append([]string{"--exists"}, xLibs...)...).Run(); err != nil {
		skipOrFail(t, "X development libraries missing ("+strings.Join(xLibs, " ")+"): see TOOLCHAIN.md for the apt line")
	}

	bin := filepath.Join(t.TempDir(), "iwsm-desktop")
	build := exec.Command("go", "build", "-o", bin, "./wasm")
	build.Dir = moduleRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		if bytes.Contains(out, []byte("X11/")) || bytes.Contains(out, []byte("GL/gl")) {
			skipOrFail(t, "native build lacks X headers: "+firstLine(out))
		}
		t.Fatalf("go build ./wasm: %v\n%s", err, out)
	}

	shot := filepath.Join(shotsDir(t), "desktop.png")
	os.Remove(shot) // the PNG checked below must be this run's
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "xvfb-run", "-a", "-s", "-screen 0 1024x768x24 -nolisten tcp",
		bin, "-exit-after", "8s", "-screenshot", shot, "-width", "960", "-height", "720",
		"-state", "method=iwsm&compare=idem&pretrained=0")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	t.Logf("desktop app ran %v", time.Since(start).Round(100*time.Millisecond))
	if err != nil {
		t.Fatalf("desktop app: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}

	var lines []appStats
	type paneLine struct {
		Panes []struct {
			Variant string `json:"variant"`
			Step    int    `json:"step"`
		} `json:"panes"`
	}
	var panes []paneLine
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var s appStats
		if err := json.Unmarshal([]byte(line), &s); err != nil {
			t.Errorf("stdout line %q is not the stats JSON: %v", line, err)
			continue
		}
		lines = append(lines, s)
		var pl paneLine
		json.Unmarshal([]byte(line), &pl) // the line parsed as appStats above
		panes = append(panes, pl)
	}
	if len(lines) < 3 {
		t.Fatalf("got %d stats lines in 6 s, want at least 3 (one a second)\nstdout:\n%s\nstderr:\n%s", len(lines), stdout.String(), stderr.String())
	}
	first, last := lines[0], lines[len(lines)-1]
	t.Logf("first: %v", first)
	t.Logf("last:  %v", last)
	if last.Frame <= first.Frame {
		t.Errorf("frames did not advance: %v then %v", first.Frame, last.Frame)
	}
	for _, s := range lines {
		if s.Particles <= 0 || math.IsNaN(s.T) || math.IsInf(s.T, 0) || math.IsNaN(s.FPS) || math.IsInf(s.FPS, 0) {
			t.Errorf("implausible stats line: %v", s)
		}
	}
	if p := panes[len(panes)-1].Panes; len(p) != 2 || p[0].Variant != "iwsm" || p[1].Variant != "idem" || p[0].Step == 0 || p[1].Step == 0 {
		t.Errorf("want two training panes, IW-SM and iDEM; the last line has %+v", p)
	}
	if !lines[len(lines)/2].Running {
		t.Errorf("app not running mid-way: %v", lines[len(lines)/2])
	}

	data, err := os.ReadFile(shot)
	if err != nil {
		t.Fatalf("no screenshot written: %v", err)
	}
	t.Logf("screenshot saved to %s", shot)
	checkShot(t, "desktop.png", analyseShot(t, data))
}

// firstLine returns the first line of b, for one-line skip reasons.
func firstLine(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return s
}
