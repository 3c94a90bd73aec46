package main

import (
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
	sop := &vector.StrokeOptions{Width: float32(1.2 * scale), LineJoin: vector.LineJoinRound}
	vs, is := path.AppendVerticesAndIndicesForStroke(nil, nil, sop)
	for i := range vs {
		vs[i].SrcX, vs[i].SrcY = 1, 1
		vs[i].ColorR, vs[i].ColorG, vs[i].ColorB, vs[i].ColorA = 0.55, 0.8, 1, 1
	}
	dst.DrawTriangles(vs, is, h.white, &ebiten.DrawTrianglesOptions{AntiAlias: false})
}
