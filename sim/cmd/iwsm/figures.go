package main

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"iwsm/sim"
	"iwsm/targets"
)

// figureDPI is the resolution of the PNG figures: sizes are given in pixels.
const figureDPI = 96

// px converts pixels to a vg.Length at figureDPI.
func px(n float64) vg.Length { return vg.Length(n) * vg.Inch / figureDPI }

// variantColors are the fixed colours of the variants across all figures.
var variantColors = map[string]color.Color{
	"iwsm":      color.RGBA{0x1f, 0x77, 0xb4, 0xff}, // blue
	"idem":      color.RGBA{0xff, 0x7f, 0x0e, 0xff}, // orange
	"iwsm-def0": color.RGBA{0x2c, 0xa0, 0x2c, 0xff}, // green
	"idem-def0": color.RGBA{0xd6, 0x27, 0x28, 0xff}, // red
	"exact":     color.RGBA{0x55, 0x55, 0x55, 0xff}, // grey
	"exact-sym": color.RGBA{0xaa, 0xaa, 0xaa, 0xff}, // light grey
}

// fallbackColors colour series whose names have no fixed colour.
var fallbackColors = []color.Color{
	color.RGBA{0x94, 0x67, 0xbd, 0xff}, color.RGBA{0x8c, 0x56, 0x4b, 0xff},
	color.RGBA{0xe3, 0x77, 0xc2, 0xff}, color.RGBA{0x17, 0xbe, 0xcf, 0xff},
}

// figureLabels are the variants' names in figure legends and panel titles.
var figureLabels = map[string]string{
	"iwsm":      "IW-SM",
	"idem":      "iDEM",
	"iwsm-def0": "IW-SM, defensive share 0",
	"idem-def0": "iDEM, defensive share 0",
	"exact":     "exact samples",
}

// figureLabel returns the legend label of a series.
func figureLabel(name string) string {
	if base, ok := strings.CutSuffix(name, malaSuffix); ok {
		return figureLabel(base) + " + MALA"
	}
	if l, ok := figureLabels[name]; ok {
		return l
	}
	return name
}

// seriesColor returns the colour of a named series, the i-th of its figure.
func seriesColor(name string, i int) color.Color {
	if c, ok := variantColors[strings.TrimSuffix(name, malaSuffix)]; ok {
		return c
	}
	return fallbackColors[i%len(fallbackColors)]
}

// withAlpha returns c at opacity a (premultiplied, as color.RGBA requires).
func withAlpha(c color.Color, a float64) color.Color {
	r, g, b, _ := c.RGBA()
	return color.RGBA{uint8(float64(r>>8) * a), uint8(float64(g>>8) * a), uint8(float64(b>>8) * a), uint8(255 * a)}
}

// renderPNG draws onto a w×h pixel canvas with a white background and
// writes it as PNG.
func renderPNG(w io.Writer, width, height float64, drawFn func(dc draw.Canvas)) error {
	c := vgimg.NewWith(vgimg.UseWH(px(width), px(height)), vgimg.UseDPI(figureDPI), vgimg.UseBackgroundColor(color.White))
	drawFn(draw.New(c))
	_, err := vgimg.PngCanvas{Canvas: c}.WriteTo(w)
	return err
}

// savePlot renders one plot to a PNG file.
func savePlot(path string, p *plot.Plot, width, height float64) error {
	return writeFileAtomic(path, func(w io.Writer) error {
		return renderPNG(w, width, height, func(dc draw.Canvas) { p.Draw(dc) })
	})
}

// newPlot returns a plot with a title, axis labels and a light grid.
func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	grid := plotter.NewGrid()
	grid.Vertical.Color = color.Gray{0xe0}
	grid.Horizontal.Color = color.Gray{0xe0}
	p.Add(grid)
	return p
}

// seriesSet is one variant's curves: a thin line per seed and a thick mean.
type seriesSet struct {
	Name  string
	Seeds []plotter.XYs
	Mean  plotter.XYs
}

