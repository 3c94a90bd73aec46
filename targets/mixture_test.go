package targets

import (
	"math"
	"strings"
	"testing"
)

// unevenStd is a mixture whose modes have different widths, which takes the
// per-mode (non-shared) variance paths.
func unevenStd(t testing.TB) *Mixture {
	m, err := NewMixture("mixed", [][]float64{{-1, 0}, {2, 1}, {0.5, -2}}, []float64{0.3, 1.1, 0.6}, []float64{2, 1, 1})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// noisedTarget exposes a mixture at fixed noise σ as a Target, so that the
// finite-difference helper applies to the noised density.
type noisedTarget struct {
	m     *Mixture
	sigma float64
}

func (n noisedTarget) Name() string                { return n.m.Name() }
func (n noisedTarget) Dim() int                    { return n.m.Dim() }
func (n noisedTarget) LogProb(x []float64) float64 { return n.m.NoisedLogProbScore(nil, x, n.sigma) }
func (n noisedTarget) Score(dst, x []float64) []float64 {
	if dst == nil {
		dst = make([]float64, n.m.Dim())
	}
	n.m.NoisedLogProbScore(dst, x, n.sigma)
	return dst
}

func TestNoisedScoreMatchesFiniteDifference(t *testing.T) {
	for _, c := range []struct {
		name string
		m    *Mixture
	}{
		{"gmm40", mustLookup(t, "gmm40").(*Mixture)},
		{"uneven", mustLookup(t, "uneven").(*Mixture)},
		{"mixed_std", unevenStd(t)},
	} {
		for _, sigma := range []float64{0, 0.05, 0.7, 3, 40} {
			nt := noisedTarget{c.m, sigma}
			x := testPoints(t, c.m, newRNG(6), 25)
			for i := 0; i < len(x); i += 2 {
				if e := fdScoreError(nt, x[i:i+2]); !(e < 1e-5) {
					t.Errorf("%s σ=%v at %v: noised score vs finite difference error %.3g", c.name, sigma, x[i:i+2], e)
				}
			}
		}
	}
}

// TestNoisedMatchesConvolution checks the closed form against a direct
// quadrature of the convolution p_σ(x) = ∫ π(y) N(x − y; 0, σ² I) dy.
func TestNoisedMatchesConvolution(t *testing.T) {
	for _, m := range []*Mixture{mustLookup(t, "uneven").(*Mixture), unevenStd(t)} {
		const sigma = 0.5
		lo, hi := []float64{-9, -9}, []float64{9, 9}
		const grid = 360 // step 0.05, well below the narrowest width 0.3
		h := (hi[0] - lo[0]) / grid
		for _, x := range [][]float64{{0, 0}, {-2.5, -1.5}, {1.3, 2.1}, {3, -3}} {
			var p float64
			y := make([]float64, 2)
			for i := range grid {
				y[0] = lo[0] + (float64(i)+0.5)*h
				for j := range grid {
					y[1] = lo[1] + (float64(j)+0.5)*h
					r2 := (x[0]-y[0])*(x[0]-y[0]) + (x[1]-y[1])*(x[1]-y[1])
					p += math.Exp(m.LogProb(y)) * math.Exp(-r2/(2*sigma*sigma)) / (2 * math.Pi * sigma * sigma) * h * h
				}
			}
			got := m.NoisedLogProbScore(nil, x, sigma)
			if math.Abs(got-math.Log(p)) > 1e-6 {
				t.Errorf("%s at %v: log p_σ = %.9f, quadrature %.9f", m.Name(), x, got, math.Log(p))
			}
		}
	}
}

// TestNoisedLimit checks that σ → 0 recovers the target and its score.
func TestNoisedLimit(t *testing.T) {
	for _, m := range []*Mixture{mustLookup(t, "gmm40").(*Mixture), unevenStd(t)} {
		x := testPoints(t, m, newRNG(7), 50)
		s0, s1 := make([]float64, 2), make([]float64, 2)
		for i := 0; i < len(x); i += 2 {
			xi := x[i : i+2]
			lp0 := m.LogProb(xi)
			m.Score(s0, xi)
			lp1 := m.NoisedLogProbScore(s1, xi, 1e-7)
			if math.Abs(lp1-lp0) > 1e-9*math.Max(1, math.Abs(lp0)) {
				t.Errorf("%s at %v: log p_σ→0 = %v, log π = %v", m.Name(), xi, lp1, lp0)
			}
			for j := range s0 {
				if math.Abs(s1[j]-s0[j]) > 1e-9*math.Max(1, math.Abs(s0[j])) {
					t.Errorf("%s at %v: noised score %v, score %v", m.Name(), xi, s1, s0)
					break
				}
			}
		}
	}
}

func TestNoisedBatch(t *testing.T) {
	m := unevenStd(t)
	x := testPoints(t, m, newRNG(8), 17)
	logp, score := make([]float64, 17), make([]float64, 34)
	m.NoisedBatch(logp, score, x, 0.4)
	s := make([]float64, 2)
	for i := range logp {
		lp := m.NoisedLogProbScore(s, x[2*i:2*i+2], 0.4)
		if lp != logp[i] || s[0] != score[2*i] || s[1] != score[2*i+1] {
			t.Fatalf("row %d: batch %v %v, single %v %v", i, logp[i], score[2*i:2*i+2], lp, s)
		}
	}
}

func TestNewMixtureErrors(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	cases := []struct {
		name    string
		means   [][]float64
		std, w  []float64
		wantErr string
	}{
		{"no_modes", nil, nil, nil, "at least one mode"},
		{"empty_mean", [][]float64{{}}, []float64{1}, nil, "at least one coordinate"},
		{"std_count", [][]float64{{0}, {1}}, []float64{1}, nil, "standard deviations"},
		{"weight_count", [][]float64{{0}}, []float64{1}, []float64{1, 2}, "weights"},
		{"ragged", [][]float64{{0, 1}, {1}}, []float64{1, 1}, nil, "coordinates"},
		{"nan_mean", [][]float64{{nan}}, []float64{1}, nil, "not finite"},
		{"zero_std", [][]float64{{0}}, []float64{0}, nil, "standard deviation"},
		{"inf_std", [][]float64{{0}}, []float64{inf}, nil, "standard deviation"},
		{"negative_weight", [][]float64{{0}, {1}}, []float64{1, 1}, []float64{1, -1}, "weight"},
		{"nan_weight", [][]float64{{0}}, []float64{1}, []float64{nan}, "weight"},
		{"overflowing_weights", [][]float64{{0}, {1}}, []float64{1, 1}, []float64{math.MaxFloat64, math.MaxFloat64}, "overflow"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewMixture("m", c.means, c.std, c.w)
			if err == nil || !strings.Contains(err.Error(), c.wantErr) || !strings.HasPrefix(err.Error(), "targets: ") {
				t.Fatalf("err = %v, want one mentioning %q", err, c.wantErr)
			}
		})
	}
}

