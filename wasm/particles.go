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

// particleLayer draws particles and their fading trails as batched quads.
type particleLayer struct {
	white *ebiten.Image // a 1×1 white texel to colour with vertex colours
	verts []ebiten.Vertex
	idx   []uint16
	op    ebiten.DrawTrianglesOptions
}

func newParticleLayer() *particleLayer {
	img := ebiten.NewImage(3, 3)
	img.Fill(image.White)
	p := &particleLayer{white: img.SubImage(image.Rect(1, 1, 2, 2)).(*ebiten.Image)}
	p.verts = make([]ebiten.Vertex, 0, 4*maxQuads)
	p.idx = make([]uint16, 0, 6*maxQuads)
	p.op.ColorScaleMode = ebiten.ColorScaleModePremultipliedAlpha
	return p
}

// quad appends a quadrilateral with corners a, b, c, d (in order) of one
// premultiplied colour, flushing to dst when the batch is full.
func (p *particleLayer) quad(dst *ebiten.Image, ax, ay, bx, by, cx, cy, dx, dy, r, g, b, a float32) {
	if len(p.verts) >= 4*maxQuads {
		p.flush(dst)
	}
	base := uint16(len(p.verts))
	for _, v := range [4][2]float32{{ax, ay}, {bx, by}, {cx, cy}, {dx, dy}} {
		p.verts = append(p.verts, ebiten.Vertex{DstX: v[0], DstY: v[1], SrcX: 1, SrcY: 1,
			ColorR: r * a, ColorG: g * a, ColorB: b * a, ColorA: a})
	}
	p.idx = append(p.idx, base, base+1, base+2, base, base+2, base+3)
}

// flush draws the pending quads.
func (p *particleLayer) flush(dst *ebiten.Image) {
	if len(p.verts) > 0 {
		dst.DrawTriangles(p.verts, p.idx, p.white, &p.op)
	}
	p.verts, p.idx = p.verts[:0], p.idx[:0]
}

// draw renders every particle's trail (older segments fainter) and its
// current position, coloured by its predicted mode, clipped to the viewport.
func (p *particleLayer) draw(screen *ebiten.Image, snap *live.Snapshot, v viewport, scale float64) {
	dst := screen.SubImage(v.rect()).(*ebiten.Image)
	n, d := snap.Particles, snap.Dim
	if len(snap.Trail) == 0 || d != 2 {
		return
	}
	half := float32(0.55 * scale) // trail half-width
	cur := snap.Trail[len(snap.Trail)-1]
	for k := 1; k < len(snap.Trail); k++ {
		a := float32(k) / float32(len(snap.Trail)) * 0.55
		prev, next := snap.Trail[k-1], snap.Trail[k]
		for i := range n {
			r, g, b := modeColor(int(snap.Mode[i]))
			x0, y0 := v.toScreen(float64(prev[i*d]), float64(prev[i*d+1]))
			x1, y1 := v.toScreen(float64(next[i*d]), float64(next[i*d+1]))
			nx, ny := y0-y1, x1-x0 // normal of the segment
			l := nx*nx + ny*ny
			if l < 1e-6 {
				continue
			}
			s := half / float32(math.Sqrt(float64(l)))
			nx, ny = nx*s, ny*s
			p.quad(dst, x0+nx, y0+ny, x1+nx, y1+ny, x1-nx, y1-ny, x0-nx, y0-ny, r, g, b, a)
		}
	}
	dot := float32(1.4 * scale)
	for i := range n {
		r, g, b := modeColor(int(snap.Mode[i]))
		x, y := v.toScreen(float64(cur[i*d]), float64(cur[i*d+1]))
		p.quad(dst, x-dot, y-dot, x+dot, y-dot, x+dot, y+dot, x-dot, y+dot, r, g, b, 0.95)
	}
	p.flush(dst)
}
