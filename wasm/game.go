package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/inpututil"
	"github.com/hajimehoshi/ebiten/v2/vector"

	"iwsm/sim"
	"iwsm/targets"
	"iwsm/wasm/live"
)

// simBudget is the wall time per frame the animation's SDE steps may use,
// leaving the rest of a 60 Hz frame to drawing (the training runs elsewhere).
const simBudget = 9 * time.Millisecond

// Adaptive particle count: below lowFPS for lowFPSFor, the count drops by a
// quarter, down to minParticles.
const (
	lowFPS       = 20
	lowFPSFor    = 3 * time.Second
	minParticles = 500
)

// paneStats are the live figures of one pane, published as
// window.iwsm.stats()/panes() in the browser and as JSON lines on the
// desktop. Covered and W2 are −1 until the first quality check.
type paneStats struct {
	Pane      int     `json:"pane"`
	Variant   string  `json:"variant"`
	Frame     int     `json:"frame"`
	T         float64 `json:"t"`
	Runs      int     `json:"runs"`
	Step      int     `json:"step"`
	Seconds   float64 `json:"seconds"`
	FPS       float64 `json:"fps"`
	Particles int     `json:"particles"`
	Loss      float64 `json:"loss"`
	ESS       float64 `json:"ess"`
	Covered   int     `json:"covered"`
	Modes     int     `json:"modes"`
	W2        float64 `json:"w2"`
	MMD       float64 `json:"mmd"`
	EnergyW2  float64 `json:"e_w2"` // particle systems; −1 until known and for other targets
	// Corrected counts the runs whose final samples the MALA corrector
	// relaxed (particle systems with State.Corrector); MALAAcceptance is the
	// last one's acceptance rate, −1 before the first.
	Corrected      int     `json:"corrected"`
	MALAAcceptance float64 `json:"mala_acceptance"`
	Evals          int64   `json:"energy_evals"`
	Running        bool    `json:"running"`
	Error          string  `json:"error,omitempty"`
}

// platform is what differs between the browser and the desktop.
type platform interface {
	// newHost starts the training engine: a Web Worker or a goroutine.
	newHost() live.Host
	// update publishes the figures of a finished frame and the first pane's
	// particle positions (n×2, owned by the caller); it returns true when the
	// app should quit.
	update(panes []paneStats, positions []float32) (quit bool)
	// stateChanged records the settings (the page URL, on the desktop nothing).
	stateChanged(encoded string)
	// pendingState returns settings that arrived from outside (the page's
	// URL fragment changed), if any.
	pendingState() (string, bool)
	// firstFrame runs once after the first frame is drawn.
	firstFrame()
	// save offers a file to the visitor: a download, or a file on disk.
	save(name string, data []byte) (where string, err error)
	// share copies a link to the current settings, or prints it.
	share(encoded string) (string, error)
	// screenshotPath is the PNG file the last frame goes to on quit, or "".
	screenshotPath() string
	// exit runs after the game loop ends.
	exit()
}

// paneUI is one pane on screen: its animation and where it is drawn.
type paneUI struct {
	view  *live.PaneView
	snap  live.Snapshot
	mol   live.Molecules // a particle system's configurations and figures
	plot  viewport
	strip image.Rectangle
}

// Game is the Ebiten game: it applies input and the engine's reports,
// advances the panes' animations within a time budget, and draws the latest
// snapshots. All the maths is in sim and live.
type Game struct {
	state    live.State
	host     live.Host
	platform platform
	target   targets.Target
	heat     *ebiten.Image
	pal      *palette
	panes    []*paneUI
	batch    *batcher
	hud      *hud
	widgets  []*widget

	paused        bool
	help          bool
	panelOpen     bool // on narrow screens the panel is an overlay opened by its button
	frame         int
	width, height int     // screen size in device pixels
	scale         float64 // device pixels per point
	mouse         image.Point
	message       string
	messageUntil  time.Time
	lowSince      time.Time
	drawn         bool
	capture       string // write the next frame to this PNG ("" none; "export" offers it to the visitor)
	quitting      bool
	err           error
}