// refLine is a labelled horizontal reference line.
type refLine struct {
	Label string
	Y     float64
	Color color.Color
}

// curveFigure writes a line chart of series over training time: per seed a
// thin translucent line, the mean over seeds thick, and dashed reference
// lines. yMin and yMax, when finite, fix the y range.
func curveFigure(path, title, xlabel, ylabel string, sets []seriesSet, refs []refLine, yMin, yMax float64) error {
	return curveFigureScale(path, title, xlabel, ylabel, sets, refs, yMin, yMax, false)
}

// curveFigureScale is curveFigure with a choice of a logarithmic y axis, for
// figures whose values span decades (the E-W2 of particle systems). On a
// log axis values ≤ 0 are left out.
func curveFigureScale(path, title, xlabel, ylabel string, sets []seriesSet, refs []refLine, yMin, yMax float64, logY bool) error {
	p := newPlot(title, xlabel, ylabel)
	p.Legend.Top = true
	keep := func(xy plotter.XYs) plotter.XYs {
		if !logY {
			return xy
		}
		var out plotter.XYs
		for _, v := range xy {
			if v.Y > 0 && !math.IsInf(v.Y, 0) {
				out = append(out, v)
			}
		}
		return out
	}
	for i, s := range sets {
		c := seriesColor(s.Name, i)
		for _, xy := range s.Seeds {
			if xy = keep(xy); len(xy) == 0 {
				continue
			}
			l, err := plotter.NewLine(xy)
			if err != nil {
				return fmt.Errorf("figure %s: %w", path, err)
			}
			l.Color, l.Width = withAlpha(c, 0.35), vg.Points(0.8)
			p.Add(l)
		}
		mean := keep(s.Mean)
		if len(mean) == 0 {
			continue
		}
		l, err := plotter.NewLine(mean)
		if err != nil {
			return fmt.Errorf("figure %s: %w", path, err)
		}
		l.Color, l.Width = c, vg.Points(2.2)
		p.Add(l)
		if len(mean) == 1 { // a lone point draws no line: mark it
			sc, err := plotter.NewScatter(mean)
			if err != nil {
				return fmt.Errorf("figure %s: %w", path, err)
			}
			sc.GlyphStyle = draw.GlyphStyle{Color: c, Radius: vg.Points(3), Shape: glyphFor(i)}
			p.Add(sc)
		}
		p.Legend.Add(figureLabel(s.Name), l)
	}
	for _, r := range refs {
		if logY && !(r.Y > 0) {
			continue
		}
		xmin, xmax := math.Min(p.X.Min, 0), p.X.Max
		if xmax <= xmin {
			xmin, xmax = 0, 1
		}
		l, err := plotter.NewLine(plotter.XYs{{X: xmin, Y: r.Y}, {X: xmax, Y: r.Y}})
		if err != nil {
			return err
		}
		l.Color = r.Color
		if l.Color == nil {
			l.Color = color.Gray{0x60}
		}
		l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		l.Width = vg.Points(1.2)
		p.Add(l)
		p.Legend.Add(r.Label, l)
	}
	if !math.IsInf(yMin, 0) && !math.IsNaN(yMin) {
		p.Y.Min = yMin
	}
	p.X.Min = math.Min(p.X.Min, 0)
	if logY {
		p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
		if !(p.Y.Min > 0) || !(p.Y.Max > p.Y.Min) {
			p.Y.Min, p.Y.Max = 0.1, 10 // no positive value: an empty axis that LogScale accepts
		}
	}
	if !math.IsInf(yMax, 0) && !math.IsNaN(yMax) {
		p.Y.Max = yMax // a fixed range (nESS ≤ 1): the legend may cover data near the top
	} else {
		legendRoom(p, len(sets)+len(refs))
	}
	return savePlot(path, p, 900, 600)
}

// samplePanel is one panel of a samples figure.
type samplePanel struct {
	Name string    // variant, for the colour and the title
	X    []float64 // n×2 samples
}

