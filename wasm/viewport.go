package main

import "image"

// viewport maps the target's box [lo, hi] onto a square of the screen, y up.
type viewport struct {
	x0, y0, size float64 // screen position and side of the square, in device pixels
	lo, hi       [2]float64
}

// fit returns the largest square viewport with the given margin inside a
// w×h rectangle at (left, top), centred horizontally and at the top.
func fit(left, top, w, h, margin float64, lo, hi []float64) viewport {
	size := min(w, h) - 2*margin
	return viewport{
		x0:   left + (w-size)/2,
		y0:   top + margin,
		size: size,
		lo:   [2]float64{lo[0], lo[1]},
		hi:   [2]float64{hi[0], hi[1]},
	}
}

// toScreen maps a point of the box to screen coordinates.
func (v viewport) toScreen(x, y float64) (float32, float32) {
	sx := v.x0 + (x-v.lo[0])/(v.hi[0]-v.lo[0])*v.size
	sy := v.y0 + (v.hi[1]-y)/(v.hi[1]-v.lo[1])*v.size
	return float32(sx), float32(sy)
}

// rect returns the viewport's square as an image rectangle.
func (v viewport) rect() image.Rectangle {
	return image.Rect(int(v.x0), int(v.y0), int(v.x0+v.size), int(v.y0+v.size))
}
