package main

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/text/v2"
	"github.com/hajimehoshi/ebiten/v2/vector"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
)

// hud draws text, panels and controls.
//
// It rasterizes Go Regular with x/image's opentype package rather than
// Ebiten's shaping engine (text.GoTextFace): plain Latin text needs no
// shaping, and leaving the shaper out makes app.wasm.gz 0.6 MB smaller.
type hud struct {
	font  *sfnt.Font
	faces map[int]*text.GoXFace // by pixel size
	white *ebiten.Image         // a white texel for vector paths
}

func newHUD() (*hud, error) {
	f, err := opentype.Parse(goregular.TTF)
	if err != nil {
		return nil, fmt.Errorf("loading the panel font: %w", err)
	}
	img := ebiten.NewImage(3, 3)
	img.Fill(color.White)
	return &hud{font: f, faces: map[int]*text.GoXFace{}, white: img.SubImage(image.Rect(1, 1, 2, 2)).(*ebiten.Image)}, nil
}

// face returns the font at a pixel size, cached.
func (h *hud) face(px float64) *text.GoXFace {
	size := max(6, int(math.Round(px)))
	if f, ok := h.faces[size]; ok {
		return f
	}
	ff, err := opentype.NewFace(h.font, &opentype.FaceOptions{Size: float64(size), DPI: 72})
	if err != nil {
		panic("wasm: rasterizing the embedded font: " + err.Error()) // the font is embedded: this cannot fail at run time
	}
	f := text.NewGoXFace(ff)
	h.faces[size] = f
	return f
}

// text draws s with its top-left corner at (x, y), px pixels tall.
func (h *hud) text(dst *ebiten.Image, s string, x, y, px float64, clr color.Color) {
	op := &text.DrawOptions{}
	op.GeoM.Translate(math.Round(x), math.Round(y))
	op.ColorScale.ScaleWithColor(clr)
	text.Draw(dst, s, h.face(px), op)
}

// width returns the width of s in pixels at size px.
func (h *hud) width(s string, px float64) float64 {
	return text.Advance(s, h.face(px))
}

// Colours of the panels.
var (
	hudTitle  = color.RGBA{0xf2, 0xf4, 0xf8, 0xff}
	hudText   = color.RGBA{0xc4, 0xcb, 0xd8, 0xff}
	hudDim    = color.RGBA{0x8a, 0x93, 0xa6, 0xff}
	hudWarn   = color.RGBA{0xf0, 0xb4, 0x5a, 0xff}
	hudBad    = color.RGBA{0xf0, 0x6a, 0x5a, 0xff}
	hudPanel  = color.RGBA{0x11, 0x16, 0x24, 0xf0}
	hudButton = color.RGBA{0x1d, 0x24, 0x38, 0xff}
	hudHover  = color.RGBA{0x2a, 0x34, 0x50, 0xff}
	hudOn     = color.RGBA{0x2f, 0x5d, 0x8f, 0xff}
	hudAccent = color.RGBA{0x8c, 0xc8, 0xff, 0xff}
)

// rect fills a rectangle.
func fillRect(dst *ebiten.Image, x, y, w, h float64, c color.Color) {
	vector.DrawFilledRect(dst, float32(x), float32(y), float32(w), float32(h), c, false)
}

// drawWidget renders one control: steppers as "‹ label: value ›", buttons
// and toggles as labelled boxes.
func (h *hud) drawWidget(dst *ebiten.Image, w *widget, hover bool, scale float64) {
	r := w.rect
	bg := color.Color(hudButton)
	if w.toggle && w.on {
		bg = hudOn
	} else if hover {
		bg = hudHover
	}
	fillRect(dst, float64(r.Min.X), float64(r.Min.Y), float64(r.Dx()), float64(r.Dy()), bg)
	px := 12 * scale
	ty := float64(r.Min.Y) + (float64(r.Dy())-px*1.2)/2
	if w.prev != nil {
		h.text(dst, "‹", float64(r.Min.X)+6*scale, ty, px, hudAccent)
		h.text(dst, "›", float64(r.Max.X)-12*scale, ty, px, hudAccent)
		h.text(dst, w.label, float64(r.Min.X)+20*scale, ty, px, hudDim)
		vw := h.width(w.value, px)
		h.text(dst, w.value, float64(r.Max.X)-20*scale-vw, ty, px, hudTitle)
		return
	}
	label := w.label
	if w.toggle {
		if w.on {
			label = "● " + label
		} else {
			label = "○ " + label
		}
	}
	lw := h.width(label, px)
	h.text(dst, label, float64(r.Min.X)+(float64(r.Dx())-lw)/2, ty, px, hudTitle)
}

// pips draws one dot per mode in rows: filled when the mode is covered
// (count ≥ share), hollow otherwise.
func (h *hud) pips(dst *ebiten.Image, counts []int, share float64, pal *palette, x, y, w, scale float64) float64 {
	if len(counts) == 0 {
		return 0
	}
	r := 3.2 * scale
	step := 2*r + 2*scale
	perRow := max(1, int(w/step))
	rows := (len(counts) + perRow - 1) / perRow
	for k, n := range counts {
		cx := x + r + float64(k%perRow)*step
		cy := y + r + float64(k/perRow)*step
		c := pal.mode(k)
		if float64(n) >= share && n > 0 {
			vector.DrawFilledCircle(dst, float32(cx), float32(cy), float32(r), nrgba(c, 1), false)
		} else {
			vector.StrokeCircle(dst, float32(cx), float32(cy), float32(r-0.5*scale), float32(scale), nrgba(c, 0.7), false)
		}
	}
	return float64(rows) * step
}
