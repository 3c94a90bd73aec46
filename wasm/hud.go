package main

import (
	"fmt"
	"image/color"
	"math"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/text/v2"
	"github.com/hajimehoshi/ebiten/v2/vector"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
)

// hud draws the text panel: what is on screen and the live figures.
//
// It rasterizes Go Regular with x/image's opentype package rather than
// Ebiten's shaping engine (text.GoTextFace): plain Latin text needs no
// shaping, and leaving the shaper out makes app.wasm.gz 0.6 MB smaller.
type hud struct {
	font  *sfnt.Font
	faces map[int]*text.GoXFace // by pixel size
}

func newHUD() (*hud, error) {
	f, err := opentype.Parse(goregular.TTF)
	if err != nil {
		return nil, fmt.Errorf("loading the panel font: %w", err)
	}
	return &hud{font: f, faces: map[int]*text.GoXFace{}}, nil
}

// face returns the font at a pixel size, cached.
func (h *hud) face(px float64) *text.GoXFace {
	size := max(6, int(math.Round(px)))
	if f, ok := h.faces[size]; ok {
		return f
	}
	ff, err := opentype.NewFace(h.font, &opentype.FaceOptions{Size: float64(size), DPI: 72, Hinting: 0})
	if err != nil {
		panic("wasm: rasterizing the embedded font: " + err.Error()) // the font is embedded: this cannot fail at run time
	}
	f := text.NewGoXFace(ff)
	h.faces[size] = f
	return f
}

// line is one row of the panel.
type line struct {
	text string
	clr  color.Color
	size float64 // points
}

var (
	hudTitle = color.RGBA{0xf2, 0xf4, 0xf8, 0xff}
	hudText  = color.RGBA{0xc4, 0xcb, 0xd8, 0xff}
	hudDim   = color.RGBA{0x8a, 0x93, 0xa6, 0xff}
	hudWarn  = color.RGBA{0xf0, 0xb4, 0x5a, 0xff}
	hudPanel = color.RGBA{0x11, 0x16, 0x24, 0xe6}
)

// draw renders the lines in a panel at (x, y) in device pixels.
func (h *hud) draw(dst *ebiten.Image, x, y, width, scale float64, lines []line) {
	pad := 12 * scale
	height := pad
	for _, l := range lines {
		height += l.size * 1.45 * scale
	}
	height += pad
	vector.DrawFilledRect(dst, float32(x), float32(y), float32(width), float32(height), hudPanel, false)
	cy := y + pad
	for _, l := range lines {
		op := &text.DrawOptions{}
		op.GeoM.Translate(x+pad, cy)
		op.ColorScale.ScaleWithColor(l.clr)
		text.Draw(dst, l.text, h.face(l.size*scale), op)
		cy += l.size * 1.45 * scale
	}
}
