package sim

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSigmoidRows checks the sigmoids (the AVX2 code where available, the
// portable code otherwise, and the portable code directly) against
// σ(z) = 1/(1 + math.Exp(−z)): the bias is added exactly, and σ agrees to
// 2 ulp (relative 4.5e-16, or 1e-300 absolute where σ underflows; both
// clamp z at −700, where σ < 1e-304).
func TestSigmoidRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	for _, h := range []int{4, 8, 5, 1} {
		const rows = 9
		z := make([]float64, rows*h)
		for i := range z {
			switch i % 4 {
			case 0:
				z[i] = 3 * rng.NormFloat64()
			case 1:
				z[i] = 100 * (rng.Float64() - 0.5)
			case 2:
				z[i] = 2000 * (rng.Float64() - 0.5)
			default:
				z[i] = 1e-3 * (rng.Float64() - 0.5)
			}
		}
		z[0], z[1] = 0, -1e308
		z[len(z)-1] = 1e308
		bias := make([]float64, h)
		for q := range bias {
			bias[q] = rng.NormFloat64()
		}
		poly := make([]float64, len(z))
		sigmoidsGo(poly, z)
		for i, v := range z {
			if want := sigmoid(v); math.Abs(poly[i]-want) > 4.5e-16*want+1e-300 {
				t.Errorf("portable σ(%v) = %v, want %v", v, poly[i], want)
			}
		}
		for _, b := range [][]float64{nil, bias} {
			zz := append([]float64(nil), z...)
			s := make([]float64, len(z))
			sigmoidRows(s, zz, b, h)
			for i, v := range z {
				if b != nil {
					v += b[i%h]
				}
				if zz[i] != v {
					t.Fatalf("h=%d: z[%d] = %v after the bias, want %v", h, i, zz[i], v)
				}
				want := sigmoid(v)
				if math.Abs(s[i]-want) > 4.5e-16*want+1e-300 {
					t.Errorf("h=%d bias=%v: σ(%v) = %v, want %v", h, b != nil, v, s[i], want)
				}
			}
		}
	}
}

// normCDFRef is the standard normal CDF Φ and density φ in 40-digit
// arithmetic (mpmath 1.3 ncdf and npdf), rounded to 20 digits.
var normCDFRef = []struct{ v, cdf, pdf float64 }{
	{-38, 2.8854283600687843084e-316, 1.097221052007592958e-314},
	{-37.5, 4.6053530095819548438e-308, 1.7282337322841052208e-306},
	{-30, 4.9067139271481870595e-198, 1.473646134878547519e-196},
	{-20, 2.7536241186062336951e-89, 5.5209483621597631896e-88},
	{-12.5, 3.7325642988777133772e-36, 4.6951953579751459996e-35},
	{-8.25, 7.919726314642477341e-17, 6.6271374559687515356e-16},
	{-5, 2.8665157187919391167e-7, 1.4867195147342977079e-6},
	{-3, 0.0013498980316300945267, 0.0044318484119380071756},
	{-1.5, 0.066807201268858066004, 0.12951759566589172761},
	{-1, 0.15865525393145705141, 0.2419707245191433498},
	{-0.5, 0.30853753872598689636, 0.35206532676429947777},
	{-0.001, 0.49960105778608893742, 0.398942080930342345},
	{0, 0.5, 0.39894228040143267794},
	{0.001, 0.50039894221391106258, 0.398942080930342345},
	{0.5, 0.69146246127401310364, 0.35206532676429947777},
	{1, 0.84134474606854294859, 0.2419707245191433498},
	{1.5, 0.933192798731141934, 0.12951759566589172761},
	{3, 0.99865010196836990547, 0.0044318484119380071756},
	{5, 0.99999971334842812081, 1.4867195147342977079e-6},
	{8.25, 0.9999999999999999208, 6.6271374559687515356e-16},
}

// geluPaths are the implementations of geluRows that run here: the
// dispatcher (AVX2 where present) and the portable code.
func geluPaths() map[string]func(z, dg, v, res []float64) {
	return map[string]func(z, dg, v, res []float64){"dispatch": geluRows, "go": geluGo}
}

// TestNormCDFAgainstReference checks Φ and φ of every path against the
// 40-digit values: 4 ulp relative (2^-50), down to v = −37.5, where Φ is
// still a normal number; below, Φ and φ are flushed to 0 (they are
// subnormal).
func TestNormCDFAgainstReference(t *testing.T) {
	for name, f := range geluPaths() {
		for _, r := range normCDFRef {
			v := []float64{r.v, r.v, r.v, r.v, r.v} // one vector and a tail
			z, dg := make([]float64, 5), make([]float64, 5)
			f(z, dg, v, nil)
			for i := range v {
				// Recover Φ and φ: z = vΦ, dg = Φ + vφ.
				cdf := z[i] / r.v
				if r.v == 0 {
					cdf = dg[i] // Φ(0) + 0·φ(0)
				}
				tol := 0x1p-50 * r.cdf
				if r.v < -37.6 {
					tol = 1e-307
				}
				if math.Abs(cdf-r.cdf) > tol {
					t.Errorf("%s: Φ(%v) = %v, want %v (error %.3g relative)", name, r.v, cdf, r.cdf, (cdf-r.cdf)/r.cdf)
				}
				if r.v != 0 {
					pdf := (dg[i] - cdf) / r.v
					// dg − Φ cancels where Φ is close to 1: allow for it.
					ptol := 0x1p-50*r.pdf + 0x1p-52*math.Abs(dg[i])/math.Abs(r.v)
					if r.v < -37.6 {
						ptol = 1e-300
					}
					if math.Abs(pdf-r.pdf) > ptol {
						t.Errorf("%s: φ(%v) = %v, want %v", name, r.v, pdf, r.pdf)
					}
				}
			}
		}
	}
}

