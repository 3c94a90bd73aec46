package targets

import (
	"math"
	"testing"
)

// TestRingsRadialMoments checks the rings sampler ring by ring against a
// 1-D quadrature of its radial density ∝ r exp(−(r − r_k)²/2s²) on r > 0:
// the share of samples, E[r] and E[r²]. E[r] = r_k + s²/r_k + … differs from
// r_k by the Jacobian r, which the moment check over the plane cannot see.
func TestRingsRadialMoments(t *testing.T) {
	cases := []struct {
		name  string
		radii []float64
		s     float64
		w     []float64
	}{
		{"registered", []float64{1, 2, 3}, 0.12, []float64{1, 2, 3}},
		{"wide_inner_ring", []float64{0.3, 2}, 0.25, nil},
		{"radius_zero", []float64{0}, 0.5, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rg, err := NewRings(c.name, c.radii, c.s, c.w)
			if err != nil {
				t.Fatal(err)
			}
			n := 100_000
			if underWasm {
				n = 30_000
			}
			x := make([]float64, 2*n)
			rg.SampleInto(x, newRNG(13))
			k := len(c.radii)
			cnt, sr, sr2, sr4 := make([]float64, k), make([]float64, k), make([]float64, k), make([]float64, k)
			for i := 0; i < len(x); i += 2 {
				r := math.Hypot(x[i], x[i+1])
				best := 0 // nearest ring; rings are many widths apart
				for j, rk := range c.radii {
					if math.Abs(r-rk) < math.Abs(r-c.radii[best]) {
						best = j
					}
				}
				cnt[best]++
				sr[best] += r
				sr2[best] += r * r
				sr4[best] += r * r * r * r
			}
			for j, rk := range c.radii {
				// Quadrature of r^p · r φ(r − r_k) on (0, r_k + 12s].
				var z, m1, m2 float64
				const steps = 20000
				h := (rk + 12*c.s) / steps
				for i := range steps {
					r := (float64(i) + 0.5) * h
					f := r * math.Exp(-(r-rk)*(r-rk)/(2*c.s*c.s))
					z += f
					m1 += f * r
					m2 += f * r * r
				}
				m1, m2 = m1/z, m2/z
				w := rg.weights[j]
				share := cnt[j] / float64(n)
				if se := math.Sqrt(w * (1 - w) / float64(n)); math.Abs(share-w) > 5*se+1e-12 {
					t.Errorf("ring %d: share %.5f, want %.5f ± %.2g", j, share, w, 5*se)
				}
				mean, mean2 := sr[j]/cnt[j], sr2[j]/cnt[j]
				seR := math.Sqrt((mean2 - mean*mean) / cnt[j])
				seR2 := math.Sqrt((sr4[j]/cnt[j] - mean2*mean2) / cnt[j])
				if math.Abs(mean-m1) > 5*seR {
					t.Errorf("ring %d: E[r] = %.5f, want %.5f ± %.2g", j, mean, m1, 5*seR)
				}
				if math.Abs(mean2-m2) > 5*seR2 {
					t.Errorf("ring %d: E[r²] = %.5f, want %.5f ± %.2g", j, mean2, m2, 5*seR2)
				}
			}
		})
	}
}
