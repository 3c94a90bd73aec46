package main

import (
	"image/color"
	"math"
)

// modeColor returns the colour of mode k: hues spread by the golden ratio so
// that neighbouring indices differ, bright enough to read over the heatmap.
// k < 0 (no predicted mode yet) is a pale grey.
func modeColor(k int) (r, g, b float32) {
	if k < 0 {
		return 0.85, 0.87, 0.9
	}
	h := math.Mod(float64(k)*0.6180339887498949+0.12, 1)
	return hsv(h, 0.62, 1)
}

// hsv converts hue, saturation and value in [0, 1] to RGB.
func hsv(h, s, v float64) (r, g, b float32) {
	i := math.Floor(h * 6)
	f := h*6 - i
	p, q, t := v*(1-s), v*(1-f*s), v*(1-(1-f)*s)
	var rr, gg, bb float64
	switch int(i) % 6 {
	case 0:
		rr, gg, bb = v, t, p
	case 1:
		rr, gg, bb = q, v, p
	case 2:
		rr, gg, bb = p, v, t
	case 3:
		rr, gg, bb = p, q, v
	case 4:
		rr, gg, bb = t, p, v
	default:
		rr, gg, bb = v, p, q
	}
	return float32(rr), float32(gg), float32(bb)
}

// background is the colour behind everything.
var background = color.RGBA{0x0b, 0x0e, 0x17, 0xff}

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

// colorRGBA converts float components in [0, 1] to a non-premultiplied colour.
func colorRGBA(r, g, b, a float32) color.NRGBA {
	return color.NRGBA{uint8(255 * r), uint8(255 * g), uint8(255 * b), uint8(255 * a)}
}
