package main

import (
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"time"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/inpututil"
	"github.com/hajimehoshi/ebiten/v2/vector"

	"iwsm/wasm/live"
)

// simBudget is the wall time per frame the simulation may use, leaving the
// rest of a 60 Hz frame to drawing and the browser.
const simBudget = 10 * time.Millisecond

// stats are the live figures the page (window.iwsm.stats) and the desktop
// app's stdout publish.
type stats struct {
	Frame     int     `json:"frame"`
	T         float64 `json:"t"`
	Step      int     `json:"step"`
	Steps     int     `json:"steps"`
	Runs      int     `json:"runs"`
	Particles int     `json:"particles"`
	FPS       float64 `json:"fps"`
	Running   bool    `json:"running"`
}

// platform is what differs between the browser and the desktop.
type platform interface {
	// update publishes the figures of a finished frame and the positions of
	// its particles (n×2, owned by the caller); it returns true when the app
	// should quit.
	update(st stats, positions []float32) (quit bool)
	// firstFrame runs once after the first frame is drawn.
	firstFrame()
	// screenshotPath is the PNG file the last frame goes to on quit, or "".
	screenshotPath() string
	// exit runs after the game loop ends.
	exit()
}

// Game is the Ebiten game: it advances the session once per frame within a
// time budget and draws the latest snapshot. It computes no maths itself.
type Game struct {
	session   *live.Session
	snap      live.Snapshot
	heat      *ebiten.Image
	particles *particleLayer
	hud       *hud
	platform  platform
	warnings  []string

	frame         int
	paused        bool
	width, height int     // screen size in device pixels
	scale         float64 // device pixels per point
	drawn         bool    // a frame was drawn since the last Update
	capture       bool    // write the next frame to the screenshot file
	quitting      bool
	err           error
}

func newGame(st live.State, warnings []string, p platform) (*Game, error) {
	s, err := live.NewSession(st, time.Now())
	if err != nil {
		return nil, err
	}
	h, err := newHUD()
	if err != nil {
		return nil, err
	}
	g := &Game{session: s, particles: newParticleLayer(), hud: h, platform: p, warnings: warnings, scale: 1}
	g.heat = newHeatmap(s)
	s.SnapshotInto(&g.snap)
	return g, nil
}

// Update applies input, advances the simulation by one time-boxed slice and
// publishes the figures.
func (g *Game) Update() error {
	if g.err != nil {
		return g.err
	}
	if g.quitting {
		return ebiten.Termination
	}
	if inpututil.IsKeyJustPressed(ebiten.KeySpace) {
		g.paused = !g.paused
	}
	now := time.Now()
	if inpututil.IsKeyJustPressed(ebiten.KeyR) {
		s, err := live.NewSession(g.session.State(), now)
		if err == nil {
			g.session = s
		}
	}
	if !g.paused {
		g.session.Advance(now, simBudget)
	}
	g.session.SnapshotInto(&g.snap)
	g.frame++
	st := stats{Frame: g.frame, T: g.snap.T, Step: g.snap.Step, Steps: g.snap.Steps, Runs: g.snap.Runs,
		Particles: g.snap.Particles, FPS: ebiten.ActualFPS(), Running: !g.paused}
	var cur []float32
	if len(g.snap.Trail) > 0 {
		cur = g.snap.Trail[len(g.snap.Trail)-1]
	}
	if g.platform.update(st, cur) {
		if g.platform.screenshotPath() != "" {
			g.capture = true
		} else {
			g.quitting = true
		}
	}
	return nil
}

// Draw renders the heatmap, trails, particles, mode markers and the panel.
func (g *Game) Draw(screen *ebiten.Image) {
	screen.Fill(background)
	w, h := float64(g.width), float64(g.height)
	panelW := math.Min(300*g.scale, 0.34*w)
	if w < 700*g.scale { // narrow screens: panel on top of the plot
		panelW = 0
	}
	lo, hi := g.session.Bounds()
	v := fit(panelW, 0, w-panelW, h, 16*g.scale, lo, hi)

	op := &ebiten.DrawImageOptions{Filter: ebiten.FilterLinear}
	b := g.heat.Bounds()
	op.GeoM.Scale(v.size/float64(b.Dx()), v.size/float64(b.Dy()))
	op.GeoM.Translate(v.x0, v.y0)
	screen.DrawImage(g.heat, op)
	g.drawModes(screen, v)
	g.particles.draw(screen, &g.snap, v, g.scale)
	g.hud.draw(screen, 0, 0, math.Max(panelW, 280*g.scale), g.scale, g.panelLines())

	if !g.drawn {
		g.drawn = true
		g.platform.firstFrame()
	}
	if g.capture {
		g.capture, g.quitting = false, true
		g.err = writePNG(g.platform.screenshotPath(), screen)
	}
}

// drawModes marks every mode centre with a thin ring in its colour.
func (g *Game) drawModes(screen *ebiten.Image, v viewport) {
	r := float32(3.5 * g.scale)
	for k, m := range g.session.Modes() {
		x, y := v.toScreen(m[0], m[1])
		cr, cg, cb := modeColor(k)
		vector.StrokeCircle(screen, x, y, r, float32(g.scale),
			colorRGBA(cr, cg, cb, 0.8), true)
	}
}

// panelLines is the text of the panel for the current frame.
func (g *Game) panelLines() []line {
	st := g.session.State()
	phase := "denoising"
	if g.snap.Holding {
		phase = "samples at t = 0"
	}
	if g.paused {
		phase = "paused"
	}
	lines := []line{
		{"IW-SM live", hudTitle, 18},
		{"Oracle view: the exact noised score", hudDim, 12},
		{fmt.Sprintf("target %s · seed %d", st.Target, st.Seed), hudText, 13},
		{fmt.Sprintf("t = %.3f   step %d / %d", g.snap.T, g.snap.Step, g.snap.Steps), hudText, 13},
		{fmt.Sprintf("%s · run %d", phase, g.snap.Runs+1), hudText, 13},
		{fmt.Sprintf("%d particles · %.0f fps", g.snap.Particles, ebiten.ActualFPS()), hudText, 13},
		{"space pause · R restart", hudDim, 12},
	}
	for _, w := range g.warnings {
		lines = append(lines, line{w, hudWarn, 11})
	}
	return lines
}

// Layout returns the screen size in device pixels for sharp HiDPI output.
func (g *Game) Layout(outsideWidth, outsideHeight int) (int, int) {
	s := 1.0
	if m := ebiten.Monitor(); m != nil {
		s = m.DeviceScaleFactor()
	}
	g.scale = s
	g.width, g.height = int(float64(outsideWidth)*s), int(float64(outsideHeight)*s)
	return g.width, g.height
}

// writePNG saves the screen's pixels to path.
func writePNG(path string, screen *ebiten.Image) error {
	b := screen.Bounds()
	img := image.NewRGBA(b)
	screen.ReadPixels(img.Pix)
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("screenshot: %w", err)
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("screenshot: %w", err)
	}
	return f.Close()
}
