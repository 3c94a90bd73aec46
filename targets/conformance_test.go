package targets

import (
	"errors"
	"math"
	"slices"
	"sort"
	"testing"
)

// capabilities lists what each registered target must offer. Every
// registered name must appear here, so a new target cannot skip the harness.
type capabilities struct {
	moder, sampler, bounded bool
	particles               [2]int // n, D; zero for none
	reference               bool   // Referenced with data
	noReference             bool   // Referenced, but ErrNoReference
	normalized              bool   // LogProb integrates to 1
	hint                    [2]float64
}

var wantCaps = map[string]capabilities{
	// Schedules: iDEM's (METHOD.md); mixtures (1e−5, 1)·normalization.
	"gmm40":    {moder: true, sampler: true, bounded: true, normalized: true, hint: [2]float64{5e-4, 50}},
	"gmm80":    {moder: true, sampler: true, bounded: true, normalized: true, hint: [2]float64{1e-3, 100}},
	"gmm120":   {moder: true, sampler: true, bounded: true, normalized: true, hint: [2]float64{1.5e-3, 150}},
	"dw4":      {particles: [2]int{4, 2}, reference: true, hint: [2]float64{1e-5, 3}},
	"lj13":     {particles: [2]int{13, 3}, reference: true, hint: [2]float64{0.01, 2}},
	"lj55":     {particles: [2]int{55, 3}, noReference: true, hint: [2]float64{0.5, 4}},
	"rings":    {sampler: true, bounded: true, normalized: true, hint: [2]float64{1e-3, 4}},
	"manywell": {moder: true, sampler: true, bounded: true, hint: [2]float64{1e-3, 4}},
	"uneven":   {moder: true, sampler: true, bounded: true, normalized: true, hint: [2]float64{1e-3, 5}},
}

// TestConformance runs every registered target through the same checks.
func TestConformance(t *testing.T) {
	var want []string
	for name := range wantCaps {
		want = append(want, name)
	}
	sort.Strings(want)
	if got := Names(); !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, the harness covers %v", got, want)
	}
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			tg := mustLookup(t, name)
			c := wantCaps[name]
			t.Run("capabilities", func(t *testing.T) { checkCapabilities(t, tg, c) })
			t.Run("score_vs_finite_difference", func(t *testing.T) { checkScoreFD(t, tg) })
			t.Run("batch_equals_single", func(t *testing.T) { checkBatch(t, tg) })
			t.Run("non_finite_inputs", func(t *testing.T) { checkNonFinite(t, tg) })
			t.Run("known_values", func(t *testing.T) {
				f, ok := knownValues[name]
				if !ok {
					t.Fatalf("no known values for %s", name)
				}
				f(t, tg)
			})
			if c.sampler {
				t.Run("exact_sampler_moments", func(t *testing.T) { checkSampler(t, tg, c) })
			}
			if c.reference {
				t.Run("reference_sets", func(t *testing.T) { checkReference(t, tg) })
			}
			if m, ok := tg.(*Mixture); ok {
				t.Run("noised_mixture", func(t *testing.T) { checkNoised(t, m) })
			}
		})
	}
}

