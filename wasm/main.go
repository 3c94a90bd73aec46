// Command wasm is the iwsm companion app: particles flow from noise into the
// target's modes along the reverse SDE. The same code runs in the browser
// (GOOS=js GOARCH=wasm, loaded by assets/app.html) and as a desktop window.
//
// Usage (desktop):
//
//	iwsm-desktop [-state 'target=gmm40&seed=1&particles=4000'] [-exit-after 10s] [-screenshot shot.png]
//
// In the browser the page passes its URL fragment as -state, and the same
// module, started by assets/worker.js, is the training engine in a Web Worker.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"time"

	"github.com/hajimehoshi/ebiten/v2"

	"iwsm/wasm/live"
)

// options are the command-line settings shared by both platforms.
type options struct {
	state      string        // URL-fragment form of live.State
	exitAfter  time.Duration // quit after this wall time (0: never)
	screenshot string        // PNG written from the last frame on exit
	width      int           // window width in points
	height     int           // window height in points
	cpuProfile string        // write a CPU profile here (desktop)
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("iwsm", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.state, "state", "", "app settings in URL-fragment form, e.g. 'target=gmm40&seed=1&particles=4000'")
	fs.DurationVar(&o.exitAfter, "exit-after", 0, "quit after this much wall time (desktop; 0 runs until closed)")
	fs.StringVar(&o.screenshot, "screenshot", "", "write the last frame to this PNG file on exit (desktop)")
	fs.IntVar(&o.width, "width", 1280, "window width (desktop)")
	fs.IntVar(&o.height, "height", 820, "window height (desktop)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile to this file (desktop)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.width < 200 || o.height < 200 || o.width > 10000 || o.height > 10000 {
		return o, fmt.Errorf("window size %d×%d out of range [200, 10000]", o.width, o.height)
	}
	if o.exitAfter < 0 {
		return o, fmt.Errorf("-exit-after must not be negative")
	}
	return o, nil
}

func main() {
	if inWorker() {
		runWorker()
		return
	}
	opts, err := parseOptions(os.Args[1:], os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "iwsm:", err)
		os.Exit(2)
	}
	st, warnings := live.Decode(opts.state)
	for _, w := range warnings {
		fmt.Fprintln(os.Stderr, "iwsm: setting corrected:", w)
	}
	g, err := newGame(st, warnings, newPlatform(opts))
	if err != nil {
		fmt.Fprintln(os.Stderr, "iwsm:", err)
		os.Exit(1)
	}
	ebiten.SetWindowTitle("IW-SM — importance-weighted score matching, live")
	ebiten.SetWindowSize(opts.width, opts.height)
	ebiten.SetWindowResizingMode(ebiten.WindowResizingModeEnabled)
	// One Update per rendered frame: the simulation works in one time-boxed
	// slice per frame (see TOOLCHAIN.md: budgeting in every catch-up Update
	// halves the simulation speed in the browser).
	ebiten.SetTPS(ebiten.SyncWithFPS)
	if opts.cpuProfile != "" {
		f, err := os.Create(opts.cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "iwsm:", err)
			os.Exit(2)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if err := ebiten.RunGame(g); err != nil {
		fmt.Fprintln(os.Stderr, "iwsm:", err)
		os.Exit(1)
	}
	g.platform.exit()
}
