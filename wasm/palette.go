package main

import (
	"image/color"
	"math"
)

// rgb is a colour with components in [0, 1].
type rgb [3]float32

// palette holds the colour of every mode, computed once per target.
type palette struct{ modes []rgb }

// newPalette returns colours for k modes: hues spread by the golden ratio
// so that neighbouring indices differ, bright enough to read over the
// heatmap.
func newPalette(k int) *palette {
	p := &palette{modes: make([]rgb, k)}
	for i := range p.modes {
		p.modes[i] = hsv(math.Mod(float64(i)*0.6180339887498949+0.12, 1), 0.62, 1)
	}
	return p
}

// mode returns the colour of mode k; k < 0 (no predicted mode yet) is a
// pale grey.
func (p *palette) mode(k int) rgb {
	if k < 0 || k >= len(p.modes) {
		return rgb{0.85, 0.87, 0.9}
	}
	return p.modes[k]
}

// hsv converts hue, saturation and value in [0, 1] to RGB.
func hsv(h, s, v float64) rgb {
	i := math.Floor(h * 6)
	f := h*6 - i
	p, q, t := v*(1-s), v*(1-f*s), v*(1-(1-f)*s)
	var r, g, b float64
	switch int(i) % 6 {
	case 0:
		r, g, b = v, t, p
	case 1:
		r, g, b = q, v, p
	case 2:
		r, g, b = p, v, t
	case 3:
		r, g, b = p, q, v
	case 4:
		r, g, b = t, p, v
	default:
		r, g, b = v, p, q
	}
	return rgb{float32(r), float32(g), float32(b)}
}

// Fixed colours of the interface.
var (
	background   = color.RGBA{0x0b, 0x0e, 0x17, 0xff}
	bufferColor  = rgb{0.95, 0.95, 0.98}
	proposalCol  = rgb{0.55, 0.85, 1.0}
	weightColor  = rgb{1.0, 0.82, 0.35}
	fieldLearned = rgb{1.0, 0.95, 0.7}
	fieldExact   = rgb{0.45, 0.75, 1.0}
)

// densityStops is the heatmap's colour ramp from zero density to the peak:
// the app's background, deep blue, violet, warm sand.
var densityStops = [][3]float64{
	{0x0b, 0x0e, 0x17},
	{0x16, 0x23, 0x4a},
	{0x3b, 0x2f, 0x6e},
	{0x7a, 0x4a, 0x7e},
	{0xc9, 0x8b, 0x6f},
}

// densityColor maps v ∈ [0, 1] to the heatmap ramp.
func densityColor(v float64) color.RGBA {
	v = math.Min(math.Max(v, 0), 1) * float64(len(densityStops)-1)
	i := min(int(v), len(densityStops)-2)
	f := v - float64(i)
	a, b := densityStops[i], densityStops[i+1]
	return color.RGBA{
		uint8(a[0] + f*(b[0]-a[0])),
		uint8(a[1] + f*(b[1]-a[1])),
		uint8(a[2] + f*(b[2]-a[2])),
		0xff,
	}
}

// nrgba converts a colour and an alpha in [0, 1] to a non-premultiplied colour.
func nrgba(c rgb, a float32) color.NRGBA {
	return color.NRGBA{uint8(255 * c[0]), uint8(255 * c[1]), uint8(255 * c[2]), uint8(255 * a)}
}
