package main

import (
	"fmt"
	"math"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/vector"

	"iwsm/wasm/live"
)

// chart draws one small line chart of a series from a pane's history in the
// rectangle (x, y, w, h): a frame, the line, and its title and last value.
type chart struct {
	title  string
	value  func(p live.HistoryPoint) (float64, bool) // the series; false skips a point
	lo, hi float64                                   // fixed range; lo == hi scales to the data
	log    bool                                      // logarithmic y axis
	format func(float64) string
}

// draw renders the chart of hist over training seconds.
func (c chart) draw(dst *ebiten.Image, h *hud, hist []live.HistoryPoint, x, y, w, ht, scale float64) {
	vector.StrokeRect(dst, float32(x), float32(y), float32(w), float32(ht), float32(scale), nrgba(rgb{0.3, 0.34, 0.45}, 1), false)
	var xs, ys []float64
	for _, p := range hist {
		if v, ok := c.value(p); ok && !math.IsNaN(v) && !math.IsInf(v, 0) {
			if c.log {
				if v <= 0 {
					continue
				}
				v = math.Log10(v)
			}
			if n := len(xs); n > 0 && p.Seconds <= xs[n-1] {
				ys[n-1] = v // one point per time: a repeated point would break the stroke
				continue
			}
			xs, ys = append(xs, p.Seconds), append(ys, v)
		}
	}
	label := c.title
	if len(ys) > 0 {
		last := ys[len(ys)-1]
		if c.log {
			last = math.Pow(10, last)
		}
		label += "  " + c.format(last)
	}
	h.text(dst, label, x+3*scale, y+1*scale, 10*scale, hudDim)
	if len(xs) < 2 {
		return
	}
	lo, hi := c.lo, c.hi
	if lo == hi {
		lo, hi = math.Inf(1), math.Inf(-1)
		for _, v := range ys {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		if hi-lo < 1e-9 {
			lo, hi = lo-0.5, hi+0.5
		}
	}
	t0, t1 := xs[0], xs[len(xs)-1]
	if t1 <= t0 {
		t1 = t0 + 1
	}
	top := y + 14*scale // leave the title room
	px := func(i int) (float32, float32) {
		fx := (xs[i] - t0) / (t1 - t0)
		fy := (ys[i] - lo) / (hi - lo)
		return float32(x + 2*scale + fx*(w-4*scale)), float32(top + (1-fy)*(y+ht-2*scale-top))
	}
	var path vector.Path
	x0, y0 := px(0)
	path.MoveTo(x0, y0)
	for i := 1; i < len(xs); i++ {
		xi, yi := px(i)
		path.LineTo(xi, yi)
	}
	strokePath(dst, h, &path, float32(1.2*scale), chartLine, 1)
}

// chartLine is the colour of the charts' lines.
var chartLine = rgb{0.55, 0.8, 1}

// strokePath draws a path as a line of width w in colour c with alpha a.
func strokePath(dst *ebiten.Image, h *hud, path *vector.Path, w float32, c rgb, a float32) {
	sop := &vector.StrokeOptions{Width: w, LineJoin: vector.LineJoinRound}
	vs, is := path.AppendVerticesAndIndicesForStroke(nil, nil, sop)
	for i := range vs {
		vs[i].SrcX, vs[i].SrcY = 1, 1
		vs[i].ColorR, vs[i].ColorG, vs[i].ColorB, vs[i].ColorA = c[0]*a, c[1]*a, c[2]*a, a
	}
	dst.DrawTriangles(vs, is, h.white, &ebiten.DrawTrianglesOptions{AntiAlias: false})
}

// drawHistogram renders a particle pane's histogram in the rectangle (x, y,
// w, ht): the samples' shares as bars, the reference's as an outline, the
// title with the sample count, and the range under the axis.
func drawHistogram(dst *ebiten.Image, h *hud, hist live.Histogram, title string, x, y, w, ht, scale float64) {
	vector.StrokeRect(dst, float32(x), float32(y), float32(w), float32(ht), float32(scale), nrgba(rgb{0.3, 0.34, 0.45}, 1), false)
	total := 0
	for _, n := range hist.Counts {
		total += n
	}
	label := title
	if total > 0 {
		label += fmt.Sprintf("  (%d at t = 0)", total)
	}
	h.text(dst, label, x+3*scale, y+1*scale, 10*scale, hudDim)
	if !(hist.Lo < hist.Hi) {
		return
	}
	axis := 11 * scale // room for the range labels
	h.text(dst, fmtNum(hist.Lo, "%.3g"), x+3*scale, y+ht-axis, 9*scale, hudDim)
	hiLabel := fmtNum(hist.Hi, "%.3g")
	h.text(dst, hiLabel, x+w-3*scale-h.width(hiLabel, 9*scale), y+ht-axis, 9*scale, hudDim)
	bins := max(len(hist.Counts), len(hist.Ref))
	if bins == 0 {
		return
	}
	top, bottom := y+14*scale, y+ht-axis-1*scale
	// The scale fits the reference (with room for samples up to 1.6 times
	// its peak; taller bars are cut at the top), or the samples without one.
	var peak float64
	for _, r := range hist.Ref {
		peak = math.Max(peak, 1.6*r)
	}
	if peak == 0 {
		for _, n := range hist.Counts {
			peak = math.Max(peak, float64(n)/float64(total))
		}
	}
	if peak <= 0 || bottom <= top {
		return
	}
	bw := (w - 4*scale) / float64(bins)
	px := func(k int) float64 { return x + 2*scale + float64(k)*bw }
	py := func(share float64) float64 { return bottom - share/peak*(bottom-top) }
	for k, n := range hist.Counts {
		if n > 0 {
			yk := math.Max(py(float64(n)/float64(total)), top)
			fillRect(dst, px(k), yk, math.Max(bw-0.5*scale, 1), bottom-yk, nrgba(weightColor, 0.75))
		}
	}
	if len(hist.Ref) > 0 {
		var path vector.Path
		path.MoveTo(float32(px(0)), float32(bottom))
		for k, r := range hist.Ref {
			path.LineTo(float32(px(k)), float32(py(r)))
			path.LineTo(float32(px(k+1)), float32(py(r)))
		}
		path.LineTo(float32(px(len(hist.Ref))), float32(bottom))
		strokePath(dst, h, &path, float32(1.2*scale), chartLine, 1)
	}
}

// fmtNum formats a figure, or "–" when it is missing (NaN) or infinite.
func fmtNum(v float64, format string) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	return fmt.Sprintf(format, v)
}