func checkCapabilities(t *testing.T, tg Target, c capabilities) {
	if tg.Dim() < 1 {
		t.Fatalf("Dim() = %d", tg.Dim())
	}
	if _, ok := tg.(BatchTarget); !ok {
		t.Error("no batched path")
	}
	if _, ok := tg.(Moder); ok != c.moder {
		t.Errorf("Moder: %v, want %v", ok, c.moder)
	}
	if _, ok := tg.(ExactSampler); ok != c.sampler {
		t.Errorf("ExactSampler: %v, want %v", ok, c.sampler)
	}
	if b, ok := tg.(Bounded); ok != c.bounded {
		t.Errorf("Bounded: %v, want %v", ok, c.bounded)
	} else if ok {
		lo, hi := b.Bounds()
		if len(lo) != tg.Dim() || len(hi) != tg.Dim() {
			t.Errorf("Bounds have %d, %d entries", len(lo), len(hi))
		}
		for j := range lo {
			if !(lo[j] < hi[j]) {
				t.Errorf("empty box in coordinate %d: [%v, %v]", j, lo[j], hi[j])
			}
		}
	}
	p, ok := tg.(ParticleSystem)
	if ok != (c.particles[0] > 0) {
		t.Errorf("ParticleSystem: %v, want %v", ok, c.particles[0] > 0)
	} else if ok {
		n, sd := p.Particles()
		if [2]int{n, sd} != c.particles || n*sd != tg.Dim() {
			t.Errorf("Particles() = %d, %d with Dim %d, want %v", n, sd, tg.Dim(), c.particles)
		}
		if EffectiveDimOf(tg) != (n-1)*sd {
			t.Errorf("EffectiveDimOf = %d", EffectiveDimOf(tg))
		}
	} else if EffectiveDimOf(tg) != tg.Dim() {
		t.Errorf("EffectiveDimOf = %d, want Dim", EffectiveDimOf(tg))
	}
	r, ok := tg.(Referenced)
	if ok != (c.reference || c.noReference) {
		t.Errorf("Referenced: %v, want %v", ok, c.reference || c.noReference)
	} else if ok {
		for _, split := range []string{"test", "val"} {
			_, err := r.Reference(split)
			if c.noReference != errors.Is(err, ErrNoReference) || c.reference != (err == nil) {
				t.Errorf("Reference(%q): %v", split, err)
			}
		}
		if _, err := r.Reference("train"); err == nil || errors.Is(err, ErrNoReference) {
			t.Errorf("Reference(\"train\") = %v, want an unknown-split error", err)
		}
	}
	h, ok := tg.(NoiseHinter)
	if !ok {
		t.Fatal("no NoiseHint")
	}
	lo, hi := h.NoiseHint()
	if math.Abs(lo-c.hint[0]) > 1e-12*c.hint[0] || math.Abs(hi-c.hint[1]) > 1e-12*c.hint[1] {
		t.Errorf("NoiseHint() = (%v, %v), want %v", lo, hi, c.hint)
	}
}

// checkScoreFD compares the score with a fourth-order central difference of
// LogProb: max_j |FD_j − s_j| ≤ 1e−5 · max(‖s‖∞, 1) (relative, with an
// absolute floor of 1e−5 where the gradient is tiny).
func checkScoreFD(t *testing.T, tg Target) {
	rng := newRNG(1)
	n := 40
	if tg.Dim() > 50 {
		n = 10
	}
	x := testPoints(t, tg, rng, n)
	d := tg.Dim()
	var worst float64
	for i := range n {
		xi := x[i*d : (i+1)*d]
		if lp := tg.LogProb(xi); !finite(lp) {
			t.Fatalf("point %d: LogProb = %v at a test point", i, lp)
		}
		e := fdScoreError(tg, xi)
		worst = math.Max(worst, e)
		if !(e < 1e-5) {
			t.Errorf("point %d %v: score vs finite difference error %.3g", i, xi, e)
		}
	}
	t.Logf("worst relative error %.2g over %d points", worst, n)
}

// checkNoised compares the noised score with finite differences of the
// noised log density, and the σ → 0 limit with the target itself.
func checkNoised(t *testing.T, m *Mixture) {
	x := testPoints(t, m, newRNG(14), 20)
	d := m.Dim()
	for _, sigma := range []float64{0.1, 1, 10} {
		for i := 0; i < len(x); i += d {
			if e := fdScoreError(noisedTarget{m, sigma}, x[i:i+d]); !(e < 1e-5) {
				t.Errorf("σ = %v at %v: noised score vs finite difference error %.3g", sigma, x[i:i+d], e)
			}
		}
	}
	s0, s1 := make([]float64, d), make([]float64, d)
	for i := 0; i < len(x); i += d {
		xi := x[i : i+d]
		lp0, lp1 := m.LogProb(xi), m.NoisedLogProbScore(s1, xi, 1e-7)
		m.Score(s0, xi)
		if math.Abs(lp1-lp0) > 1e-9*math.Max(1, math.Abs(lp0)) {
			t.Errorf("at %v: log p_σ→0 = %v, log π = %v", xi, lp1, lp0)
		}
		for j := range s0 {
			if math.Abs(s1[j]-s0[j]) > 1e-9*math.Max(1, math.Abs(s0[j])) {
				t.Errorf("at %v: noised score %v → %v", xi, s1, s0)
				break
			}
		}
	}
}

