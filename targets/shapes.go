package targets

// The friendly 2-D shapes of the companion app, registered by name.

// NewRingsTarget returns "rings": three concentric rings of radii 1, 2 and 3
// with radial standard deviation 0.12 and weights ∝ radius (1/6, 2/6, 3/6,
// about the same density along every ring), in the box [−4, 4]².
func NewRingsTarget() *Rings {
	t, err := NewRings("rings", []float64{1, 2, 3}, 0.12, []float64{1, 2, 3})
	if err != nil {
		panic("targets: rings: " + err.Error()) // fixed, valid arguments
	}
	return t
}

// NewManyWellTarget returns "manywell": E(x) = 5 Σ_j (x_j²/4 − 1)², four
// equal modes at (±2, ±2) behind barriers of height 5, in the box [−4, 4]².
func NewManyWellTarget() *ManyWell {
	t, err := NewManyWell("manywell", 2, 5)
	if err != nil {
		panic("targets: manywell: " + err.Error())
	}
	return t
}

// NewUnevenTarget returns "uneven": three well-separated Gaussians of
// standard deviation 0.6 at (−2.5, −1.5), (2.5, −1.5) and (0, 2.5) with
// weights 90 %, 9 % and 1 %, the mode a reverse-KL sampler drops first, in
// the box [−5, 5]² with schedule (σ_min, σ_max) = (1e−3, 5).
func NewUnevenTarget() *Mixture {
	m, err := NewMixture("uneven",
		[][]float64{{-2.5, -1.5}, {2.5, -1.5}, {0, 2.5}},
		[]float64{0.6, 0.6, 0.6},
		[]float64{0.90, 0.09, 0.01})
	if err != nil {
		panic("targets: uneven: " + err.Error())
	}
	m.SetBounds([]float64{-5, -5}, []float64{5, 5})
	if err := m.SetNoiseHint(1e-3, 5); err != nil {
		panic("targets: uneven: " + err.Error())
	}
	return m
}
