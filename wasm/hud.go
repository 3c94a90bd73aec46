package main

import (
	"bytes"
	"fmt"
	"image/color"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/text/v2"
	"github.com/hajimehoshi/ebiten/v2/vector"
	"golang.org/x/image/font/gofont/goregular"
)

// hud draws the text panel: what is on screen and the live figures.
type hud struct {
	src *text.GoTextFaceSource
}

func newHUD() (*hud, error) {
	src, err := text.NewGoTextFaceSource(bytes.NewReader(goregular.TTF))
	if err != nil {
		return nil, fmt.Errorf("loading the panel font: %w", err)
	}
	return &hud{src: src}, nil
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
		face := &text.GoTextFace{Source: h.src, Size: l.size * scale}
		op := &text.DrawOptions{}
		op.GeoM.Translate(x+pad, cy)
		op.ColorScale.ScaleWithColor(l.clr)
		text.Draw(dst, l.text, face, op)
		cy += l.size * 1.45 * scale
	}
}