func newGame(st live.State, warnings []string, p platform) (*Game, error) {
	h, err := newHUD()
	if err != nil {
		return nil, err
	}
	g := &Game{platform: p, hud: h, batch: newBatcher(), scale: 1, state: st}
	g.host = p.newHost()
	if err := g.rebuild(true); err != nil {
		return nil, err
	}
	if len(warnings) > 0 {
		g.say("settings corrected: " + strings.Join(warnings, "; "))
	}
	return g, nil
}

// say shows a message for a few seconds.
func (g *Game) say(msg string) {
	g.message, g.messageUntil = msg, time.Now().Add(6*time.Second)
}

// rebuild makes the panes for the current state; with engine it also resets
// the training engine.
func (g *Game) rebuild(engine bool) error {
	t, err := g.state.BuildTarget()
	if err != nil {
		return err
	}
	// Particle systems are drawn as small multiples; LJ-55 is refused with
	// the other high-dimensional targets: its EGNN costs about twenty times
	// LJ-13's per sample, too slow to train and animate live.
	ps, particles := t.(targets.ParticleSystem)
	if particles {
		if n, _ := ps.Particles(); n > 13 {
			particles = false
		}
	}
	if t.Dim() != 2 && !particles {
		return fmt.Errorf("the app draws 2-D targets; %s has %d dimensions (train it with the iwsm command)", t.Name(), t.Dim())
	}
	now := time.Now()
	var panes []*paneUI
	for i := range g.state.Variants() {
		v, err := live.NewPaneView(g.state, i, t, now)
		if err != nil {
			return err
		}
		panes = append(panes, &paneUI{view: v})
	}
	if g.target == nil || g.target.Name() != t.Name() || engine {
		if particles {
			n, _ := ps.Particles()
			g.heat, g.pal = nil, newPalette(n)
		} else {
			lo, hi := panes[0].view.Bounds()
			g.heat = newHeatmap(t, lo, hi)
			g.pal = newPalette(len(panes[0].view.Modes()))
		}
	}
	g.target, g.panes = t, panes
	if engine {
		g.host.Send(live.Command{Kind: "reset", State: g.state.Encode(), Running: !g.paused})
	}
	for _, p := range g.panes {
		p.snapshot()
	}
	return nil
}

// snapshot copies the pane's animation state for drawing.
func (p *paneUI) snapshot() {
	p.view.SnapshotInto(&p.snap)
	if p.view.IsParticleSystem() {
		p.view.MoleculesInto(&p.mol)
	}
}

// setState applies new settings: the engine restarts when a training
// setting changed, the animation when a drawing one did.
func (g *Game) setState(s live.State) {
	old := g.state
	if s.Equal(old) {
		return
	}
	g.state = s
	training := old.Target != s.Target || !slices.Equal(old.Modes, s.Modes) || old.Method != s.Method ||
		old.Compare != s.Compare || old.Seed != s.Seed || old.Pretrained != s.Pretrained || old.K != s.K ||
		old.LR != s.LR || old.Batch != s.Batch || old.Buffer != s.Buffer || old.Defensive != s.Defensive
	drawing := old.Particles != s.Particles || old.Steps != s.Steps || old.Speed != s.Speed || old.Corrector != s.Corrector
	if training || drawing {
		if err := g.rebuild(training); err != nil {
			g.say("cannot use these settings: " + err.Error())
			g.state = old
			return
		}
	}
	g.platform.stateChanged(s.Encode())
}

// Update applies input, the engine's reports and the animation's time slice,
// and publishes the figures.
func (g *Game) Update() error {
	if g.err != nil {
		return g.err
	}
	if g.quitting {
		return ebiten.Termination
	}
	if enc, ok := g.platform.pendingState(); ok {
		s, warnings := live.Decode(enc)
		g.setState(s)
		if len(warnings) > 0 {
			g.say("settings corrected: " + strings.Join(warnings, "; "))
		}
	}
	for _, r := range g.host.Poll() {
		if r.Pane < 0 {
			g.say("training engine: " + r.Err)
			continue
		}
		if r.Pane < len(g.panes) && r.Variant == g.panes[r.Pane].view.Variant() {
			g.panes[r.Pane].view.Apply(r)
		}
	}
	g.input()
	now := time.Now()
	if !g.paused {
		for _, p := range g.panes {
			p.view.Advance(now, simBudget/time.Duration(len(g.panes)))
		}
	}
	for _, p := range g.panes {
		p.snapshot()
	}
	g.frame++
	g.adaptParticles(now)
	var cur []float32
	if tr := g.panes[0].snap.Trail; len(tr) > 0 {
		cur = tr[len(tr)-1]
	}
	if g.platform.update(g.stats(), cur) {
		if g.platform.screenshotPath() != "" {
			g.capture = g.platform.screenshotPath()
		} else {
			g.quitting = true
		}
	}
	return nil
}

