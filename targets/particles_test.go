package targets

import (
	"math"
	"slices"
	"testing"
)

func TestRemoveMean(t *testing.T) {
	x := []float64{1, 2, 3, 4, 5, 9} // 3 particles in 2-D, mean (3, 5)
	RemoveMean(x, 3, 2)
	want := []float64{-2, -3, 0, -1, 2, 4}
	for i := range x {
		if x[i] != want[i] {
			t.Fatalf("RemoveMean = %v, want %v", x, want)
		}
	}
	batch := []float64{1, 1, 3, 3, 0, 0, 0, 10} // two configurations of 2 particles
	RemoveMeanBatch(batch, 2, 2)
	wantB := []float64{-1, -1, 1, 1, 0, -5, 0, 5}
	for i := range batch {
		if batch[i] != wantB[i] {
			t.Fatalf("RemoveMeanBatch = %v, want %v", batch, wantB)
		}
	}
	// More than four spatial dimensions take the allocating path.
	y := []float64{1, 2, 3, 4, 5, 3, 4, 5, 6, 7}
	RemoveMean(y, 2, 5)
	for i, v := range y {
		if v != []float64{-1, -1, -1, -1, -1, 1, 1, 1, 1, 1}[i] {
			t.Fatalf("5-D RemoveMean = %v", y)
		}
	}
}

func TestEffectiveDim(t *testing.T) {
	for _, c := range []struct {
		name     string
		n, sd, d int
	}{{"dw4", 4, 2, 6}, {"lj13", 13, 3, 36}, {"lj55", 55, 3, 162}, {"single", 1, 3, 0}} {
		t.Run(c.name, func(t *testing.T) {
			if got := EffectiveDim(c.n, c.sd); got != c.d {
				t.Errorf("EffectiveDim(%d, %d) = %d, want %d", c.n, c.sd, got, c.d)
			}
		})
	}
}

func TestMeanFreeProjector(t *testing.T) {
	if MeanFreeProjector(mustLookup(t, "gmm40")) != nil {
		t.Error("a mixture has no mean-free projection")
	}
	p := MeanFreeProjector(mustLookup(t, "dw4"))
	x := []float64{1, 0, 3, 0, 5, 0, 7, 2, 0, 0, 0, 0, 0, 0, 0, 4}
	p(x)
	for s := 0; s < len(x); s += 8 {
		var mx, my float64
		for i := 0; i < 8; i += 2 {
			mx += x[s+i]
			my += x[s+i+1]
		}
		if math.Abs(mx) > 1e-15 || math.Abs(my) > 1e-15 {
			t.Fatalf("configuration %d not centred: %v", s/8, x[s:s+8])
		}
	}
}

func TestPairDistances(t *testing.T) {
	// Three particles in 2-D at (0,0), (3,0), (3,4): d01 = 3, d02 = 5, d12 = 4.
	x := []float64{0, 0, 3, 0, 3, 4, 1, 1, 1, 1, 1, 1}
	got := PairDistances(nil, x, 3, 2)
	want := []float64{3, 5, 4, 0, 0, 0}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("PairDistances = %v, want %v", got, want)
		}
	}
	// Against a brute-force loop on LJ-13 reference rows, into a reused dst.
	lj := mustLookup(t, "lj13")
	ref := testPoints(t, lj, newRNG(9), 5)
	dst := make([]float64, 5*NumPairs(13))
	PairDistances(dst, ref, 13, 3)
	k := 0
	for s := 0; s < len(ref); s += 39 {
		for i := range 13 {
			for j := i + 1; j < 13; j++ {
				a, b := ref[s+3*i:s+3*i+3], ref[s+3*j:s+3*j+3]
				w := math.Sqrt((a[0]-b[0])*(a[0]-b[0]) + (a[1]-b[1])*(a[1]-b[1]) + (a[2]-b[2])*(a[2]-b[2]))
				if dst[k] != w {
					t.Fatalf("pair (%d, %d) of row %d: %v, want %v", i, j, s/39, dst[k], w)
				}
				k++
			}
		}
	}
}

