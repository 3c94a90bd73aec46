package main

import (
	"fmt"
	"image"
	"math"
	"strconv"

	"iwsm/wasm/live"
)

// widget is one control of the panel, laid out anew every frame.
type widget struct {
	rect   image.Rectangle
	label  string // the setting's name (steppers) or the button's text
	value  string // the current value (steppers)
	on     bool   // toggles: pressed in
	toggle bool
	action func() // buttons and toggles
	prev   func() // steppers
	next   func()
	key    string // keyboard shortcut shown as a hint
}

// hit reports which part of a widget a point falls on: −1 the left arrow,
// +1 the right arrow, 0 the body; ok is false outside.
func (w *widget) hit(p image.Point) (part int, ok bool) {
	if !p.In(w.rect) {
		return 0, false
	}
	if w.prev != nil {
		third := w.rect.Dx() / 5
		switch {
		case p.X < w.rect.Min.X+third:
			return -1, true
		case p.X >= w.rect.Max.X-third:
			return 1, true
		}
	}
	return 0, true
}

// press applies a click on a part of the widget.
func (w *widget) press(part int) {
	switch {
	case w.prev != nil && part < 0:
		w.prev()
	case w.next != nil && part >= 0:
		w.next()
	case w.action != nil:
		w.action()
	}
}

// choices are the values a stepper cycles through.
type choices[T comparable] struct {
	values []T
	format func(T) string
}

// step returns the value after (dir = +1) or before (dir = −1) cur, clamped
// to the ends; a cur not in the list moves to the nearest listed neighbour.
func (c choices[T]) step(cur T, dir int, less func(a, b T) bool) T {
	i := -1
	for k, v := range c.values {
		if v == cur {
			i = k
		}
	}
	if i < 0 {
		// Not listed (e.g. set from the URL): find where it would sit.
		i = 0
		for k, v := range c.values {
			if less(v, cur) {
				i = k
			}
		}
		if dir < 0 {
			return c.values[i]
		}
		if less(c.values[i], cur) {
			i++
		}
		return c.values[min(i, len(c.values)-1)]
	}
	return c.values[min(max(i+dir, 0), len(c.values)-1)]
}

func lessInt(a, b int) bool           { return a < b }
func lessFloat(a, b float64) bool     { return a < b }
func fmtInt(v int) string             { return strconv.Itoa(v) }
func fmtFloat(v float64) string       { return strconv.FormatFloat(v, 'g', 3, 64) }
func fmtSpeed(v float64) string       { return fmtFloat(v) + "×" }
func fmtShare(v float64) string       { return fmt.Sprintf("%.0f %%", 100*v) }
func lessString(a, b string) bool     { return a < b }
func fmtString(s string) string       { return s }
func roundTo(v, unit float64) float64 { return math.Round(v/unit) * unit }

// The values of the steppers.
var (
	targetChoices    = choices[string]{[]string{"gmm40", "gmm80", "gmm120", "rings", "manywell", "uneven", "dw4", "lj13"}, fmtString}
	particleChoices  = choices[int]{[]int{500, 1000, 2000, 4000, 8000, 12000, 20000}, fmtInt}
	speedChoices     = choices[float64]{[]float64{0.25, 0.5, 1, 2, 4, 8}, fmtSpeed}
	kChoices         = choices[int]{[]int{4, 10, 20, 50, 100, 200, 500}, fmtInt}
	lrChoices        = choices[float64]{[]float64{5e-4, 1e-3, 2e-3, 5e-3, 1e-2}, fmtFloat}
	batchChoices     = choices[int]{[]int{64, 128, 256, 512, 1024, 2048}, fmtInt}
	bufferChoices    = choices[int]{[]int{1000, 2000, 4000, 10000, 20000}, fmtInt}
	defensiveChoices = choices[float64]{[]float64{0, 0.05, 0.1, 0.2, 0.3, 0.5}, fmtShare}
	stepsChoices     = choices[int]{[]int{30, 50, 100, 200, 500, 1000}, fmtInt}
)

// layouts are the pane arrangements the "panes" stepper cycles through.
var layouts = [][2]string{
	{"iwsm", ""}, {"iwsm", "idem"}, {"iwsm", "oracle"}, {"iwsm-nodef", "idem-nodef"},
	{"iwsm", "iwsm-nodef"}, {"idem", ""}, {"oracle", ""},
}

// layoutName names a pane arrangement for the panel.
func layoutName(method, compare string) string {
	if compare == "" {
		return variantName(method)
	}
	return variantName(method) + " | " + variantName(compare)
}

// variantName is a variant as the visitor reads it.
func variantName(v string) string {
	switch v {
	case "iwsm":
		return "IW-SM"
	case "idem":
		return "iDEM"
	case "iwsm-nodef":
		return "IW-SM, no defensive"
	case "idem-nodef":
		return "iDEM, no defensive"
	case "oracle":
		return "oracle (exact score)"
	}
	return v
}

// stepLayout moves to the next or previous pane arrangement.
func stepLayout(st live.State, dir int) live.State {
	i := 0
	for k, l := range layouts {
		if l[0] == st.Method && l[1] == st.Compare {
			i = k
		}
	}
	for range layouts {
		i = (i + dir + len(layouts)) % len(layouts)
		l := layouts[i]
		if (l[0] == "oracle" || l[1] == "oracle") && !live.IsMixtureTarget(st.Target) {
			continue
		}
		st.Method, st.Compare = l[0], l[1]
		break
	}
	return st
}

