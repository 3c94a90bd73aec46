package main

import (
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/plot/plotter"

	"iwsm/targets"
)

// checkPNG decodes a PNG file and checks its size (when w > 0) and that it
// is not blank: a good share of pixels differ from the background and there
// are several colours.
func checkPNG(t *testing.T, path string, w, h int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b := img.Bounds()
	if w > 0 && (b.Dx() != w || b.Dy() != h) {
		t.Errorf("%s is %d×%d, want %d×%d", path, b.Dx(), b.Dy(), w, h)
	}
	colours := map[[4]uint32]bool{}
	inked := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			colours[[4]uint32{r >> 8, g >> 8, bl >> 8, a >> 8}] = true
			if r < 0xf000 || g < 0xf000 || bl < 0xf000 {
				inked++
			}
		}
	}
	if share := float64(inked) / float64(b.Dx()*b.Dy()); share < 0.01 || len(colours) < 5 {
		t.Errorf("%s looks blank: %.2f %% of the pixels inked, %d colours", path, 100*share, len(colours))
	}
}

func TestFigures(t *testing.T) {
	dir := t.TempDir()
	tg, err := targets.Lookup("gmm40")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	exact := make([]float64, 2*500)
	tg.(targets.ExactSampler).SampleInto(exact, rng)
	noisy := make([]float64, len(exact))
	for i := range noisy {
		noisy[i] = exact[i] + 3*rng.NormFloat64()
	}
	path := filepath.Join(dir, "samples.png")
	panels := []samplePanel{{"iwsm", exact}, {"idem", noisy}, {"iwsm-def0", exact}, {"exact", exact}}
	if err := samplesFigure(path, tg, "gmm40: final samples", panels); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, path, 3*380+40, 2*380+50)

	curve := func(slope float64) plotter.XYs {
		var xy plotter.XYs
		for i := range 20 {
			xy = append(xy, plotter.XY{X: float64(i) * 15, Y: 20 - slope*float64(i) + rng.Float64()})
		}
		return xy
	}
	sets := []seriesSet{
		{Name: "iwsm", Seeds: []plotter.XYs{curve(0.8), curve(0.7)}},
		{Name: "idem", Seeds: []plotter.XYs{curve(0.5), curve(0.6)}},
	}
	for i := range sets {
		sets[i].Mean = meanCurve(sets[i].Seeds, 50)
	}
	path = filepath.Join(dir, "w2.png")
	if err := curveFigure(path, "gmm40: x-W2", "training time (s)", "x-W2", sets, []refLine{{Label: "floor", Y: 4.16}}, 0, 25); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, path, 900, 600)

	counts := make([]float64, 40)
	for k := range counts {
		counts[k] = float64(10 + rng.IntN(30))
	}
	path = filepath.Join(dir, "modes.png")
	if err := modeCountsFigure(path, "gmm40: samples per mode", 25, 0.2, []countSeries{{"iwsm", counts}, {"exact", counts[:]}}); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, path, 900, 600)
}

func TestMeanCurve(t *testing.T) {
	a := plotter.XYs{{X: 0, Y: 0}, {X: 10, Y: 10}}
	b := plotter.XYs{{X: 0, Y: 2}, {X: 5, Y: 2}}
	m := meanCurve([]plotter.XYs{a, b}, 3)
	// x = 0: (0 + 2)/2; x = 5: (5 + 2)/2; x = 10: only a covers it.
	want := plotter.XYs{{X: 0, Y: 1}, {X: 5, Y: 3.5}, {X: 10, Y: 10}}
	if len(m) != len(want) {
		t.Fatalf("%v, want %v", m, want)
	}
	for i := range want {
		if m[i] != want[i] {
			t.Errorf("point %d: %v, want %v", i, m[i], want[i])
		}
	}
}

func TestHistogramFigure(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(2, 2))
	draw := func(n int, mean, sd float64) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = mean + sd*rng.NormFloat64()
		}
		return v
	}
	ref := draw(5000, -22, 2)
	hot := append(draw(990, -20, 3), 500, 1e6, math.Inf(1), math.NaN(), 40, 41, 42, 43, 44, 45)
	panels := []histPanel{
		{Name: "iwsm", Values: draw(1000, -22, 2), Note: "E-W2 0.05", Unit: "samples"},
		{Name: "idem", Values: hot, Note: "E-W2 4.2", Unit: "samples"},
		{Name: "exact", Label: "validation set", Values: draw(1000, -22, 2), Unit: "samples"},
	}
	lo, hi, ok := histRange(ref, panels, 0.05, 0.25)
	if !ok || !(lo < -22-6) || !(hi > -22+6) {
		t.Fatalf("range [%v, %v] ok %v", lo, hi, ok)
	}
	path := filepath.Join(dir, "energy.png")
	if err := histogramFigure(path, "dw4: energies", "energy E(x)", ref, "test set (5000)", panels, lo, hi, 60); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, path, 3*420+40, 330+50)

	// Without a reference the range comes from the panels' percentiles.
	lo, hi, ok = histRange(nil, panels[1:2], 0.05, 0.25)
	if !ok || hi > 1000 || lo > -25 {
		t.Errorf("range without a reference [%v, %v] ok %v: outliers should not set it", lo, hi, ok)
	}
	path = filepath.Join(dir, "noref.png")
	if err := histogramFigure(path, "lj55: energies", "energy E(x)", nil, "", panels[:2], lo, hi, 60); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, path, 2*420+40, 330+50)
	if _, _, ok := histRange(nil, []histPanel{{Values: []float64{math.NaN()}}}, 0, 0); ok {
		t.Error("a range from no finite value")
	}
	if err := histogramFigure(path, "x", "x", ref, "", nil, lo, hi, 10); err == nil {
		t.Error("a figure without panels")
	}
}

func TestHistDensity(t *testing.T) {
	// Two of four values in range, bins of width 0.5: density 1 each; the
	// two outside are reported and lower the total mass to 1/2.
	xy, outside := histDensity([]float64{0.1, 0.6, 2, math.NaN()}, 0, 1, 2)
	if outside != 2 || len(xy) != 3 {
		t.Fatalf("outside %d, %d points", outside, len(xy))
	}
	for i, want := range []float64{0.5, 0.5, 0.5} {
		if math.Abs(xy[i].Y-want) > 1e-12 {
			t.Errorf("point %d: %v, want %v", i, xy[i].Y, want)
		}
	}
}

func TestCurveFigureLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ew2.png")
	seeds := []plotter.XYs{{{X: 0, Y: 1e4}, {X: 10, Y: 30}, {X: 20, Y: 0.4}}, {{X: 0, Y: 0}, {X: 10, Y: 8}, {X: 20, Y: 0.3}}}
	sets := []seriesSet{{Name: "iwsm", Seeds: seeds, Mean: meanCurve(seeds, 20)}}
	if err := curveFigureScale(path, "dw4: E-W2", "training time (s)", "E-W2", sets, []refLine{{Label: "floor", Y: 0.06}, {Label: "zero", Y: 0}}, math.NaN(), math.NaN(), true); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, path, 900, 600)
}
