package main

import (
	"image"
	"math"

	"github.com/hajimehoshi/ebiten/v2"

	"iwsm/wasm/live"
)

// maxQuads is the largest number of quads one DrawTriangles call takes: its
// indices are uint16 (TOOLCHAIN.md).
const maxQuads = 16383

// batcher draws many small quads (particles, trail segments, layer points,
// arrows) in as few DrawTriangles calls as their count allows.
type batcher struct {
	white *ebiten.Image // a 1×1 white texel coloured by the vertices
	verts []ebiten.Vertex
	idx   []uint16
	op    ebiten.DrawTrianglesOptions
	dst   *ebiten.Image
}

func newBatcher() *batcher {
	img := ebiten.NewImage(3, 3)
	img.Fill(image.White)
	b := &batcher{white: img.SubImage(image.Rect(1, 1, 2, 2)).(*ebiten.Image)}
	b.verts = make([]ebiten.Vertex, 0, 4*maxQuads)
	b.idx = make([]uint16, 0, 6*maxQuads)
	b.op.ColorScaleMode = ebiten.ColorScaleModePremultipliedAlpha
	return b
}

// begin directs the following quads to dst (clipped to its bounds).
func (b *batcher) begin(dst *ebiten.Image) {
	b.flush()
	b.dst = dst
}

// quad appends a quadrilateral with corners a, b, c, d (in order) of one
// colour with alpha a (straight, not premultiplied).
func (b *batcher) quad(ax, ay, bx, by, cx, cy, dx, dy float32, c rgb, alpha float32) {
	b.quad4(ax, ay, bx, by, cx, cy, dx, dy, c, [4]float32{alpha, alpha, alpha, alpha})
}

// quad4 is quad with an alpha per corner, blended across the quad.
func (b *batcher) quad4(ax, ay, bx, by, cx, cy, dx, dy float32, c rgb, alpha [4]float32) {
	if len(b.verts) >= 4*maxQuads {
		b.flush()
	}
	base := uint16(len(b.verts))
	for i, v := range [4][2]float32{{ax, ay}, {bx, by}, {cx, cy}, {dx, dy}} {
		a := alpha[i]
		b.verts = append(b.verts, ebiten.Vertex{DstX: v[0], DstY: v[1], SrcX: 1, SrcY: 1,
			ColorR: c[0] * a, ColorG: c[1] * a, ColorB: c[2] * a, ColorA: a})
	}
	b.idx = append(b.idx, base, base+1, base+2, base, base+2, base+3)
}

// dot appends a square of half-size s centred at (x, y).
func (b *batcher) dot(x, y, s float32, c rgb, alpha float32) {
	b.quad(x-s, y-s, x+s, y-s, x+s, y+s, x-s, y+s, c, alpha)
}

// discSides is the number of sides of the polygon that draws a disc.
const discSides = 16

// discUnit holds the unit circle's points at the polygon's corners.
var discUnit = func() (u [discSides][2]float32) {
	for k := range u {
		a := 2 * math.Pi * float64(k) / discSides
		u[k] = [2]float32{float32(math.Cos(a)), float32(math.Sin(a))}
	}
	return u
}()

// disc appends a filled disc of radius r centred at (x, y): a 16-gon drawn as
// a fan of quads, each the centre and three consecutive corners.
func (b *batcher) disc(x, y, r float32, c rgb, alpha float32) {
	for k := 0; k < discSides; k += 2 {
		p1, p2, p3 := discUnit[k], discUnit[(k+1)%discSides], discUnit[(k+2)%discSides]
		b.quad(x, y, x+r*p1[0], y+r*p1[1], x+r*p2[0], y+r*p2[1], x+r*p3[0], y+r*p3[1], c, alpha)
	}
}

// segment appends a line from (x0, y0) to (x1, y1) of half-width w.
func (b *batcher) segment(x0, y0, x1, y1, w float32, c rgb, alpha float32) {
	nx, ny := y0-y1, x1-x0
	l := nx*nx + ny*ny
	if l < 1e-6 {
		return
	}
	s := w / float32(math.Sqrt(float64(l)))
	nx, ny = nx*s, ny*s
	b.quad(x0+nx, y0+ny, x1+nx, y1+ny, x1-nx, y1-ny, x0-nx, y0-ny, c, alpha)
}