// adaptParticles lowers the particle count when the frame rate stays low.
func (g *Game) adaptParticles(now time.Time) {
	if g.frame < 120 || g.state.Particles <= minParticles || ebiten.ActualFPS() >= lowFPS || g.panes[0].view.IsParticleSystem() {
		g.lowSince = time.Time{}
		return
	}
	if g.lowSince.IsZero() {
		g.lowSince = now
		return
	}
	if now.Sub(g.lowSince) < lowFPSFor {
		return
	}
	s := g.state
	s.Particles = max(minParticles, int(roundTo(float64(s.Particles)*0.75, 100)))
	g.setState(s)
	g.lowSince = time.Time{}
	g.say(fmt.Sprintf("frame rate below %d: now %d particles", lowFPS, s.Particles))
}

// stats returns the live figures of every pane.
func (g *Game) stats() []paneStats {
	out := make([]paneStats, len(g.panes))
	for i, p := range g.panes {
		r := p.view.Report()
		s := paneStats{Pane: i, Variant: p.view.Variant(), Frame: g.frame, T: p.snap.T, Runs: p.snap.Runs,
			Step: r.Step, Seconds: r.Seconds, FPS: ebiten.ActualFPS(), Particles: p.snap.Particles,
			Loss: r.Loss, ESS: r.ESS, Covered: -1, Modes: len(p.view.Modes()), W2: -1, MMD: -1, EnergyW2: -1,
			Evals: r.EnergyEvals, Running: !g.paused, Error: r.Err, Corrected: p.mol.Corrected, MALAAcceptance: -1}
		if p.mol.Corrected > 0 {
			s.MALAAcceptance = p.mol.Acceptance
		}
		if r.Eval != nil {
			s.Covered = r.Eval.Covered
			if !math.IsNaN(r.Eval.W2) {
				s.W2, s.MMD = r.Eval.W2, r.Eval.MMD
			}
			if !math.IsNaN(r.Eval.EnergyW2) && !math.IsInf(r.Eval.EnergyW2, 0) {
				s.EnergyW2 = r.Eval.EnergyW2
			}
		}
		out[i] = s
	}
	return out
}

// Actions of the controls and shortcuts.

func (g *Game) togglePause() {
	g.paused = !g.paused
	g.host.Send(live.Command{Kind: "run", Running: !g.paused})
}

func (g *Game) reset() {
	if err := g.rebuild(true); err != nil {
		g.say(err.Error())
	}
}

func (g *Game) trainStep() {
	if !g.paused {
		g.togglePause()
	}
	g.host.Send(live.Command{Kind: "step", Steps: 1})
}

func (g *Game) sdeStep() {
	if !g.paused {
		g.togglePause()
	}
	now := time.Now()
	for _, p := range g.panes {
		p.view.StepOnce(now)
	}
}

func (g *Game) copyLink() {
	msg, err := g.platform.share(g.state.Encode())
	if err != nil {
		g.say("copy link: " + err.Error())
		return
	}
	g.say(msg)
}

func (g *Game) exportPNG() { g.capture = "export" }

