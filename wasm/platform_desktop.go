//go:build !js

package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"iwsm/assets"
	"iwsm/wasm/live"
)

// desktop runs the training engine in a goroutine, prints the figures as one
// JSON object per line on stdout about once a second, saves exports into the
// working folder and quits after -exit-after.
type desktop struct {
	opts      options
	start     time.Time
	lastPrint time.Time
	last      []paneStats
	enc       *json.Encoder
}

// inWorker is false on the desktop: the engine runs in a goroutine.
func inWorker() bool { return false }

// runWorker is never called on the desktop.
func runWorker() {}

func newPlatform(o options) platform {
	return &desktop{opts: o, start: time.Now(), enc: json.NewEncoder(os.Stdout)}
}

// newHost runs the engine in a goroutine with the checkpoints embedded in
// the binary.
func (d *desktop) newHost() live.Host {
	return live.NewGoroutineHost(func(name string) ([]byte, error) { return fs.ReadFile(assets.Pretrained, name) })
}

func (d *desktop) update(panes []paneStats, _ []float32) bool {
	now := time.Now()
	d.last = panes
	if now.Sub(d.lastPrint) >= time.Second {
		d.lastPrint = now
		d.print()
	}
	return d.opts.exitAfter > 0 && now.Sub(d.start) >= d.opts.exitAfter
}

// print writes the first pane's figures, with every pane's under "panes".
func (d *desktop) print() {
	if len(d.last) == 0 {
		return
	}
	type line struct {
		paneStats
		Panes []paneStats `json:"panes"`
	}
	d.enc.Encode(line{d.last[0], d.last})
}

func (d *desktop) stateChanged(string)          {}
func (d *desktop) pendingState() (string, bool) { return "", false }
func (d *desktop) firstFrame()                  {}

func (d *desktop) save(name string, data []byte) (string, error) {
	if err := writeFile(name, data); err != nil {
		return "", err
	}
	abs, _ := filepath.Abs(name)
	return abs, nil
}

func (d *desktop) share(encoded string) (string, error) {
	fmt.Printf("settings: -state '%s'\n", encoded)
	return "settings printed on the terminal (-state flag)", nil
}

func (d *desktop) screenshotPath() string { return d.opts.screenshot }

func (d *desktop) exit() {
	for i := range d.last {
		d.last[i].Running = false
	}
	d.print()
}

// writeFile writes data to path.
func writeFile(path string, data []byte) error { return os.WriteFile(path, data, 0o644) }