func checkBatch(t *testing.T, tg Target) {
	rng := newRNG(2)
	const n = 33
	d := tg.Dim()
	x := testPoints(t, tg, rng, n)
	x[5*d] = math.NaN() // a bad row must not disturb its neighbours
	logp, score := make([]float64, n), make([]float64, n*d)
	for i := range score {
		score[i] = 7 // must be overwritten
	}
	LogProbScoreBatch(tg, logp, score, x)
	logp2 := make([]float64, n)
	LogProbScoreBatch(tg, logp2, nil, x)
	if a := testing.AllocsPerRun(5, func() { LogProbScoreBatch(tg, logp2, score, x) }); a != 0 {
		t.Errorf("the batched path allocates %v times per call", a)
	}
	LogProbScoreBatch(tg, logp2, nil, x)
	energies := EnergyBatch(tg, nil, x)
	for i := range n {
		xi := x[i*d : (i+1)*d]
		lp := tg.LogProb(xi)
		s := tg.Score(nil, xi)
		if !sameFloat(lp, logp[i]) || !sameFloat(lp, logp2[i]) || !sameFloat(-lp, energies[i]) {
			t.Errorf("row %d: LogProb %v, batch %v, batch without score %v, energy %v", i, lp, logp[i], logp2[i], energies[i])
		}
		for j := range d {
			if !sameFloat(s[j], score[i*d+j]) {
				t.Errorf("row %d coordinate %d: Score %v, batch %v", i, j, s[j], score[i*d+j])
				break
			}
		}
	}
}

// sameFloat reports bitwise equality, treating every NaN alike.
func sameFloat(a, b float64) bool {
	return a == b || (math.IsNaN(a) && math.IsNaN(b))
}

// checkNonFinite feeds NaN, infinite, huge and degenerate inputs: LogProb is
// never NaN or +Inf, the score always finite, and zero where LogProb is −Inf.
func checkNonFinite(t *testing.T, tg Target) {
	d := tg.Dim()
	base := testPoints(t, tg, newRNG(3), 1)
	fill := func(v float64) []float64 {
		x := make([]float64, d)
		for j := range x {
			x[j] = v
		}
		return x
	}
	with := func(j int, v float64) []float64 {
		x := append([]float64(nil), base...)
		x[j] = v
		return x
	}
	cases := []struct {
		name       string
		x          []float64
		wantNegInf bool
	}{
		{"one_nan", with(0, math.NaN()), true},
		{"last_plus_inf", with(d-1, math.Inf(1)), true},
		{"all_minus_inf", fill(math.Inf(-1)), true},
		{"all_nan", fill(math.NaN()), true},
		{"huge_1e300", with(0, 1e300), true},
		{"max_and_min_float", with(0, math.MaxFloat64), true},
		{"large_1e154", with(0, 1e154), false},
		{"all_zero", fill(0), false},
		{"tiny_1e-200", scaled(base, 1e-200), false},
		{"subnormal", scaled(base, 5e-320), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lp := tg.LogProb(c.x)
			s := tg.Score(nil, c.x)
			if math.IsNaN(lp) || math.IsInf(lp, 1) {
				t.Fatalf("LogProb = %v", lp)
			}
			if !allFinite(s) {
				t.Fatalf("score %v not finite", s)
			}
			if math.IsInf(lp, -1) && !allZero(s) {
				t.Fatalf("LogProb −Inf with score %v", s)
			}
			if c.wantNegInf && !math.IsInf(lp, -1) {
				t.Fatalf("LogProb = %v, want −Inf", lp)
			}
			logp, score := make([]float64, 1), make([]float64, d)
			LogProbScoreBatch(tg, logp, score, c.x)
			if !sameFloat(logp[0], lp) || !slices.Equal(score, s) {
				t.Fatalf("batch %v %v differs from single %v %v", logp[0], score, lp, s)
			}
		})
	}
}