// controls lays out the panel's widgets in a column starting at (x, y) of
// width w, returning them and the height used.
func (g *Game) controls(x, y, w, rowH int) ([]*widget, int) {
	st := g.state
	var ws []*widget
	row := func(wd *widget) {
		wd.rect = image.Rect(x, y, x+w, y+rowH-3)
		ws = append(ws, wd)
		y += rowH
	}
	pair := func(a, b *widget) {
		half := (w - 4) / 2
		a.rect = image.Rect(x, y, x+half, y+rowH-3)
		b.rect = image.Rect(x+w-half, y, x+w, y+rowH-3)
		ws = append(ws, a, b)
		y += rowH
	}
	set := func(f func(s *live.State)) func() {
		return func() {
			s := g.state
			f(&s)
			g.setState(s)
		}
	}
	intStepper := func(label string, c choices[int], p func(*live.State) *int, key string) *widget {
		return &widget{label: label, value: c.format(*p(&st)), key: key,
			prev: set(func(s *live.State) { *p(s) = c.step(*p(s), -1, lessInt) }),
			next: set(func(s *live.State) { *p(s) = c.step(*p(s), 1, lessInt) })}
	}
	floatStepper := func(label string, c choices[float64], p func(*live.State) *float64, key string) *widget {
		return &widget{label: label, value: c.format(*p(&st)), key: key,
			prev: set(func(s *live.State) { *p(s) = c.step(*p(s), -1, lessFloat) }),
			next: set(func(s *live.State) { *p(s) = c.step(*p(s), 1, lessFloat) })}
	}
	targetName := st.Target
	if len(st.Modes) > 0 {
		targetName += " (edited)"
	}
	row(&widget{label: "target", value: targetName, key: "T",
		prev: set(func(s *live.State) { *s = s.WithTarget(targetChoices.step(s.Target, -1, lessString)) }),
		next: set(func(s *live.State) { *s = s.WithTarget(targetChoices.step(s.Target, 1, lessString)) })})
	row(&widget{label: "panes", value: layoutName(st.Method, st.Compare), key: "C",
		prev: set(func(s *live.State) { *s = stepLayout(*s, -1) }),
		next: set(func(s *live.State) { *s = stepLayout(*s, 1) })})
	run := "pause"
	if g.paused {
		run = "play"
	}
	pair(&widget{label: run, action: g.togglePause, key: "space"},
		&widget{label: "reset", action: g.reset, key: "R"})
	pair(&widget{label: "train step", action: g.trainStep, key: "S"},
		&widget{label: "SDE step", action: g.sdeStep, key: "D"})
	row(&widget{label: "seed", value: strconv.FormatUint(st.Seed, 10),
		prev: set(func(s *live.State) {
			if s.Seed > 0 {
				s.Seed--
			}
		}),
		next: set(func(s *live.State) { s.Seed++ })})
	particles := len(g.panes) > 0 && g.panes[0].view.IsParticleSystem()
	if !particles { // a particle system animates a fixed number of configurations
		row(intStepper("particles", particleChoices, func(s *live.State) *int { return &s.Particles }, ""))
	}
	row(floatStepper("speed", speedChoices, func(s *live.State) *float64 { return &s.Speed }, "+/−"))
	row(intStepper("SDE steps", stepsChoices, func(s *live.State) *int { return &s.Steps }, ""))
	row(intStepper("K (MC samples)", kChoices, func(s *live.State) *int { return &s.K }, ""))
	row(floatStepper("learning rate", lrChoices, func(s *live.State) *float64 { return &s.LR }, ""))
	row(intStepper("batch", batchChoices, func(s *live.State) *int { return &s.Batch }, ""))
	row(intStepper("buffer", bufferChoices, func(s *live.State) *int { return &s.Buffer }, ""))
	row(floatStepper("defensive", defensiveChoices, func(s *live.State) *float64 { return &s.Defensive }, ""))
	pre := &widget{label: "pretrained start", toggle: true, on: st.Pretrained,
		action: set(func(s *live.State) { s.Pretrained = !s.Pretrained })}
	row(pre)
	if particles { // MALA on the energy at t = 0: a corrector, not part of either method
		row(&widget{label: "MALA corrector", toggle: true, on: st.Corrector, key: "M",
			action: set(func(s *live.State) { s.Corrector = !s.Corrector })})
	}
	layer := func(label, key string, p func(*live.Layers) *bool) *widget {
		return &widget{label: label, toggle: true, on: *p(&st.Layers), key: key,
			action: set(func(s *live.State) { *p(&s.Layers) = !*p(&s.Layers) })}
	}
	if !particles { // the layers are drawn over a 2-D plot only
		pair(layer("buffer", "B", func(l *live.Layers) *bool { return &l.Buffer }),
			layer("proposal", "P", func(l *live.Layers) *bool { return &l.Proposal }))
		pair(layer("weights", "W", func(l *live.Layers) *bool { return &l.Weights }),
			layer("score field", "F", func(l *live.Layers) *bool { return &l.Field }))
	}
	pair(&widget{label: "copy link", action: g.copyLink, key: "L"},
		&widget{label: "classroom", action: set(func(s *live.State) { s.Classroom = true }), key: "H"})
	third := (w - 8) / 3
	for i, b := range []*widget{
		{label: "PNG", action: g.exportPNG, key: "X"},
		{label: "CSV", action: g.exportCSV},
		{label: "ckpt", action: g.exportCheckpoint},
	} {
		b.rect = image.Rect(x+i*(third+4), y, x+i*(third+4)+third, y+rowH-3)
		ws = append(ws, b)
	}
	y += rowH
	return ws, y
}
