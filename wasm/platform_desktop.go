//go:build !js

package main

import (
	"encoding/json"
	"os"
	"time"
)

// desktop prints the app's figures as one JSON object per line on stdout,
// about once a second, and quits after -exit-after.
type desktop struct {
	opts      options
	start     time.Time
	lastPrint time.Time
	last      stats
	enc       *json.Encoder
}

func newPlatform(o options) platform {
	return &desktop{opts: o, start: time.Now(), enc: json.NewEncoder(os.Stdout)}
}

func (d *desktop) update(st stats, _ []float32) bool {
	now := time.Now()
	d.last = st
	if now.Sub(d.lastPrint) >= time.Second {
		d.lastPrint = now
		d.enc.Encode(st)
	}
	return d.opts.exitAfter > 0 && now.Sub(d.start) >= d.opts.exitAfter
}

func (d *desktop) firstFrame() {}

func (d *desktop) screenshotPath() string { return d.opts.screenshot }

func (d *desktop) exit() {
	d.last.Running = false
	d.enc.Encode(d.last)
}