func scaled(x []float64, c float64) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = c * v
	}
	return out
}

// checkSampler compares the exact sampler's mean and covariance with the
// closed form (Gaussian mixtures) or with a quadrature of exp(LogProb) over
// the box (other 2-D targets), within five Monte Carlo standard errors, and
// the mass of the cells of an 8×8 grid over the box with the quadrature's.
func checkSampler(t *testing.T, tg Target, c capabilities) {
	n := 100_000
	if underWasm {
		n = 20_000
	}
	d := tg.Dim()
	if d != 2 {
		t.Fatalf("sampler check written for 2-D targets, got d = %d", d)
	}
	x := make([]float64, n*d)
	tg.(ExactSampler).SampleInto(x, newRNG(4))
	mean, cov, seMean, seCov := moments(x, d)

	lo, hi := tg.(Bounded).Bounds()
	// Midpoint rule: steps of at most box/240 resolve every feature (ring
	// width 0.12 in a box of 8; mixture std 1.31 in a box of 300).
	grid, cells := 480, 8
	if underWasm {
		grid = 240
	}
	z, qMean, qCov, qCells := quad2D(tg, lo, hi, grid, cells)
	if c.normalized && math.Abs(z-1) > 1e-4 {
		t.Errorf("∫ exp(LogProb) over the box = %.6f, want 1", z)
	}
	wantMean, wantCov := qMean, qCov
	if m, ok := tg.(*Mixture); ok {
		// Closed form: E x = Σ w_k μ_k, Cov x = Σ w_k (s_k² I + μ_k μ_kᵀ) − E x E xᵀ.
		wantMean, wantCov = make([]float64, d), make([]float64, d*d)
		w, mus := m.ModeWeights(), m.Modes()
		for k, mu := range mus {
			for a := range d {
				wantMean[a] += w[k] * mu[a]
				wantCov[a*d+a] += w[k] * m.ModeStd(k) * m.ModeStd(k)
				for b := range d {
					wantCov[a*d+b] += w[k] * mu[a] * mu[b]
				}
			}
		}
		for a := range d {
			for b := range d {
				wantCov[a*d+b] -= wantMean[a] * wantMean[b]
			}
		}
		for k := range wantCov { // the quadrature agrees with the closed form
			if math.Abs(qCov[k]-wantCov[k]) > 1e-3*math.Max(1, math.Abs(wantCov[k])) {
				t.Errorf("quadrature covariance %v, closed form %v", qCov, wantCov)
				break
			}
		}
	}
	for a := range d {
		if math.Abs(mean[a]-wantMean[a]) > 5*seMean[a] {
			t.Errorf("mean[%d] = %.5f, want %.5f ± %.2g", a, mean[a], wantMean[a], 5*seMean[a])
		}
	}
	for k := range cov {
		if math.Abs(cov[k]-wantCov[k]) > 5*seCov[k] {
			t.Errorf("cov[%d] = %.5f, want %.5f ± %.2g", k, cov[k], wantCov[k], 5*seCov[k])
		}
	}
	counts := make([]float64, cells*cells)
	for i := 0; i < len(x); i += 2 {
		ci := int(math.Floor((x[i] - lo[0]) / (hi[0] - lo[0]) * float64(cells)))
		cj := int(math.Floor((x[i+1] - lo[1]) / (hi[1] - lo[1]) * float64(cells)))
		if ci >= 0 && ci < cells && cj >= 0 && cj < cells {
			counts[ci*cells+cj]++
		}
	}
	// Counts within 5 binomial standard deviations plus 3 samples: the slack
	// covers cells with tiny expected counts, where the normal approximation
	// fails (P(count ≥ 4) < 1e−6 for an expectation of 0.05).
	for k, p := range qCells {
		want := p * float64(n)
		if math.Abs(counts[k]-want) > 5*math.Sqrt(want*(1-p))+3 {
			t.Errorf("cell %d holds %v samples, quadrature expects %.2f", k, counts[k], want)
		}
	}
	t.Logf("mean %.4f cov %.4f (want %.4f, %.4f), box mass %.6f", mean, cov, wantMean, wantCov, z)
}