func (g *Game) exportCSV() {
	var b strings.Builder
	d := g.target.Dim() // a particle system's rows are whole configurations
	for j := range d {
		if j > 0 {
			b.WriteByte(',')
		}
		b.WriteString("x" + strconv.Itoa(j))
	}
	b.WriteByte('\n')
	x := g.panes[0].view.Positions()
	for i := 0; i+d <= len(x); i += d {
		for j := range d {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.FormatFloat(x[i+j], 'g', -1, 64))
		}
		b.WriteByte('\n')
	}
	name := fmt.Sprintf("iwsm-%s-%s-samples", g.state.Target, g.panes[0].view.Variant())
	if m := &g.panes[0].mol; m.Holding && m.Corrector > 0 && m.CorrectorErr == "" {
		name += "-mala" // relaxed by the corrector, as the command line's -mala samples
	}
	g.offer(name+".csv", []byte(b.String()))
}

func (g *Game) exportCheckpoint() {
	v := g.panes[0].view
	if v.Net() == nil {
		g.say("the oracle has no network to save")
		return
	}
	r := v.Report()
	var buf bytes.Buffer
	meta := map[string]string{"target": g.state.Target, "method": v.Variant(), "step": strconv.Itoa(r.Step),
		"seed": strconv.FormatUint(g.state.Seed, 10), "state": g.state.Encode()}
	if err := sim.WriteCheckpoint(&buf, sim.Checkpoint{Net: v.Net(), Meta: meta}); err != nil {
		g.say("checkpoint: " + err.Error())
		return
	}
	g.offer(fmt.Sprintf("iwsm-%s-%s-step%d.ckpt", g.state.Target, v.Variant(), r.Step), buf.Bytes())
}

// offer hands a file to the platform and says where it went.
func (g *Game) offer(name string, data []byte) {
	where, err := g.platform.save(name, data)
	if err != nil {
		g.say("saving " + name + ": " + err.Error())
		return
	}
	g.say("saved " + where)
}

// Draw renders the panes, the panel and any message.
func (g *Game) Draw(screen *ebiten.Image) {
	screen.Fill(background)
	g.layout()
	for _, p := range g.panes {
		g.drawPane(screen, p)
	}
	switch {
	case g.panelShown():
		g.drawPanel(screen)
	case g.state.Classroom:
		g.hud.text(screen, "IW-SM live · press H for the controls", 12*g.scale, 8*g.scale, 13*g.scale, hudDim)
	}
	if g.narrow() && !g.state.Classroom {
		g.hud.drawWidget(screen, g.menuButton(), g.mouse.In(g.menuButton().rect), g.scale)
	}
	if g.message != "" && time.Now().Before(g.messageUntil) {
		g.drawMessage(screen)
	}
	if g.help {
		g.drawHelp(screen)
	}
	if !g.drawn {
		g.drawn = true
		g.platform.firstFrame()
	}
	if g.capture != "" {
		g.finishCapture(screen)
	}
}

// panelWidth is the width the control panel takes from the panes, in device
// pixels: none in classroom mode and on narrow screens, where the panel is an
// overlay.
func (g *Game) panelWidth() float64 {
	if g.state.Classroom || g.narrow() {
		return 0
	}
	return 290 * g.scale
}

// narrow reports whether the screen is too narrow for the panel beside the
// panes.
func (g *Game) narrow() bool { return float64(g.width) < 900*g.scale }

// panelShown reports whether the controls are on screen.
func (g *Game) panelShown() bool { return !g.state.Classroom && (!g.narrow() || g.panelOpen) }

// layout places the panes' plots and strips in the space right of the panel:
// side by side or stacked, whichever gives the larger plots.
func (g *Game) layout() {
	left := g.panelWidth()
	w, h := float64(g.width)-left, float64(g.height)
	stripH := 150 * g.scale
	top := 8 * g.scale
	if g.narrow() {
		top = 36 * g.scale // room for the controls button
	}
	if g.state.Classroom {
		top = 30 * g.scale
		stripH = 70 * g.scale
	}
	n := float64(len(g.panes))
	h -= top
	side := math.Min(w/n, h-stripH)
	stacked := math.Min(w, h/n-stripH)
	for i, p := range g.panes {
		lo, hi := p.view.Bounds()
		if p.view.IsParticleSystem() {
			lo, hi = []float64{-1, -1}, []float64{1, 1} // the grid of configurations has no box
		}
		if stacked > side {
			p.plot = fit(left, top+float64(i)*h/n, w, h/n-stripH, 8*g.scale, lo, hi)
		} else {
			p.plot = fit(left+float64(i)*w/n, top, w/n, h-stripH, 8*g.scale, lo, hi)
		}
		p.strip = image.Rect(int(p.plot.x0), int(p.plot.y0+p.plot.size+6*g.scale), int(p.plot.x0+p.plot.size), int(p.plot.y0+p.plot.size+stripH-4*g.scale))
	}
}