// densityGrid is a target's log density on a regular grid, clipped below.
type densityGrid struct {
	xs, ys []float64
	z      []float64 // z[r*len(xs)+c]
	max    float64
}

// Dims returns the number of columns and rows (plotter.GridXYZ).
func (g *densityGrid) Dims() (c, r int) { return len(g.xs), len(g.ys) }

// Z returns the clipped log density at column c, row r.
func (g *densityGrid) Z(c, r int) float64 { return g.z[r*len(g.xs)+c] }

// X returns the x coordinate of column c.
func (g *densityGrid) X(c int) float64 { return g.xs[c] }

// Y returns the y coordinate of row r.
func (g *densityGrid) Y(r int) float64 { return g.ys[r] }

// Min returns the bottom of the shaded range (the clip level).
func (g *densityGrid) Min() float64 { return g.max - densityRange }

// Max returns the largest log density on the grid.
func (g *densityGrid) Max() float64 { return g.max }

// densityRange is the span of log density the background shades.
const densityRange = 25

// newDensityGrid evaluates log π̃ of a 2-D target on size×size points of the
// box [lo, hi].
func newDensityGrid(t targets.Target, lo, hi []float64, size int) *densityGrid {
	g := &densityGrid{xs: make([]float64, size), ys: make([]float64, size), z: make([]float64, size*size), max: math.Inf(-1)}
	for i := range size {
		f := float64(i) / float64(size-1)
		g.xs[i] = lo[0] + f*(hi[0]-lo[0])
		g.ys[i] = lo[1] + f*(hi[1]-lo[1])
	}
	x := make([]float64, 2*size*size)
	for r := range size {
		for c := range size {
			x[2*(r*size+c)], x[2*(r*size+c)+1] = g.xs[c], g.ys[r]
		}
	}
	targets.LogProbScoreBatch(t, g.z, nil, x)
	for _, v := range g.z {
		if v > g.max {
			g.max = v
		}
	}
	for i, v := range g.z {
		if !(v >= g.max-densityRange) { // also −Inf and NaN
			g.z[i] = g.max - densityRange
		}
	}
	return g
}

// shades is a palette from white to a light blue for the density background.
type shades []color.Color

// Colors returns the palette's colours.
func (s shades) Colors() []color.Color { return s }

func densityShades(n int) shades {
	s := make(shades, n)
	for i := range s {
		f := float64(i) / float64(n-1)
		s[i] = color.RGBA{uint8(255 - 120*f), uint8(255 - 70*f), uint8(255 - 20*f), 255}
	}
	return s
}

// plotBox returns the box a 2-D target is drawn in: its bounds, or the range
// of the samples padded by 10 %.
func plotBox(t targets.Target, panels []samplePanel) (lo, hi []float64) {
	if b, ok := t.(targets.Bounded); ok {
		return b.Bounds()
	}
	lo, hi = []float64{math.Inf(1), math.Inf(1)}, []float64{math.Inf(-1), math.Inf(-1)}
	for _, p := range panels {
		for i := 0; i+1 < len(p.X); i += 2 {
			for j := range 2 {
				lo[j], hi[j] = math.Min(lo[j], p.X[i+j]), math.Max(hi[j], p.X[i+j])
			}
		}
	}
	for j := range 2 {
		if !(hi[j] > lo[j]) {
			lo[j], hi[j] = -1, 1
		}
		pad := 0.1 * (hi[j] - lo[j])
		lo[j], hi[j] = lo[j]-pad, hi[j]+pad
	}
	return lo, hi
}