// referenceFigures are the data README's statistics of the reference sets:
// virial ⟨x·∇E⟩ and energies (temperature 1).
var referenceFigures = map[string]struct {
	virial, virialTol, meanE float64
	minE, maxE               float64 // test split, to the README's rounding
	roundE                   float64 // 0: range not checked
}{
	// DW-4: virial 5.34 ± 0.36 (issue: within 5.34 ± 0.5); energies −22.45,
	// min −25.75, max −11.84, all reproduced to the README's rounding.
	"dw4": {5.34, 0.5, -22.45, -25.75, -11.84, 0.005},
	// LJ-13: virial 36 = (13 − 1)·3 (issue: ± 1); mean energy −43.2. The
	// README's range (−65.5, −18.0) matches no subset we tried (the whole test
	// split gives −66.18 and −10.21, its first 1000 rows −63.99 and −18.00), so
	// it is not checked.
	"lj13": {36, 1, -43.2, 0, 0, 0},
}

func checkReference(t *testing.T, tg Target) {
	f, ok := referenceFigures[tg.Name()]
	if !ok {
		t.Fatalf("no reference figures for %s", tg.Name())
	}
	p := tg.(ParticleSystem)
	np, sd := p.Particles()
	d := tg.Dim()
	for _, split := range []string{"test", "val"} {
		t.Run(split, func(t *testing.T) {
			ref, err := tg.(Referenced).Reference(split)
			if err != nil {
				t.Fatal(err)
			}
			rows := len(ref) / d
			if rows != 10000 || len(ref)%d != 0 {
				t.Fatalf("%d values, want 10000 rows of %d", len(ref), d)
			}
			// Centred on load: every row has zero particle mean.
			for i := 0; i < len(ref); i += d {
				for c := range sd {
					var m float64
					for k := range np {
						m += ref[i+k*sd+c]
					}
					if math.Abs(m/float64(np)) > 1e-12 {
						t.Fatalf("row %d: particle mean %v in coordinate %d", i/d, m/float64(np), c)
					}
				}
			}
			// A fresh copy: writing into it does not change the next one.
			ref[0] += 1
			again, _ := tg.(Referenced).Reference(split)
			if again[0] == ref[0] {
				t.Fatal("Reference returned shared storage")
			}
			ref[0] -= 1
			logp, score := make([]float64, rows), make([]float64, len(ref))
			LogProbScoreBatch(tg, logp, score, ref)
			var virial, meanE float64
			minE, maxE := math.Inf(1), math.Inf(-1)
			for i := range rows {
				e := -logp[i]
				meanE += e
				minE, maxE = math.Min(minE, e), math.Max(maxE, e)
				for j := range d {
					virial -= ref[i*d+j] * score[i*d+j] // x·∇E = −x·score
				}
			}
			virial /= float64(rows)
			meanE /= float64(rows)
			t.Logf("%s %s: virial %.3f, energy mean %.3f min %.3f max %.3f", tg.Name(), split, virial, meanE, minE, maxE)
			if math.Abs(virial-f.virial) > f.virialTol {
				t.Errorf("virial %.3f, want %.2f ± %.2f", virial, f.virial, f.virialTol)
			}
			if math.Abs(meanE-f.meanE) > 0.5 {
				t.Errorf("mean energy %.3f, want %.2f ± 0.5", meanE, f.meanE)
			}
			if split == "test" && f.roundE > 0 && (math.Abs(minE-f.minE) > f.roundE || math.Abs(maxE-f.maxE) > f.roundE) {
				t.Errorf("energy range [%.3f, %.3f], want [%v, %v]", minE, maxE, f.minE, f.maxE)
			}
		})
	}
}

