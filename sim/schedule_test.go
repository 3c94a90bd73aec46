package sim

import (
	"math"
	"testing"
)

func TestVEScheduleEndpoints(t *testing.T) {
	for _, s := range []VESchedule{gmm40Schedule, {SigmaMin: 1e-5, SigmaMax: 3}, {SigmaMin: 0.5, SigmaMax: 4}} {
		if h := s.H(0); h != 0 {
			t.Errorf("%+v: h(0) = %v, want 0", s, h)
		}
		// h(1) = σ_min²((σ_max/σ_min)² − 1) = σ_max² − σ_min².
		want := s.SigmaMax*s.SigmaMax - s.SigmaMin*s.SigmaMin
		if h := s.H(1); math.Abs(h-want) > 1e-13*want {
			t.Errorf("%+v: h(1) = %v, want %v", s, h, want)
		}
		if sd := s.PriorStd(); math.Abs(sd-math.Sqrt(want)) > 1e-13*sd {
			t.Errorf("%+v: prior std %v, want %v", s, sd, math.Sqrt(want))
		}
		// g(0)² = 2 ln(σ_max/σ_min) σ_min², g(1)² = 2 ln(σ_max/σ_min) σ_max².
		lr := math.Log(s.SigmaMax / s.SigmaMin)
		if g := s.G2(0); math.Abs(g-2*lr*s.SigmaMin*s.SigmaMin) > 1e-13*g {
			t.Errorf("%+v: g(0)² = %v", s, g)
		}
		if g := s.G2(1); math.Abs(g-2*lr*s.SigmaMax*s.SigmaMax) > 1e-12*g {
			t.Errorf("%+v: g(1)² = %v", s, g)
		}
	}
}

// TestVEScheduleG2IsDerivative checks g² = dh/dt against five-point finite
// differences, and that h, σ and g² increase with t.
func TestVEScheduleG2IsDerivative(t *testing.T) {
	s := gmm40Schedule
	prevH, prevG := -1.0, 0.0
	for i := 1; i < 100; i++ {
		tt := float64(i) / 100
		step := 1e-4
		num := fd5(func() float64 { return s.H(tt) }, &tt, step)
		if g := s.G2(tt); math.Abs(g-num) > 1e-7*g {
			t.Errorf("t = %v: g² = %v, dh/dt ≈ %v", tt, g, num)
		}
		if h := s.H(tt); !(h > prevH) || !(s.G2(tt) > prevG) || math.Abs(s.Sigma(tt)-math.Sqrt(h)) > 0 {
			t.Errorf("t = %v: h %v (previous %v), g² %v (previous %v) not increasing", tt, h, prevH, s.G2(tt), prevG)
		}
		prevH, prevG = s.H(tt), s.G2(tt)
	}
}

func TestVEScheduleValidate(t *testing.T) {
	for _, bad := range [][2]float64{{0, 1}, {-1, 1}, {1, 1}, {2, 1}, {math.NaN(), 1}, {0.1, math.NaN()}, {0.1, math.Inf(1)}} {
		if _, err := NewVESchedule(bad[0], bad[1]); err == nil {
			t.Errorf("accepted (σ_min, σ_max) = %v", bad)
		}
	}
	if _, err := NewVESchedule(5e-4, 50); err != nil {
		t.Error(err)
	}
}

func TestVEScheduleTimeOfSigmaInvertsSigma(t *testing.T) {
	s := gmm40Schedule
	for _, tt := range []float64{0, 1e-6, 0.01, 0.3, 0.5, 0.99, 1} {
		if got := s.TimeOfSigma(s.Sigma(tt)); math.Abs(got-tt) > 1e-12 {
			t.Errorf("TimeOfSigma(Sigma(%v)) = %v", tt, got)
		}
	}
	if got := s.TimeOfSigma(60); !(got > 1) {
		t.Errorf("σ = 60 > σ_1 gives t = %v, want > 1", got)
	}
}
