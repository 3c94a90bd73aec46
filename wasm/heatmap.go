package main

import (
	"math"

	"github.com/hajimehoshi/ebiten/v2"

	"iwsm/targets"
	"iwsm/wasm/live"
)

// heatmapCells is the resolution of the density image (it is drawn scaled
// with linear filtering).
const heatmapCells = 256

// heatmapSpan is the range of log density, below the peak, that the colour
// ramp covers.
const heatmapSpan = 14.0

// newHeatmap renders a 2-D target's density over its box into an image.
func newHeatmap(t targets.Target, lo, hi []float64) *ebiten.Image {
	n := heatmapCells
	logp := make([]float64, n*n)
	live.LogDensityGrid(logp, t, lo, hi, n, n)
	peak := math.Inf(-1)
	for _, v := range logp {
		peak = math.Max(peak, v)
	}
	pix := make([]byte, 4*n*n)
	for i, v := range logp {
		u := 0.0
		if !math.IsInf(v, -1) && !math.IsNaN(v) {
			// A square-root ramp shows the tails without washing out the peaks.
			u = math.Sqrt(math.Max(0, 1-(peak-v)/heatmapSpan))
		}
		c := densityColor(u)
		pix[4*i], pix[4*i+1], pix[4*i+2], pix[4*i+3] = c.R, c.G, c.B, c.A
	}
	img := ebiten.NewImage(n, n)
	img.WritePixels(pix)
	return img
}