// samplesFigure writes a grid of panels, one per variant, each showing the
// samples as small dots over the log-density background and contours of a
// 2-D target, with the mode centres marked.
func samplesFigure(path string, t targets.Target, title string, panels []samplePanel) error {
	if t.Dim() != 2 {
		return fmt.Errorf("samples figure: %s is not 2-D", t.Name())
	}
	if len(panels) == 0 {
		return fmt.Errorf("samples figure: no panels")
	}
	lo, hi := plotBox(t, panels)
	grid := newDensityGrid(t, lo, hi, 160)
	cols := min(len(panels), 3)
	rows := (len(panels) + cols - 1) / cols
	plots := make([][]*plot.Plot, rows)
	for r := range plots {
		plots[r] = make([]*plot.Plot, cols)
	}
	var modes plotter.XYs
	if mo, ok := t.(targets.Moder); ok {
		for _, m := range mo.Modes() {
			modes = append(modes, plotter.XY{X: m[0], Y: m[1]})
		}
	}
	for i, pan := range panels {
		p := plot.New()
		p.Title.Text = figureLabel(pan.Name)
		p.Title.TextStyle.Font.Size = vg.Points(12)
		p.X.Label.Text, p.Y.Label.Text = "x0", "x1"
		hm := plotter.NewHeatMap(grid, densityShades(64))
		hm.Rasterized = true
		p.Add(hm)
		levels := []float64{grid.max - 4.5, grid.max - 2, grid.max - 0.5} // 3σ, 2σ, 1σ of the highest mode
		ct := plotter.NewContour(grid, levels, nil)
		ct.LineStyles = []draw.LineStyle{{Color: color.Gray{0x90}, Width: vg.Points(0.6)}}
		p.Add(ct)
		pts := make(plotter.XYs, 0, len(pan.X)/2)
		for j := 0; j+1 < len(pan.X); j += 2 {
			x, y := pan.X[j], pan.X[j+1]
			if x >= lo[0] && x <= hi[0] && y >= lo[1] && y <= hi[1] {
				pts = append(pts, plotter.XY{X: x, Y: y})
			}
		}
		if len(pts) > 0 {
			sc, err := plotter.NewScatter(pts)
			if err != nil {
				return err
			}
			sc.GlyphStyle = draw.GlyphStyle{Color: withAlpha(seriesColor(pan.Name, i), 0.75), Radius: vg.Points(1.1), Shape: draw.CircleGlyph{}}
			if _, ok := variantColors[pan.Name]; !ok {
				sc.GlyphStyle.Color = color.RGBA{0xb0, 0x10, 0x30, 0xc0}
			}
			p.Add(sc)
		}
		if len(modes) > 0 {
			mc, err := plotter.NewScatter(modes)
			if err != nil {
				return err
			}
			mc.GlyphStyle = draw.GlyphStyle{Color: color.Black, Radius: vg.Points(3), Shape: draw.PlusGlyph{}}
			p.Add(mc)
		}
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = lo[0], hi[0], lo[1], hi[1]
		plots[i/cols][i%cols] = p
	}
	width, height := 380.0*float64(cols)+40, 380.0*float64(rows)+50
	return writeGrid(path, width, height, 15, title, plots)
}

// writeGrid writes a PNG of width × height pixels: the title at the top in a
// fontSize-point font, and the plots (nil cells left empty) aligned in a
// grid below it.
func writeGrid(path string, width, height, fontSize float64, title string, plots [][]*plot.Plot) error {
	rows := len(plots)
	if rows == 0 {
		return fmt.Errorf("figure %s: no plots", path)
	}
	cols := len(plots[0])
	return writeFileAtomic(path, func(w io.Writer) error {
		return renderPNG(w, width, height, func(dc draw.Canvas) {
			font := plot.DefaultFont
			font.Size = vg.Points(fontSize)
			sty := draw.TextStyle{Color: color.Black, Font: font, XAlign: draw.XCenter, YAlign: draw.YTop, Handler: plot.DefaultTextHandler}
			dc.FillText(sty, vg.Point{X: dc.Center().X, Y: dc.Max.Y - px(8)}, title)
			body := dc
			body.Max.Y -= px(36)
			tiles := draw.Tiles{Cols: cols, Rows: rows, PadTop: px(6), PadBottom: px(6), PadLeft: px(6), PadRight: px(12), PadX: px(14), PadY: px(14)}
			canvases := plot.Align(plots, tiles, body)
			for r := range plots {
				for c := range plots[r] {
					if plots[r][c] != nil {
						plots[r][c].Draw(canvases[r][c])
					}
				}
			}
		})
	})
}

