package main

import (
	"cmp"
	"image"
	"math"
	"slices"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/vector"

	"iwsm/wasm/live"
)

// A particle system's pane shows its configurations as small multiples: a
// grid of cells, one configuration each, with every particle a disc (in
// 3-D projected on x-y, nearer particles, of larger z, drawn larger,
// brighter and on top); below the grid, the energy and interatomic-distance
// histograms of the samples at t = 0 against the reference set.
const (
	gridColumns = 4
	gridShare   = 0.72 // share of the plot's height taken by the grid
)

// frameColor is the colour of the plot frames.
var frameColor = rgb{0.25, 0.29, 0.4}

// depthOrder holds the drawing order of one configuration's particles.
var depthOrder []int

// drawMoleculePane renders a particle system's pane: the grid of
// configurations, the histograms and the strip of figures.
func (g *Game) drawMoleculePane(screen *ebiten.Image, p *paneUI) {
	v, s := p.plot, g.scale
	m := &p.mol
	gridH := v.size * gridShare
	rows := max(1, (m.Shown+gridColumns-1)/gridColumns)
	cw, ch := v.size/gridColumns, gridH/float64(rows)
	for k := range m.Shown {
		x0, y0 := v.x0+float64(k%gridColumns)*cw, v.y0+float64(k/gridColumns)*ch
		cell := image.Rect(int(x0), int(y0), int(x0+cw), int(y0+ch))
		clip := screen.SubImage(cell).(*ebiten.Image)
		g.batch.begin(clip)
		drawConfiguration(g.batch, m, k, x0+cw/2, y0+ch/2, math.Min(cw, ch), s, g.pal)
		g.batch.flush()
		vector.StrokeRect(screen, float32(x0), float32(y0), float32(cw), float32(ch), float32(s), nrgba(frameColor, 0.6), false)
	}
	hy := v.y0 + gridH + 4*s
	hh := v.size - gridH - 4*s
	hw := (v.size - 6*s) / 2
	energy, distance := "energy E(x)", "interatomic distances"
	if m.Corrector > 0 {
		energy, distance = energy+" · after MALA", distance+" · after MALA"
	}
	drawHistogram(screen, g.hud, m.Energy, energy, v.x0, hy, hw, hh, s)
	drawHistogram(screen, g.hud, m.Distance, distance, v.x0+hw+6*s, hy, hw, hh, s)
	if m.RefErr != "" {
		g.hud.text(screen, "no reference outline: "+m.RefErr, v.x0+4*s, v.y0+v.size-26*s, 9*s, hudWarn)
	}
	vector.StrokeRect(screen, float32(v.x0), float32(v.y0), float32(v.size), float32(v.size), float32(s), nrgba(frameColor, 1), false)
	g.drawStrip(screen, p)
}

// drawConfiguration draws configuration k of m centred at (cx, cy) in a
// square cell of side size: bonds first, then the particles from the
// farthest to the nearest, each a dark rim and a disc.
func drawConfiguration(b *batcher, m *live.Molecules, k int, cx, cy, size, scale float64, pal *palette) {
	n, sd := m.Particles, m.SpatialDim
	x := m.X[k*n*sd : (k+1)*n*sd]
	ext := m.Extent
	if !(ext > 0) {
		return
	}
	ppu := 0.5 * size / ext // pixels per unit
	at := func(i int) (float32, float32) {
		return float32(cx + float64(x[i*sd])*ppu), float32(cy - float64(x[i*sd+1])*ppu)
	}
	// depth returns 0 (far) to 1 (near) in 3-D, 1 in 2-D.
	depth := func(i int) float64 {
		if sd < 3 {
			return 1
		}
		return math.Min(math.Max((float64(x[i*sd+2])/ext+1)/2, 0), 1)
	}
	radius := math.Min(m.Radius*ppu, 0.09*size)
	if m.Bond > 0 {
		for i := range n {
			for j := i + 1; j < n; j++ {
				var r2 float64
				for a := range sd {
					d := float64(x[i*sd+a] - x[j*sd+a])
					r2 += d * d
				}
				if r2 <= m.Bond*m.Bond {
					x0, y0 := at(i)
					x1, y1 := at(j)
					b.segment(x0, y0, x1, y1, float32(0.6*scale), rgb{0.6, 0.65, 0.78}, float32(0.35+0.4*(depth(i)+depth(j))/2))
				}
			}
		}
	}
	depthOrder = depthOrder[:0]
	for i := range n {
		depthOrder = append(depthOrder, i)
	}
	if sd >= 3 {
		slices.SortFunc(depthOrder, func(a, c int) int { return cmp.Compare(x[a*sd+2], x[c*sd+2]) })
	}
	for _, i := range depthOrder {
		f := depth(i)
		r := float32(radius * (0.7 + 0.4*f))
		c := pal.mode(i)
		if sd >= 3 {
			c = chartLine
		}
		bright := float32(0.45 + 0.55*f)
		px, py := at(i)
		b.disc(px, py, r+float32(0.8*scale), rgb{0.04, 0.05, 0.09}, 0.9)
		b.disc(px, py, r, rgb{c[0] * bright, c[1] * bright, c[2] * bright}, 1)
	}
}