// TestGeluAgainstErf compares GELU and GELU' of every path, with and without
// a residual, at many points over the whole range (random, tails, and
// lengths that leave a tail for the portable code) with the textbook
// formulas on math.Erf, math.Erfc and math.Exp:
//
//	GELU(v) = v·Φ(v),  Φ(v) = erfc(−v/√2)/2,  GELU'(v) = Φ(v) + v·e^{−v²/2}/√(2π),
//
// to an absolute error of 1e-15·max(1, |v|). It also reports the largest
// relative error of Φ against math.Erf and math.Erfc on |v| ≤ 2 (beyond,
// rounding v/√2 costs math.Erfc about v²/2 ulp).
func TestGeluAgainstErf(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 11))
	const n = 20003
	v := make([]float64, n)
	for i := range v {
		switch i % 5 {
		case 0:
			v[i] = rng.NormFloat64()
		case 1:
			v[i] = 4 * rng.NormFloat64()
		case 2:
			v[i] = 80 * (rng.Float64() - 0.5) // both tails, past ±37.6
		case 3:
			v[i] = 1e-6 * rng.NormFloat64()
		default:
			v[i] = 16 * (rng.Float64() - 0.5)
		}
	}
	v[0], v[1], v[2], v[3] = 0, math.Copysign(0, -1), 1e-300, -1e300
	res := randSlice(rng, n)
	for name, f := range geluPaths() {
		for _, withRes := range []bool{false, true} {
			z, dg := make([]float64, n), make([]float64, n)
			var rs []float64
			if withRes {
				rs = res
			}
			f(z, dg, v, rs)
			worst := 0.0
			for i, vi := range v {
				cdf := 0.5 * math.Erfc(-vi/math.Sqrt2)
				if math.Abs(vi) < 1 {
					cdf = 0.5 * (1 + math.Erf(vi/math.Sqrt2))
				}
				want := vi * cdf
				if withRes {
					want += res[i]
				}
				wantDg := cdf + vi*math.Exp(-0.5*vi*vi)/math.Sqrt(2*math.Pi)
				if math.Abs(vi) > 1e150 {
					wantDg = cdf // v·φ(v) = 0·∞ in floating point
				}
				scale := math.Max(1, math.Abs(vi))
				if e := math.Abs(z[i] - want); !(e <= 1e-15*scale) {
					t.Fatalf("%s res=%v: GELU(%v) = %v, want %v (error %.3g)", name, withRes, vi, z[i], want, e)
				}
				if e := math.Abs(dg[i] - wantDg); !(e <= 1e-15*scale) {
					t.Fatalf("%s res=%v: GELU'(%v) = %v, want %v (error %.3g)", name, withRes, vi, dg[i], wantDg, e)
				}
				if !withRes && vi != 0 && math.Abs(vi) <= 2 {
					worst = math.Max(worst, math.Abs(z[i]/vi-cdf)/cdf)
				}
			}
			if !withRes {
				t.Logf("%s: largest relative error of Φ against math.Erf(c) on |v| ≤ 2: %.3g (%.2f ulp)", name, worst, worst/0x1p-52)
			}
		}
	}
}

// TestGeluSpecialValues checks NaN propagation and the signs at ±Inf.
func TestGeluSpecialValues(t *testing.T) {
	for name, f := range geluPaths() {
		v := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 40, -40}
		z, dg := make([]float64, len(v)), make([]float64, len(v))
		f(z, dg, v, nil)
		if !math.IsNaN(z[0]) || !math.IsNaN(dg[0]) {
			t.Errorf("%s: GELU(NaN) = %v, %v, want NaN", name, z[0], dg[0])
		}
		if !math.IsInf(z[1], 1) {
			t.Errorf("%s: GELU(+Inf) = %v, want +Inf", name, z[1])
		}
		if z[3] != 40 || dg[3] != 1 || z[4] != 0 || dg[4] != 0 {
			t.Errorf("%s: GELU(±40) = %v, %v; GELU'(±40) = %v, %v", name, z[3], z[4], dg[3], dg[4])
		}
	}
}

// TestGeluRowsSizeMismatch checks the size check.
func TestGeluRowsSizeMismatch(t *testing.T) {
	defer func() {
		if r := recover(); r == nil {
			t.Fatal("no panic for mismatched lengths")
		}
	}()
	geluRows(make([]float64, 4), make([]float64, 3), make([]float64, 4), nil)
}

// TestExpSlice checks the slice exponential against math.Exp over the range
// the proposal density uses and beyond.
func TestExpSlice(t *testing.T) {
	var x []float64
	for v := -708.0; v <= 708; v += 0.37 {
		x = append(x, v)
	}
	x = append(x, 0, -1e-300, 1e-17, -40, 709.7/2)
	want := make([]float64, len(x))
	for i, v := range x {
		want[i] = math.Exp(v)
	}
	expSlice(x, make([]float64, len(x)))
	for i := range x {
		if rel := math.Abs(x[i]-want[i]) / want[i]; rel > 8e-16 {
			t.Fatalf("exp: got %v, want %v (relative error %.2g)", x[i], want[i], rel)
		}
	}
}