// drawPane renders one pane: density, layers, particles, modes and its strip
// of figures.
func (g *Game) drawPane(screen *ebiten.Image, p *paneUI) {
	if p.view.IsParticleSystem() {
		g.drawMoleculePane(screen, p)
		return
	}
	v := p.plot
	op := &ebiten.DrawImageOptions{Filter: ebiten.FilterLinear}
	b := g.heat.Bounds()
	op.GeoM.Scale(v.size/float64(b.Dx()), v.size/float64(b.Dy()))
	op.GeoM.Translate(v.x0, v.y0)
	screen.DrawImage(g.heat, op)

	clip := screen.SubImage(v.rect()).(*ebiten.Image)
	g.batch.begin(clip)
	r := p.view.Report()
	if g.state.Layers.Buffer && r.Buffer != nil {
		drawPoints(g.batch, r.Buffer, nil, v, g.scale, bufferColor, 0.6)
	}
	if g.state.Layers.Proposal {
		drawPoints(g.batch, p.view.Proposal(), nil, v, g.scale, proposalCol, 0.55)
	}
	drawParticles(g.batch, &p.snap, v, g.scale, g.pal)
	if g.state.Layers.Weights && r.Weights != nil {
		drawPoints(g.batch, r.Batch, r.Weights, v, g.scale, weightColor, 0.85)
	}
	if g.state.Layers.Field {
		drawField(g.batch, p.view.ScoreField(), v, g.scale, 21)
	}
	g.batch.flush()
	for k, m := range p.view.Modes() {
		x, y := v.toScreen(m[0], m[1])
		vector.StrokeCircle(clip, x, y, float32(3.5*g.scale), float32(g.scale), nrgba(g.pal.mode(k), 0.8), false)
	}
	vector.StrokeRect(screen, float32(v.x0), float32(v.y0), float32(v.size), float32(v.size), float32(g.scale), nrgba(rgb{0.25, 0.29, 0.4}, 1), false)
	g.drawStrip(screen, p)
}

