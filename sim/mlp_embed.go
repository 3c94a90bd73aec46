package sim

import "math"

// The MLP's sinusoidal embedding e(u) = [sin(u f_k)…, cos(u f_k)…] is one
// sine and cosine per frequency, coordinate and row: about 10 % of a
// training pass once the matrix products run on AVX2, through math.Sincos.
// The frequencies f_k = 10000^{−k/(E/2−1)} form a geometric, not an
// arithmetic, sequence, so angle-addition recurrences over k do not apply;
// instead sincosScaled evaluates them four at a time with AVX2
// (mlp_embed_amd64.s), elsewhere one at a time with the same formulas:
//
//	x = u·f_k,  j = round(x·2/π),  r = x − j·π/2  (|r| ≤ π/4),
//	sin r = r + r·z·S(z),  cos r = 1 − z/2 + z²·C(z),  z = r²,
//
// then (sin x, cos x) is (s, c), (c, −s), (−s, −c) or (−c, s) for j mod 4
// = 0, 1, 2, 3. π/2 is split into three parts, the first two of 33
// significant bits, so that j·(π/2)₁ and j·(π/2)₂ are exact for
// |j| < 2^20 (Cody and Waite's reduction): |x| ≤ sincosMaxArg. S and C are
// the Taylor polynomials of degree 15 and 16, whose truncation errors on
// |r| ≤ π/4 are below 7e-17 and 3e-18. Both agree with math.Sincos to
// 2·2^-53 in absolute terms (the tests hold them to it).

// Constants of the reduction (shared with mlp_embed_amd64.s): 2/π and π/2
// in three parts, computed in 50-digit arithmetic.
const (
	sincosTwoOverPi = 0.6366197723675814
	sincosPiO2A     = 1.5707963267341256    // π/2 to 33 bits
	sincosPiO2B     = 6.077100506303966e-11 // the next 33 bits
	sincosPiO2C     = 2.0222662487959506e-21
)

// sincosMaxArg bounds |x| for the reduction (|j| < 2^20); larger arguments
// go through math.Sincos.
const sincosMaxArg = 1e6

// sincosReduced returns sin x and cos x for |x| ≤ sincosMaxArg (see above).
func sincosReduced(x float64) (s, c float64) {
	y := x*sincosTwoOverPi + expMagic // the low bits of y hold j mod 4
	j := y - expMagic
	r := x - j*sincosPiO2A
	r -= j * sincosPiO2B
	r -= j * sincosPiO2C
	z := r * r
	ps := -7.647163731819816e-13 // −1/15!
	ps = ps*z + 1.6059043836821613e-10
	ps = ps*z - 2.505210838544172e-08
	ps = ps*z + 2.7557319223985893e-06
	ps = ps*z - 0.0001984126984126984
	ps = ps*z + 0.008333333333333333
	ps = ps*z - 0.16666666666666666
	pc := 4.779477332387385e-14 // 1/16!
	pc = pc*z - 1.1470745597729725e-11
	pc = pc*z + 2.08767569878681e-09
	pc = pc*z - 2.755731922398589e-07
	pc = pc*z + 2.48015873015873e-05
	pc = pc*z - 0.001388888888888889
	pc = pc*z + 0.041666666666666664
	s = r + r*(z*ps)
	c = (1 - 0.5*z) + (z*z)*pc
	q := math.Float64bits(y)
	if q&1 != 0 {
		s, c = c, s
	}
	if q&2 != 0 {
		s = -s
	}
	if (q+1)&2 != 0 {
		c = -c
	}
	return s, c
}

// sincosScaled sets s[k] = sin(u·f[k]) and c[k] = cos(u·f[k]) for every k,
// for frequencies |f[k]| ≤ 1.
func sincosScaled(s, c, f []float64, u float64) {
	n := len(f)
	s, c = s[:n], c[:n]
	if !(math.Abs(u) <= sincosMaxArg) { // also NaN
		for k, fk := range f {
			s[k], c[k] = math.Sincos(u * fk)
		}
		return
	}
	k := 0
	if useAVX2 && n >= 4 {
		k = n &^ 3
		sincosAVX2(&s[0], &c[0], &f[0], u, k)
	}
	for ; k < n; k++ {
		s[k], c[k] = sincosReduced(u * f[k])
	}
}