// countSeries is the per-mode sample counts of one variant.
type countSeries struct {
	Name   string
	Counts []float64
}

// modeCountsFigure writes a dot plot of the samples per mode (by mode index)
// for each variant, against the fair share n/K and the coverage threshold
// minShare·n/K.
func modeCountsFigure(path, title string, fair, minShare float64, series []countSeries) error {
	p := newPlot(title, "mode index", "samples within 3σ of the mode")
	p.Legend.Top = true
	k := 0
	for i, s := range series {
		k = max(k, len(s.Counts))
		pts := make(plotter.XYs, len(s.Counts))
		for j, v := range s.Counts {
			pts[j] = plotter.XY{X: float64(j), Y: v}
		}
		if len(pts) == 0 {
			continue
		}
		c := seriesColor(s.Name, i)
		l, sc, err := plotter.NewLinePoints(pts)
		if err != nil {
			return fmt.Errorf("figure %s: %w", path, err)
		}
		l.Color, l.Width = withAlpha(c, 0.5), vg.Points(0.8)
		sc.GlyphStyle = draw.GlyphStyle{Color: c, Radius: vg.Points(2.6), Shape: glyphFor(i)}
		p.Add(l, sc)
		p.Legend.Add(figureLabel(s.Name), l, sc)
	}
	xmax := math.Max(float64(k-1), 1)
	for _, r := range []refLine{{Label: "fair share n/K", Y: fair, Color: color.Black}, {Label: fmt.Sprintf("covered: %.0f%% of the fair share", 100*minShare), Y: minShare * fair, Color: color.Gray{0x80}}} {
		l, err := plotter.NewLine(plotter.XYs{{X: -0.5, Y: r.Y}, {X: xmax + 0.5, Y: r.Y}})
		if err != nil {
			return err
		}
		l.Color, l.Width, l.Dashes = r.Color, vg.Points(1.2), []vg.Length{vg.Points(5), vg.Points(3)}
		p.Add(l)
		p.Legend.Add(r.Label, l)
	}
	p.X.Min, p.X.Max = -0.5, xmax+0.5
	p.Y.Min = 0
	legendRoom(p, len(series)+2)
	return savePlot(path, p, 900, 600)
}

// legendRoom raises the top of the y axis so that a legend of entries lines
// in the top right corner sits above the data (a 600-pixel plot has room
// for about 25 lines of legend text).
func legendRoom(p *plot.Plot, entries int) {
	share := math.Min(0.05*float64(entries)+0.04, 0.6)
	if _, logY := p.Y.Scale.(plot.LogScale); logY {
		if p.Y.Min > 0 && p.Y.Max > p.Y.Min {
			p.Y.Max = p.Y.Min * math.Pow(p.Y.Max/p.Y.Min, 1/(1-share))
		}
		return
	}
	span := p.Y.Max - p.Y.Min
	if !(span > 0) {
		return
	}
	p.Y.Max = p.Y.Min + span/(1-share)
}

// glyphFor returns distinct glyph shapes for series i.
func glyphFor(i int) draw.GlyphDrawer {
	switch i % 4 {
	case 0:
		return draw.CircleGlyph{}
	case 1:
		return draw.SquareGlyph{}
	case 2:
		return draw.TriangleGlyph{}
	default:
		return draw.PyramidGlyph{}
	}
}