func TestMixtureNoiseHint(t *testing.T) {
	m := unevenStd(t)
	lo, hi := m.Bounds()
	half := math.Max(hi[0]-lo[0], hi[1]-lo[1]) / 2
	if a, b := m.NoiseHint(); a != 1e-5*half || b != half {
		t.Errorf("default NoiseHint = (%v, %v), want (1e-5·%v, %v)", a, b, half, half)
	}
	for _, c := range []struct {
		name     string
		min, max float64
		ok       bool
	}{
		{"valid", 0.01, 3, true}, {"zero_min", 0, 3, false}, {"reversed", 3, 1, false},
		{"infinite_max", 1, math.Inf(1), false}, {"nan", math.NaN(), 1, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := m.SetNoiseHint(c.min, c.max)
			if (err == nil) != c.ok {
				t.Fatalf("SetNoiseHint(%v, %v) = %v", c.min, c.max, err)
			}
		})
	}
	if a, b := m.NoiseHint(); a != 0.01 || b != 3 {
		t.Errorf("NoiseHint after a valid and several rejected settings = (%v, %v), want (0.01, 3)", a, b)
	}
}

func TestShapeConstructorErrors(t *testing.T) {
	cases := []struct {
		name string
		err  error
	}{
		{"rings_no_radius", second(NewRings("r", nil, 0.1, nil))},
		{"rings_negative_radius", second(NewRings("r", []float64{-1}, 0.1, nil))},
		{"rings_zero_width", second(NewRings("r", []float64{1}, 0, nil))},
		{"rings_weight_count", second(NewRings("r", []float64{1}, 0.1, []float64{1, 1}))},
		{"rings_bad_weight", second(NewRings("r", []float64{1}, 0.1, []float64{0}))},
		{"manywell_zero_a", second(NewManyWell("w", 0, 1))},
		{"manywell_inf_h", second(NewManyWell("w", 1, math.Inf(1)))},
		{"lj_one_particle", second(NewLJ(1))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.err == nil || !strings.HasPrefix(c.err.Error(), "targets: ") {
				t.Fatalf("err = %v", c.err)
			}
		})
	}
}

func second[T any](_ T, err error) error { return err }