// drawStrip renders a pane's title, figures, coverage pips and charts.
func (g *Game) drawStrip(screen *ebiten.Image, p *paneUI) {
	s := g.scale
	r := p.view.Report()
	x, y := float64(p.strip.Min.X), float64(p.strip.Min.Y)
	w := float64(p.strip.Dx())
	// Title over the plot's corner.
	title := variantName(p.view.Variant())
	fillRect(screen, p.plot.x0+1, p.plot.y0+1, g.hud.width(title, 14*s)+16*s, 22*s, hudPanel)
	g.hud.text(screen, title, p.plot.x0+8*s, p.plot.y0+4*s, 14*s, hudTitle)
	phase, phaseColor := fmt.Sprintf("t = %.3f", p.snap.T), hudText
	switch {
	case p.snap.Holding && p.mol.CorrectorErr != "":
		phase, phaseColor = "t = 0: corrector failed: "+p.mol.CorrectorErr, hudBad
	case p.snap.Holding && p.mol.Corrector > 0:
		phase = fmt.Sprintf("t = 0 + %d MALA steps (acceptance %.2f)", p.mol.Corrector, p.mol.Acceptance)
	case p.snap.Holding:
		phase = "t = 0: samples"
	}
	g.hud.text(screen, phase, p.plot.x0+p.plot.size-g.hud.width(phase, 12*s)-8*s, p.plot.y0+6*s, 12*s, phaseColor)

	textW := math.Min(w*0.5, 250*s)
	if w < 380*s { // narrow panes: figures only
		textW = w
	}
	line := func(txt string, clr color.Color) {
		g.hud.text(screen, txt, x, y, 12*s, clr)
		y += 16 * s
	}
	switch {
	case p.view.Variant() == "oracle":
		line("the exact noised score: no training", hudDim)
	case r.Err != "":
		line("stopped: "+r.Err, hudBad)
	case p.view.IsParticleSystem():
		line(fmt.Sprintf("step %d · %.0f s · %s evals", r.Step, r.Seconds, human(float64(r.EnergyEvals))), hudText)
		loss, ess := r.Loss, r.ESS
		if r.Step == 0 {
			loss, ess = math.NaN(), math.NaN() // no step yet: "–"
		}
		line("loss "+fmtNum(loss, "%.3g")+" · nESS "+fmtNum(ess, "%.2f"), hudText)
		if ev := r.Eval; ev != nil {
			line("x-W2 "+fmtNum(ev.W2, "%.2f")+" · E-W2 "+fmtNum(ev.EnergyW2, "%.3g"), hudTitle)
			line(fmt.Sprintf("distance TV %s · %d samples", fmtNum(ev.DistTV, "%.3f"), ev.N), hudText)
		} else {
			line("first quality check pending", hudDim)
		}
		if r.Note != "" {
			g.hud.text(screen, r.Note, x, float64(p.strip.Max.Y)-14*s, 10*s, hudDim)
		}
	default:
		line(fmt.Sprintf("step %d · %.0f s · %s evals", r.Step, r.Seconds, human(float64(r.EnergyEvals))), hudText)
		line(fmt.Sprintf("loss %.3g · nESS %.2f", r.Loss, r.ESS), hudText)
		if r.Eval != nil {
			w2 := "x-W2 …"
			if !math.IsNaN(r.Eval.W2) {
				w2 = fmt.Sprintf("x-W2 %.2f · MMD %.3g", r.Eval.W2, r.Eval.MMD)
			}
			line(fmt.Sprintf("modes %d/%d · %s", r.Eval.Covered, r.Eval.Modes, w2), hudTitle)
			g.hud.pips(screen, r.Eval.Counts, 0.2*float64(r.Eval.N)/float64(max(1, r.Eval.Modes)), g.pal, x, y+2*s, textW, s)
		} else {
			line("first quality check pending", hudDim)
		}
		if r.Note != "" {
			g.hud.text(screen, r.Note, x, float64(p.strip.Max.Y)-14*s, 10*s, hudDim)
		}
	}
	if g.state.Classroom || p.view.Variant() == "oracle" {
		return
	}
	// Charts on the right of the figures.
	cx := float64(p.strip.Min.X) + textW + 8*s
	cw := w - textW - 8*s
	if cw < 80*s {
		return
	}
	ch := (float64(p.strip.Dy()) - 8*s) / 3
	hist := p.view.History()
	charts := []chart{
		{title: "loss", value: func(h live.HistoryPoint) (float64, bool) { return h.Loss, h.Step > 0 }, log: true, format: func(v float64) string { return fmt.Sprintf("%.3g", v) }},
		{title: "nESS", value: func(h live.HistoryPoint) (float64, bool) { return h.ESS, h.Step > 0 }, lo: 0, hi: 1, format: func(v float64) string { return fmt.Sprintf("%.2f", v) }},
		{title: "modes covered", value: func(h live.HistoryPoint) (float64, bool) { return float64(h.Covered), h.Covered >= 0 }, lo: 0, hi: float64(max(1, len(p.view.Modes()))), format: func(v float64) string { return fmt.Sprintf("%.0f", v) }},
	}
	if p.view.IsParticleSystem() {
		charts[2] = chart{title: "E-W2", value: func(h live.HistoryPoint) (float64, bool) { return h.EnergyW2, true }, log: true, format: func(v float64) string { return fmtNum(v, "%.3g") }}
	}
	for i, c := range charts {
		c.draw(screen, g.hud, hist, cx, float64(p.strip.Min.Y)+float64(i)*(ch+4*s), cw, ch, s)
	}
}