func TestParticleHelpersPanic(t *testing.T) {
	cases := []struct {
		name string
		f    func()
	}{
		{"remove_mean_length", func() { RemoveMean(make([]float64, 5), 3, 2) }},
		{"remove_mean_batch_length", func() { RemoveMeanBatch(make([]float64, 7), 2, 2) }},
		{"effective_dim_zero", func() { EffectiveDim(0, 3) }},
		{"pair_distances_dst", func() { PairDistances(make([]float64, 2), make([]float64, 6), 3, 2) }},
		{"pair_distances_one_particle", func() { PairDistances(nil, make([]float64, 3), 1, 3) }},
		{"batch_size", func() { LogProbScoreBatch(NewDW4(), make([]float64, 2), nil, make([]float64, 8)) }},
		{"score_size", func() { NewDW4().Score(make([]float64, 3), make([]float64, 8)) }},
		{"energy_batch_size", func() { EnergyBatch(NewDW4(), nil, make([]float64, 7)) }},
		{"symmetrize_length", func() { Symmetrize(make([]float64, 7), 2, 2, newRNG(1)) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, ok := r.(string); !ok || len(s) < 9 || s[:9] != "targets: " {
					t.Fatalf("recovered %v, want a \"targets: ...\" panic", r)
				}
			}()
			c.f()
		})
	}
}

// TestParticleSymmetries checks that the particle energies are invariant
// under translation, rotation and permutation of the particles, and that
// their scores transform accordingly (rotated, permuted, summing to zero).
func TestParticleSymmetries(t *testing.T) {
	for _, name := range []string{"dw4", "lj13", "lj55"} {
		t.Run(name, func(t *testing.T) {
			tg := mustLookup(t, name)
			n, sd := tg.(ParticleSystem).Particles()
			rng := newRNG(10)
			x := testPoints(t, tg, rng, 1)
			e := tg.LogProb(x)
			s := tg.Score(nil, x)
			for c := range sd {
				var sum float64
				for i := range n {
					sum += s[i*sd+c]
				}
				if math.Abs(sum) > 1e-9*(1+math.Abs(e)) {
					t.Errorf("score components sum to %v in coordinate %d", sum, c)
				}
			}
			// A random rotation (product of plane rotations), a shift and a
			// permutation.
			rot := identity(sd)
			for a := range sd {
				for b := a + 1; b < sd; b++ {
					rot = matMul(rot, planeRotation(sd, a, b, 2*math.Pi*rng.Float64()), sd)
				}
			}
			perm := rng.Perm(n)
			y := make([]float64, len(x))
			for i := range n {
				for c := range sd {
					var v float64
					for k := range sd {
						v += rot[c*sd+k] * x[perm[i]*sd+k]
					}
					y[i*sd+c] = v + 0.37*float64(c+1)
				}
			}
			if ey := tg.LogProb(y); math.Abs(ey-e) > 1e-9*math.Max(1, math.Abs(e)) {
				t.Errorf("log π changed from %v to %v under a rigid motion and permutation", e, ey)
			}
			sy := tg.Score(nil, y)
			for i := range n {
				for c := range sd {
					var v float64
					for k := range sd {
						v += rot[c*sd+k] * s[perm[i]*sd+k]
					}
					if math.Abs(sy[i*sd+c]-v) > 1e-8*math.Max(1, math.Abs(v)) {
						t.Fatalf("score of particle %d is not the rotated, permuted score: %v vs %v", i, sy[i*sd+c], v)
					}
				}
			}
		})
	}
}

func identity(d int) []float64 {
	m := make([]float64, d*d)
	for i := range d {
		m[i*d+i] = 1
	}
	return m
}

func planeRotation(d, a, b int, th float64) []float64 {
	m := identity(d)
	m[a*d+a], m[a*d+b], m[b*d+a], m[b*d+b] = math.Cos(th), -math.Sin(th), math.Sin(th), math.Cos(th)
	return m
}

func matMul(p, q []float64, d int) []float64 {
	m := make([]float64, d*d)
	for i := range d {
		for j := range d {
			for k := range d {
				m[i*d+j] += p[i*d+k] * q[k*d+j]
			}
		}
	}
	return m
}