// meanCurve averages curves (each sorted by X) on a grid of size points over
// the range they span; a grid point averages the curves that cover it.
func meanCurve(curves []plotter.XYs, size int) plotter.XYs {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, c := range curves {
		if len(c) > 0 {
			lo, hi = math.Min(lo, c[0].X), math.Max(hi, c[len(c)-1].X)
		}
	}
	if math.IsInf(lo, 0) {
		return nil
	}
	if hi <= lo || size < 2 {
		var s, n float64
		for _, c := range curves {
			for _, p := range c {
				if !math.IsNaN(p.Y) {
					s, n = s+p.Y, n+1
				}
			}
		}
		return plotter.XYs{{X: lo, Y: s / n}}
	}
	var out plotter.XYs
	for i := range size {
		x := lo + (hi-lo)*float64(i)/float64(size-1)
		var s, n float64
		for _, c := range curves {
			if y, ok := interpolate(c, x); ok {
				s, n = s+y, n+1
			}
		}
		if n > 0 {
			out = append(out, plotter.XY{X: x, Y: s / n})
		}
	}
	return out
}

// interpolate returns the piecewise-linear value of c at x when x lies in
// c's range and the neighbouring values are finite.
func interpolate(c plotter.XYs, x float64) (float64, bool) {
	if len(c) == 0 || x < c[0].X || x > c[len(c)-1].X {
		return 0, false
	}
	for i := 1; i < len(c); i++ {
		if x <= c[i].X {
			a, b := c[i-1], c[i]
			if b.X == a.X {
				return b.Y, !math.IsNaN(b.Y)
			}
			y := a.Y + (b.Y-a.Y)*(x-a.X)/(b.X-a.X)
			return y, !math.IsNaN(y)
		}
	}
	y := c[len(c)-1].Y
	return y, !math.IsNaN(y)
}

// histPanel is one panel of a histogram figure: the values of one variant.
type histPanel struct {
	Name   string    // variant, for the colour and the title
	Label  string    // the title and legend label; "" uses the variant's figure label
	Values []float64 // the values histogrammed (energies or distances)
	Note   string    // appended to the panel title, e.g. the batch's E-W2
	Unit   string    // what a value is, for the count of values outside the range ("samples", "distances")
}

// histDensity returns the density histogram of values over bins equal bins
// spanning [lo, hi] (sim.Histogram's bins) as the points of a post-step
// line, normalized by the number of all values, so that mass outside the
// range (and non-finite values) shows as a deficit, and the number of
// values outside the range.
func histDensity(values []float64, lo, hi float64, bins int) (plotter.XYs, int) {
	h := make([]float64, bins)
	counted := sim.Histogram(h, values, lo, hi)
	width := (hi - lo) / float64(bins)
	scale := 0.0
	if len(values) > 0 {
		scale = float64(counted) / (float64(len(values)) * width)
	}
	xy := make(plotter.XYs, bins+1)
	for k, v := range h {
		xy[k] = plotter.XY{X: lo + float64(k)*width, Y: v * scale}
	}
	xy[bins] = plotter.XY{X: hi, Y: xy[bins-1].Y}
	return xy, len(values) - counted
}