// knownValues holds each target's hand-computed or independently computed
// values.
var knownValues = map[string]func(t *testing.T, tg Target){
	"gmm40":  mixtureAtMeans,
	"gmm80":  mixtureAtMeans,
	"gmm120": mixtureAtMeans,
	"uneven": mixtureAtMeans,
	"dw4": func(t *testing.T, tg Target) {
		cases := []struct {
			name string
			x    []float64
			want float64
		}{
			// Distances 1, 1, 1, 2, 2, 3: 3(0.9·81 − 36) + 2(0.9·16 − 16) + (0.9 − 4) = 104.4.
			{"line_spacing_1", []float64{0, 0, 1, 0, 2, 0, 3, 0}, 104.4},
			// Square of side 4: sides contribute 0, diagonals u = 4(√2 − 1):
			// 2(0.9u⁴ − 4u²) = 7449.6 − 5273.6√2.
			{"square_side_4", []float64{0, 0, 4, 0, 0, 4, 4, 4}, 7449.6 - 5273.6*math.Sqrt2},
			// Every distance 4 is impossible in 2-D; all particles at one point: 6(0.9·256 − 64).
			{"coincident", make([]float64, 8), 6 * (0.9*256 - 64)},
		}
		for _, c := range cases {
			if got := -tg.LogProb(c.x); math.Abs(got-c.want) > 1e-9*math.Max(1, math.Abs(c.want)) {
				t.Errorf("%s: E = %.12g, want %.12g", c.name, got, c.want)
			}
		}
		checkParticleOracle(t, tg, dw4Oracle)
	},
	"lj13": ljKnown,
	"lj55": ljKnown,
	"rings": func(t *testing.T, tg Target) {
		// A single ring of radius 0 is the Gaussian N(0, s² I): Z = 2π s².
		g, err := NewRings("blob", []float64{0}, 0.7, nil)
		if err != nil {
			t.Fatal(err)
		}
		x := []float64{0.3, -0.4}
		want := -math.Log(2*math.Pi*0.49) - 0.25/(2*0.49)
		if got := g.LogProb(x); math.Abs(got-want) > 1e-12 {
			t.Errorf("radius-0 ring: log π = %.15f, want %.15f", got, want)
		}
		// On ring 3 (weight 1/2), far from the others: π ≈ (1/2)/Z_3 with
		// Z_3 ≈ 2π·3·s√(2π) (Φ(25) = 1 and e^{−312} = 0 to double precision).
		s := 0.12
		want = math.Log(0.5) - math.Log(2*math.Pi*3*s*math.Sqrt(2*math.Pi))
		if got := tg.LogProb([]float64{0, 3}); math.Abs(got-want) > 1e-12 {
			t.Errorf("on ring 3: log π = %.15f, want %.15f", got, want)
		}
		if s := tg.Score(nil, []float64{0, 0}); !allZero(s) {
			t.Errorf("score at the origin %v, want 0", s)
		}
	},
	"manywell": func(t *testing.T, tg Target) {
		cases := []struct {
			x    []float64
			want float64
		}{
			{[]float64{2, 2}, 0}, {[]float64{-2, 2}, 0}, {[]float64{0, 0}, 10}, {[]float64{2, 0}, 5},
			{[]float64{4, -2}, 45}, // 5(4 − 1)² + 0
		}
		for _, c := range cases {
			if got := -tg.LogProb(c.x); math.Abs(got-c.want) > 1e-12 {
				t.Errorf("E(%v) = %v, want %v", c.x, got, c.want)
			}
		}
		for _, m := range tg.(Moder).Modes() {
			if s := tg.Score(nil, m); !allZero(s) {
				t.Errorf("score at the mode %v = %v, want 0", m, s)
			}
		}
	},
}