// TestSymmetrize checks that the random rotation and relabelling keeps every
// pairwise distance, the energy and the zero centre of mass of reference
// configurations, that the matrices are orthogonal, and that copies of one
// DW-4 configuration end up isotropic with every particle equally likely
// under each label.
func TestSymmetrize(t *testing.T) {
	rng := newRNG(21)
	for _, name := range []string{"dw4", "lj13"} {
		tg := mustLookup(t, name)
		n, sd := tg.(ParticleSystem).Particles()
		ref, err := tg.(Referenced).Reference("test")
		if err != nil {
			t.Fatal(err)
		}
		d := tg.Dim()
		x := append([]float64(nil), ref[:5*d]...)
		Symmetrize(x, n, sd, rng)
		for r := range 5 {
			a, b := ref[r*d:(r+1)*d], x[r*d:(r+1)*d]
			if ea, eb := tg.LogProb(a), tg.LogProb(b); math.Abs(ea-eb) > 1e-9*math.Max(1, math.Abs(ea)) {
				t.Errorf("%s row %d: log π %v became %v", name, r, ea, eb)
			}
			da, db := PairDistances(nil, a, n, sd), PairDistances(nil, b, n, sd)
			slices.Sort(da)
			slices.Sort(db)
			for i := range da {
				if math.Abs(da[i]-db[i]) > 1e-12*(1+da[i]) {
					t.Fatalf("%s row %d: sorted pair distances changed: %v vs %v", name, r, da[i], db[i])
				}
			}
			for c := range sd {
				var s float64
				for i := range n {
					s += b[i*sd+c]
				}
				if math.Abs(s) > 1e-12 {
					t.Errorf("%s row %d: centre of mass coordinate %d moved to %g", name, r, c, s/float64(n))
				}
			}
		}
		q := make([]float64, sd*sd)
		randomOrthogonal(q, sd, rng)
		for i := range sd {
			for j := range sd {
				var dot float64
				for k := range sd {
					dot += q[i*sd+k] * q[j*sd+k]
				}
				want := 0.0
				if i == j {
					want = 1
				}
				if math.Abs(dot-want) > 1e-12 {
					t.Errorf("%s: (Q Qᵀ)[%d][%d] = %v", name, i, j, dot)
				}
			}
		}
	}

	dw := mustLookup(t, "dw4")
	ref, _ := dw.(Referenced).Reference("test")
	one := ref[:8]
	norms := make([]float64, 4)
	var r2 float64
	for p := range 4 {
		norms[p] = math.Hypot(one[2*p], one[2*p+1])
		r2 += norms[p] * norms[p] / 4
	}
	const copies = 20000
	x := make([]float64, 0, copies*8)
	for range copies {
		x = append(x, one...)
	}
	Symmetrize(x, 4, 2, rng)
	var m [2]float64
	var cov [3]float64 // xx, xy, yy of particle 0
	var which [4]int
	for r := range copies {
		px, py := x[r*8], x[r*8+1]
		m[0] += px / copies
		m[1] += py / copies
		cov[0] += px * px / copies
		cov[1] += px * py / copies
		cov[2] += py * py / copies
		h := math.Hypot(px, py)
		for p, nm := range norms {
			if math.Abs(h-nm) < 1e-9 {
				which[p]++
			}
		}
	}
	se := math.Sqrt(r2 / 2 / copies)
	t.Logf("particle 0: mean (%.3f, %.3f), second moments %.3f %.3f %.3f (want %.3f, 0, %.3f), labels %v", m[0], m[1], cov[0], cov[1], cov[2], r2/2, r2/2, which)
	if math.Abs(m[0]) > 5*se || math.Abs(m[1]) > 5*se {
		t.Errorf("particle 0's mean position (%v, %v), want 0 ± %.3f", m[0], m[1], 5*se)
	}
	if math.Abs(cov[0]-r2/2) > 0.05*r2 || math.Abs(cov[2]-r2/2) > 0.05*r2 || math.Abs(cov[1]) > 0.05*r2 {
		t.Errorf("particle 0's second moments %v, want isotropic %v", cov, r2/2)
	}
	for p, c := range which {
		if math.Abs(float64(c)/copies-0.25) > 0.015 {
			t.Errorf("label 0 holds original particle %d in %d of %d copies, want a quarter", p, c, copies)
		}
	}
}