// histogramFigure writes a grid of panels, one per variant: the density
// histogram of the panel's values (a coloured step line) over that of the
// reference values (grey, filled), on bins equal bins over [lo, hi] shared
// by every panel and one y range. A panel's title counts its values outside
// the range. ref may be nil (a target without reference data).
func histogramFigure(path, title, xlabel string, ref []float64, refLabel string, panels []histPanel, lo, hi float64, bins int) error {
	if len(panels) == 0 {
		return fmt.Errorf("histogram figure: no panels")
	}
	if !(lo < hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) || bins < 1 {
		return fmt.Errorf("histogram figure %s: range [%v, %v] with %d bins", path, lo, hi, bins)
	}
	var refXY plotter.XYs
	yMax := 0.0
	if len(ref) > 0 {
		refXY, _ = histDensity(ref, lo, hi, bins)
		for _, v := range refXY {
			yMax = math.Max(yMax, v.Y)
		}
	}
	curves := make([]plotter.XYs, len(panels))
	outside := make([]int, len(panels))
	panelMax := 0.0
	for i, pan := range panels {
		curves[i], outside[i] = histDensity(pan.Values, lo, hi, bins)
		for _, v := range curves[i] {
			panelMax = math.Max(panelMax, v.Y)
		}
	}
	// One y range for every panel; a variant's spike may be cut at twice the
	// reference's peak rather than flatten every other panel.
	if yMax > 0 {
		yMax = math.Max(yMax, math.Min(panelMax, 2*yMax))
	} else {
		yMax = panelMax
	}
	if !(yMax > 0) {
		yMax = 1
	}
	cols := min(len(panels), 3)
	rows := (len(panels) + cols - 1) / cols
	plots := make([][]*plot.Plot, rows)
	for r := range plots {
		plots[r] = make([]*plot.Plot, cols)
	}
	for i, pan := range panels {
		p := plot.New()
		label := pan.Label
		if label == "" {
			label = figureLabel(pan.Name)
		}
		p.Title.Text = label
		if pan.Note != "" {
			p.Title.Text += ": " + pan.Note
		}
		if outside[i] > 0 {
			unit := pan.Unit
			if unit == "" {
				unit = "values"
			}
			p.Title.Text += fmt.Sprintf("\n%d of %d %s outside the range", outside[i], len(pan.Values), unit)
		}
		p.Title.TextStyle.Font.Size = vg.Points(11)
		p.X.Label.Text, p.Y.Label.Text = xlabel, "density"
		grid := plotter.NewGrid()
		grid.Vertical.Color, grid.Horizontal.Color = color.Gray{0xe0}, color.Gray{0xe0}
		p.Add(grid)
		p.Legend.Top = true
		p.Legend.TextStyle.Font.Size = vg.Points(9)
		if refXY != nil {
			l, err := plotter.NewLine(refXY)
			if err != nil {
				return fmt.Errorf("figure %s: %w", path, err)
			}
			l.StepStyle = plotter.PostStep
			l.FillColor = color.Gray{0xc8}
			l.Color, l.Width = color.Gray{0x90}, vg.Points(0.6)
			p.Add(l)
			p.Legend.Add(refLabel, l)
		}
		l, err := plotter.NewLine(curves[i])
		if err != nil {
			return fmt.Errorf("figure %s: %w", path, err)
		}
		l.StepStyle = plotter.PostStep
		l.Color, l.Width = seriesColor(pan.Name, i), vg.Points(1.4)
		p.Add(l)
		p.Legend.Add(label, l)
		p.X.Min, p.X.Max = lo, hi
		p.Y.Min, p.Y.Max = 0, yMax*1.25 // room for the legend
		plots[i/cols][i%cols] = p
	}
	width, height := 420.0*float64(cols)+40, 330.0*float64(rows)+50
	return writeGrid(path, width, height, 14, title, plots)
}

// histRange returns the range a histogram figure spans: the reference's
// [min, max] widened by padLo and padHi times its span, or without a
// reference the 1st to 99th percentile of the pooled panel values, widened
// the same way; ok is false when there are no finite values.
func histRange(ref []float64, panels []histPanel, padLo, padHi float64) (lo, hi float64, ok bool) {
	var v []float64
	if len(ref) > 0 {
		v = finiteValues(ref)
	} else {
		for _, p := range panels {
			v = append(v, finiteValues(p.Values)...)
		}
	}
	if len(v) == 0 {
		return 0, 0, false
	}
	slices.Sort(v)
	lo, hi = v[0], v[len(v)-1]
	if len(ref) == 0 {
		lo, hi = v[len(v)/100], v[(len(v)-1)*99/100]
	}
	span := hi - lo
	if !(span > 0) {
		span = math.Max(math.Abs(lo), 1)
	}
	return lo - padLo*span, hi + padHi*span, true
}

// finiteValues returns the finite entries of v.
func finiteValues(v []float64) []float64 {
	out := make([]float64, 0, len(v))
	for _, x := range v {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			out = append(out, x)
		}
	}
	return out
}