// flush draws the pending quads.
func (b *batcher) flush() {
	if len(b.verts) > 0 && b.dst != nil {
		b.dst.DrawTriangles(b.verts, b.idx, b.white, &b.op)
	}
	b.verts, b.idx = b.verts[:0], b.idx[:0]
}

// drawParticles renders every particle as a dot with a comet tail: one
// quad from its oldest kept position to the current one, fading towards the
// tail, coloured by its predicted mode. One quad per tail (not one per step
// of the trail) keeps the drawing cheap enough for software WebGL; tails
// that jump across the plot (the early, noise-dominated steps) fade out.
func drawParticles(b *batcher, snap *live.Snapshot, v viewport, scale float64, pal *palette) {
	n, d := snap.Particles, snap.Dim
	if len(snap.Trail) == 0 || d != 2 {
		return
	}
	half := float32(0.7 * scale)
	long := float32(60 * scale) // tails longer than this fade out
	old, cur := snap.Trail[0], snap.Trail[len(snap.Trail)-1]
	if len(snap.Trail) > 1 {
		for i := range n {
			x0, y0 := v.toScreen(float64(old[i*d]), float64(old[i*d+1]))
			x1, y1 := v.toScreen(float64(cur[i*d]), float64(cur[i*d+1]))
			dx, dy := x1-x0, y1-y0
			l2 := dx*dx + dy*dy
			if l2 < 1 {
				continue
			}
			a := float32(0.5)
			if l2 > long*long {
				a *= long * long / l2
			}
			if a < 0.02 {
				continue
			}
			s := half / float32(math.Sqrt(float64(l2)))
			nx, ny := -dy*s, dx*s
			b.quad4(x0+nx, y0+ny, x1+nx, y1+ny, x1-nx, y1-ny, x0-nx, y0-ny, pal.mode(int(snap.Mode[i])), [4]float32{0, a, a, 0})
		}
	}
	s := float32(1.4 * scale)
	for i := range n {
		x, y := v.toScreen(float64(cur[i*d]), float64(cur[i*d+1]))
		b.dot(x, y, s, pal.mode(int(snap.Mode[i])), 0.95)
	}
}

// drawPoints renders 2-D points as small squares of one colour; sizes, when
// not nil, scale each square's area.
func drawPoints(b *batcher, pts []float32, sizes []float32, v viewport, scale float64, c rgb, alpha float32) {
	base := float32(1.2 * scale)
	for i := 0; i+1 < len(pts); i += 2 {
		s := base
		if sizes != nil {
			s = base * float32(math.Sqrt(float64(min(max(sizes[i/2], 0), 25))))
			if s < 0.3 {
				continue
			}
		}
		x, y := v.toScreen(float64(pts[i]), float64(pts[i+1]))
		b.dot(x, y, s, c, alpha)
	}
}

// drawField renders the score field: at every grid point an arrow for the
// learned score and, when known, a fainter one for the exact score, both
// with lengths scaled so that the longest exact (or learned) arrow spans
// one grid cell.
func drawField(b *batcher, f live.Field, v viewport, scale float64, cells int) {
	n := len(f.Points) / 2
	if n == 0 {
		return
	}
	ref := f.Exact
	if len(ref) == 0 {
		ref = f.Learned
	}
	var maxLen float64
	for i := range n {
		maxLen = math.Max(maxLen, math.Hypot(float64(ref[2*i]), float64(ref[2*i+1])))
	}
	if maxLen == 0 {
		return
	}
	cellPx := v.size / float64(cells)
	k := 0.9 * cellPx / maxLen
	w := float32(0.7 * scale)
	arrow := func(px, py float32, sx, sy float32, c rgb, alpha float32) {
		// y is up in the box and down on screen.
		ex, ey := px+float32(k)*sx, py-float32(k)*sy
		b.segment(px, py, ex, ey, w, c, alpha)
		b.dot(ex, ey, 1.3*w, c, alpha)
	}
	for i := range n {
		px, py := v.toScreen(float64(f.Points[2*i]), float64(f.Points[2*i+1]))
		if len(f.Exact) > 0 {
			arrow(px, py, f.Exact[2*i], f.Exact[2*i+1], fieldExact, 0.55)
		}
		arrow(px, py, f.Learned[2*i], f.Learned[2*i+1], fieldLearned, 0.9)
	}
}