// mixtureAtMeans compares log π at every mean with a direct sum
// log Σ_k w_k (2π s_k²)^{−d/2} exp(−‖x − μ_k‖²/2s_k²) computed without
// log-sum-exp.
func mixtureAtMeans(t *testing.T, tg Target) {
	m := tg.(Moder)
	w, mus := m.ModeWeights(), m.Modes()
	for _, x := range mus {
		var p float64
		for k, mu := range mus {
			s2 := m.ModeStd(k) * m.ModeStd(k)
			var r2 float64
			for j := range x {
				r2 += (x[j] - mu[j]) * (x[j] - mu[j])
			}
			p += w[k] * math.Pow(2*math.Pi*s2, -float64(len(x))/2) * math.Exp(-r2/(2*s2))
		}
		if got := tg.LogProb(x); math.Abs(got-math.Log(p)) > 1e-12 {
			t.Errorf("log π(%v) = %.15f, direct sum %.15f", x, got, math.Log(p))
		}
	}
}

func ljKnown(t *testing.T, tg Target) {
	// Two particles at the pair minimum d = 1 (plus the softening): the pair
	// contributes 2·ε(1 − 2) = −2, the tether ½(0.5² + 0.5²) = 0.25.
	two, err := NewLJ(2)
	if err != nil {
		t.Fatal(err)
	}
	if got := -two.LogProb([]float64{-0.5, 0, 0, 0.5, 0, 0}); math.Abs(got-(-1.75)) > 1e-9 {
		t.Errorf("LJ pair at d = 1: E = %.12f, want −1.75", got)
	}
	// The pair force vanishes at d = 1 up to the softening (24(u⁻⁴ − u⁻⁷)·1
	// ≈ 7.2e−5 at u = 1 + 1e−6); the tether's score is −(x_i − x̄) = ±0.5.
	if s := two.Score(nil, []float64{-0.5, 0, 0, 0.5, 0, 0}); math.Abs(s[0]-0.5) > 1e-4 || math.Abs(s[3]+0.5) > 1e-4 {
		t.Errorf("LJ pair at d = 1: only the tether pulls, score %v, want ±0.5 in x", s)
	}
	checkParticleOracle(t, tg, ljOracle)
}

// checkParticleOracle compares the energy at test configurations with an
// independent oracle.
func checkParticleOracle(t *testing.T, tg Target, oracle func(x []float64, n, sd int) float64) {
	n, sd := tg.(ParticleSystem).Particles()
	x := testPoints(t, tg, newRNG(5), 20)
	d := tg.Dim()
	for i := 0; i < len(x); i += d {
		xi := x[i : i+d]
		want := oracle(xi, n, sd)
		if got := -tg.LogProb(xi); math.Abs(got-want) > 1e-10*math.Max(1, math.Abs(want)) {
			t.Errorf("row %d: E = %.12g, oracle %.12g", i/d, got, want)
		}
	}
}

// dw4Oracle is the DW-4 energy written out independently with math.Pow.
func dw4Oracle(x []float64, n, sd int) float64 {
	var e float64
	for i := range n {
		for j := i + 1; j < n; j++ {
			d := math.Hypot(x[i*sd]-x[j*sd], x[i*sd+1]-x[j*sd+1])
			e += 0.9*math.Pow(d-4, 4) - 4*math.Pow(d-4, 2)
		}
	}
	return e
}

// ljOracle is the LJ energy written as the benchmark does: the sum over
// ordered pairs i ≠ j (no factor 2) plus the tether.
func ljOracle(x []float64, n, sd int) float64 {
	var e float64
	mean := make([]float64, sd)
	for i := range n {
		for c := range sd {
			mean[c] += x[i*sd+c] / float64(n)
		}
		for j := range n {
			if i == j {
				continue
			}
			var r2 float64
			for c := range sd {
				r2 += math.Pow(x[i*sd+c]-x[j*sd+c], 2)
			}
			d := math.Sqrt(r2 + 1e-6)
			e += math.Pow(1/d, 12) - 2*math.Pow(1/d, 6)
		}
	}
	for i := range n {
		for c := range sd {
			e += 0.5 * math.Pow(x[i*sd+c]-mean[c], 2)
		}
	}
	return e
}