// human formats a count with a metric suffix.
func human(v float64) string {
	switch {
	case v >= 1e9:
		return fmt.Sprintf("%.1fG", v/1e9)
	case v >= 1e6:
		return fmt.Sprintf("%.1fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

// drawPanel renders the control panel on the left.
func (g *Game) drawPanel(screen *ebiten.Image) {
	s := g.scale
	w := 290 * s
	fillRect(screen, 0, 0, w, float64(g.height), hudPanel)
	pad := 12 * s
	g.hud.text(screen, "IW-SM live", pad, pad, 18*s, hudTitle)
	g.hud.text(screen, "importance-weighted score matching", pad, pad+24*s, 11*s, hudDim)
	for _, wd := range g.widgets {
		g.hud.drawWidget(screen, wd, g.mouse.In(wd.rect), s)
	}
	y := pad + 44*s
	if len(g.widgets) > 0 {
		y = float64(g.widgets[len(g.widgets)-1].rect.Max.Y) + 10*s
	}
	if len(g.panes) > 0 && g.panes[0].view.IsParticleSystem() {
		m := &g.panes[0].mol
		g.hud.text(screen, fmt.Sprintf("%.0f fps · %d configurations/pane · %d SDE steps", ebiten.ActualFPS(), m.Configs, g.panes[0].snap.Steps), pad, y, 11*s, hudDim)
		g.hud.text(screen, "each cell is one configuration of the flow · ? help", pad, y+15*s, 10*s, hudDim)
		return
	}
	g.hud.text(screen, fmt.Sprintf("%.0f fps · %d particles/pane", ebiten.ActualFPS(), g.state.Particles), pad, y, 11*s, hudDim)
	g.hud.text(screen, "click the plot to add or remove a mode · ? help", pad, y+15*s, 10*s, hudDim)
}

// drawMessage shows the current message at the bottom of the screen.
func (g *Game) drawMessage(screen *ebiten.Image) {
	s := g.scale
	px := 12 * s
	w := g.hud.width(g.message, px) + 24*s
	x := math.Max(0, (float64(g.width)-w)/2)
	y := float64(g.height) - 40*s
	fillRect(screen, x, y, w, 26*s, hudPanel)
	g.hud.text(screen, g.message, x+12*s, y+6*s, px, hudWarn)
}

// helpLines are the keyboard shortcuts.
var helpLines = []string{
	"space  play / pause            S  one training step",
	"D      one SDE step            R  restart training",
	"T / C  next target / panes     + / −  speed",
	"B P W F  buffer, proposal, weights, score-field layers",
	"M  particle systems: MALA corrector on the final samples",
	"L  copy a link to these settings   X  save a PNG",
	"H  classroom mode (hide the controls)   ?  this help",
	"click the plot: add a mode there, or remove the one under the pointer",
}

// drawHelp shows the keyboard shortcuts over everything.
func (g *Game) drawHelp(screen *ebiten.Image) {
	s := g.scale
	w, h := 520*s, float64(len(helpLines)+2)*18*s
	x, y := (float64(g.width)-w)/2, (float64(g.height)-h)/2
	fillRect(screen, x, y, w, h, hudPanel)
	for i, l := range helpLines {
		g.hud.text(screen, l, x+16*s, y+14*s+float64(i)*18*s, 12*s, hudText)
	}
}

// finishCapture encodes the frame just drawn as PNG: the desktop's
// -screenshot file on quit, or a file offered to the visitor.
func (g *Game) finishCapture(screen *ebiten.Image) {
	target := g.capture
	g.capture = ""
	b := screen.Bounds()
	img := image.NewRGBA(b)
	screen.ReadPixels(img.Pix)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		g.say("PNG: " + err.Error())
		return
	}
	if target == "export" {
		g.offer(fmt.Sprintf("iwsm-%s.png", g.state.Target), buf.Bytes())
		return
	}
	g.quitting = true
	if err := writeFile(target, buf.Bytes()); err != nil {
		g.err = fmt.Errorf("screenshot: %w", err)
	}
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

// input applies the mouse, touch and keyboard.
func (g *Game) input() {
	g.layout()
	g.widgets = nil
	if g.panelShown() {
		s := g.scale
		g.widgets, _ = g.controls(int(12*s), int(56*s), int(290*s-24*s), int(27*s))
	}
	if g.narrow() && !g.state.Classroom {
		g.widgets = append(g.widgets, g.menuButton())
	}
	mx, my := ebiten.CursorPosition()
	g.mouse = image.Pt(mx, my)
	var clicks []image.Point
	if inpututil.IsMouseButtonJustPressed(ebiten.MouseButtonLeft) {
		clicks = append(clicks, g.mouse)
	}
	for _, id := range inpututil.AppendJustPressedTouchIDs(nil) {
		x, y := ebiten.TouchPosition(id)
		clicks = append(clicks, image.Pt(x, y))
	}
	for _, c := range clicks {
		g.click(c)
	}
	g.keys()
}

// menuButton opens and closes the panel on narrow screens.
func (g *Game) menuButton() *widget {
	s := g.scale
	label := "controls"
	if g.panelOpen {
		label = "close"
	}
	x := int(float64(g.width) - 112*s)
	return &widget{label: label, rect: image.Rect(x, int(6*s), x+int(104*s), int(30*s)),
		action: func() { g.panelOpen = !g.panelOpen }}
}

// click dispatches a click or tap: a control, or a mode edit on a plot.
func (g *Game) click(p image.Point) {
	if g.help {
		g.help = false
		return
	}
	for _, w := range g.widgets {
		if part, ok := w.hit(p); ok {
			w.press(part)
			return
		}
	}
	for _, pane := range g.panes {
		v := pane.plot
		if !p.In(v.rect()) || pane.view.IsParticleSystem() { // no modes to edit
			continue
		}
		x := v.lo[0] + (float64(p.X)-v.x0)/v.size*(v.hi[0]-v.lo[0])
		y := v.hi[1] - (float64(p.Y)-v.y0)/v.size*(v.hi[1]-v.lo[1])
		s, err := g.state.ToggleMode(x, y)
		if err != nil {
			g.say(err.Error())
			return
		}
		g.setState(s)
		g.say(fmt.Sprintf("target edited: %d modes; training restarts", len(s.Modes)))
		return
	}
}

// keys applies the keyboard shortcuts.
func (g *Game) keys() {
	pressed := func(k ebiten.Key) bool { return inpututil.IsKeyJustPressed(k) }
	shift := ebiten.IsKeyPressed(ebiten.KeyShift)
	st := g.state
	step := func(dir int) int {
		if shift {
			return -dir
		}
		return dir
	}
	switch {
	case pressed(ebiten.KeySpace):
		g.togglePause()
	case pressed(ebiten.KeyS):
		g.trainStep()
	case pressed(ebiten.KeyD):
		g.sdeStep()
	case pressed(ebiten.KeyR):
		g.reset()
	case pressed(ebiten.KeyT):
		g.setState(st.WithTarget(targetChoices.step(st.Target, step(1), lessString)))
	case pressed(ebiten.KeyC):
		g.setState(stepLayout(st, step(1)))
	case pressed(ebiten.KeyEqual), pressed(ebiten.KeyKPAdd):
		st.Speed = speedChoices.step(st.Speed, 1, lessFloat)
		g.setState(st)
	case pressed(ebiten.KeyMinus), pressed(ebiten.KeyKPSubtract):
		st.Speed = speedChoices.step(st.Speed, -1, lessFloat)
		g.setState(st)
	case pressed(ebiten.KeyB):
		st.Layers.Buffer = !st.Layers.Buffer
		g.setState(st)
	case pressed(ebiten.KeyP):
		st.Layers.Proposal = !st.Layers.Proposal
		g.setState(st)
	case pressed(ebiten.KeyW):
		st.Layers.Weights = !st.Layers.Weights
		g.setState(st)
	case pressed(ebiten.KeyF):
		st.Layers.Field = !st.Layers.Field
		g.setState(st)
	case pressed(ebiten.KeyM) && live.IsParticleTarget(st.Target):
		st.Corrector = !st.Corrector
		g.setState(st)
	case pressed(ebiten.KeyH):
		st.Classroom = !st.Classroom
		g.setState(st)
	case pressed(ebiten.KeyL):
		g.copyLink()
	case pressed(ebiten.KeyX):
		g.exportPNG()
	case pressed(ebiten.KeySlash):
		g.help = !g.help
	case pressed(ebiten.KeyEscape):
		g.help = false
	}
}
