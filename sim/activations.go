package sim

import "math"

// Activation functions of the score networks, applied to whole rows of
// pre-activations: the sigmoid σ (the EGNN's SiLU z·σ(z) and attention
// gates) and the exact GELU v·Φ(v) of the MLP with its derivative. With
// AVX2 (useAVX2) they run four values at a time (activations_amd64.s);
// elsewhere the same formulas run in Go. Both rest on one exponential:
//
//	e^x = 2^k·p(r),  k = round(x·log₂e),  r = x − k·ln2 (|r| ≤ ln2/2),
//
// with ln2 in two parts (the first with trailing zero bits, so that k·ln2Hi
// is exact for |k| < 2^11) and p the degree-13 Taylor polynomial of e^r,
// whose truncation error is below 5e-18.

// Constants of the exponential (shared with activations_amd64.s): log₂e,
// 1.5·2^52 (adding it rounds to an integer and leaves k + 2^51 in the low
// bits), and ln 2 in two parts.
const (
	expLog2e = 1.4426950408889634
	expMagic = 6755399441055744.0
	expLn2Hi = 0.6931471803691238
	expLn2Lo = 1.9082149292705877e-10
)

// expReduce returns y = x·log₂e + 1.5·2^52, whose low bits hold
// k = round(x·log₂e), and r = x − k·ln2 (|r| ≤ ln2/2 for |x| ≤ 708).
func expReduce(x float64) (y, r float64) {
	y = x*expLog2e + expMagic
	k := y - expMagic
	r = x - k*expLn2Hi
	r -= k * expLn2Lo
	return y, r
}

// expReduced sets p[i] = e^{p[i]} for |p[i]| ≤ ln2/2 by the degree-13
// Taylor polynomial (coefficients 1/j!): the terms from r³ on in Estrin's
// scheme (pairs of terms combined with r², r⁴ and r⁸), then three steps of
// Horner's rule, 1 + r(1 + r(1/2 + r·q)), which keep the rounding error of
// Horner's rule alone. The dependency chain is about half as long as
// Horner's. It works on a slice, so that its callers make one call per
// row instead of one per value (a call costs about as much as the
// polynomial under js/wasm, and the function is too large to be inlined).
func expReduced(p []float64) {
	for i, r := range p {
		r2 := r * r
		r4 := r2 * r2
		a0 := 0.16666666666666666 + r*0.041666666666666664
		a1 := 0.008333333333333333 + r*0.001388888888888889
		a2 := 0.0001984126984126984 + r*2.48015873015873e-05
		a3 := 2.7557319223985893e-06 + r*2.755731922398589e-07
		a4 := 2.505210838544172e-08 + r*2.08767569878681e-09
		q := (a0 + r2*a1) + r4*(a2+r2*a3) + (r4*r4)*(a4+r2*1.6059043836821613e-10)
		p[i] = 1 + r*(1+r*(0.5+r*q))
	}
}

// expScale returns 2^k from y = k + expMagic (|k| ≤ 1022).
func expScale(y float64) float64 { return math.Float64frombits((math.Float64bits(y) + 1023) << 52) }

// sigmoid returns σ(z) = 1/(1 + e^{−z}) through math.Exp (exactly 0 or 1
// far out): the reference of sigmoidRows, and the EGNN's gate.
func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// sigmoidClamp bounds −z in sigmoidsGo and the AVX2 code: σ(−700) < 1e-304.
const sigmoidClamp = 700.0

// sigmoidRows sets z[i·h+q] += bias[q] (when bias is not nil) and then
// s[i·h+q] = σ(z[i·h+q]) for the len(z)/h rows of z; s and z have the same
// length. Within 2 ulp of sigmoid (the tests hold it to that).
func sigmoidRows(s, z, bias []float64, h int) {
	if len(s) != len(z) || len(z)%h != 0 || (bias != nil && len(bias) != h) {
		panic("sim: sigmoid size mismatch")
	}
	if useAVX2 && h%4 == 0 && len(z) > 0 {
		var bp *float64
		if bias != nil {
			bp = &bias[0]
		}
		sigmoidRowsAVX2(&s[0], &z[0], bp, len(z)/h, h)
		return
	}
	if bias != nil {
		for i := 0; i < len(z); i += h {
			zr := z[i : i+h]
			for q, b := range bias {
				zr[q] += b
			}
		}
	}
	sigmoidsGo(s, z)
}

// sigmoidsGo sets s[i] = σ(z[i]) = 1/(1 + e^x), x = −z[i] clamped to
// ±sigmoidClamp, with the exponential of this file in three passes (s holds
// the reduced arguments, then their exponentials): in js/wasm about five
// times faster than through math.Exp, which is pure Go there (about 7
// against 37 ns per value under Node).
func sigmoidsGo(s, z []float64) {
	s = s[:len(z)]
	for i, v := range z {
		_, s[i] = expReduce(sigmoidArg(v))
	}
	expReduced(s)
	for i, v := range z {
		y, _ := expReduce(sigmoidArg(v))
		s[i] = 1 / (1 + s[i]*expScale(y))
	}
}

// sigmoidArg returns −z clamped to ±sigmoidClamp. The clamps are branches:
// the min and max built-ins cost more under js/wasm.
func sigmoidArg(z float64) float64 {
	x := -z
	if x > sigmoidClamp {
		x = sigmoidClamp
	} else if x < -sigmoidClamp {
		x = -sigmoidClamp
	}
	return x
}

// The exact GELU, GELU(v) = v·Φ(v) with Φ the standard normal CDF, and its
// derivative GELU'(v) = Φ(v) + v·φ(v), φ(v) = e^{−v²/2}/√(2π), come from
//
//	Φ(v) = φ(v)·M(|v|) for v < 0,  1 − φ(v)·M(v) for v ≥ 0,
//
// with M(u) = (1 − Φ(u))/φ(u) Mills' ratio, smooth and decreasing from
// √(π/2) at 0 like 1/u. M is approximated by a rational function
// P(u)/Q(u), P of degree 10 and Q of degree 11, fitted for this project
// (iteratively reweighted least squares towards the minimax relative
// error, in 60-digit arithmetic with mpmath, on [0, 38.5]): its relative
// error is below 1e-18 there, and every coefficient is positive, so that
// evaluating P and Q involves no cancellation for u ≥ 0. e^{−v²/2} is
// accurate to a few ulp for every v because v² is split exactly into
// hi + lo first. Below v = −37.6, where Φ(v) < 1e-308 is subnormal, Φ is
// taken as 0. Measured against 40-digit values at 27,000 points over
// [−37.5, 37.5], Φ is within 6.5 ulp in relative terms on both paths, in
// both tails, and GELU' within 3.6·2^-53 in absolute terms; the
// math.Erfc(−v/√2) it replaces loses about v²/2 ulp in the lower tail to
// the rounding of v/√2. The tests check the 40-digit values at 20 points
// and math.Erf and math.Erfc at 20,000.

// geluClamp is where φ is taken as 0: −v²/2 < −708, where e^{−v²/2} would
// be subnormal.
const geluClamp = -708.0

// geluMaxU bounds u in P(u)/Q(u) (beyond it φ(u) is 0 anyway), so that
// the ratio stays finite for infinite inputs.
const geluMaxU = 40.0

// invSqrt2Pi is 1/√(2π).
const invSqrt2Pi = 0.3989422804014327

// Coefficients of P and Q, constant term first (shared with
// activations_amd64.s).
var (
	millsP = [11]float64{
		1.253314137315500252350586,
		2.074522493473649554140332,
		1.702318927883983820477988,
		0.8948016453415015806077505,
		0.3305366441944793846932445,
		0.08925200064963904848469942,
		0.01781699836949648629758396,
		0.00259966286153218172788511,
		0.0002663500324553380789391875,
		0.0000174256581550351728358025,
		0.0000005596620320660634656352751,
	}
	millsQ = [12]float64{
		1.0,
		2.453114029383753550752773,
		2.815555800055312836446466,
		1.999841426317936527174855,
		0.9790287199116431995039282,
		0.3478265317458795132684697,
		0.09181681249418398817501419,
		0.01808222906859998772319837,
		0.002617088519898290324585071,
		0.0002669096944841155310126848,
		0.00001742565815506636816307302,
		0.0000005596620320659283629532554,
	}
)

// geluRows sets, for every i, z[i] = res[i] + v[i]·Φ(v[i]) (without res
// when it is nil) and dg[i] = GELU'(v[i]) = Φ(v[i]) + v[i]·φ(v[i]). z may
// be res (a residual update in place); v must not overlap z or dg.
func geluRows(z, dg, v, res []float64) {
	n := len(v)
	if len(z) != n || len(dg) != n || (res != nil && len(res) != n) {
		panic("sim: GELU size mismatch")
	}
	i := 0
	if useAVX2 && n >= 4 {
		var rp *float64
		if res != nil {
			rp = &res[0]
		}
		i = n &^ 3
		geluAVX2(&z[0], &dg[0], &v[0], rp, i)
		if res != nil {
			res = res[i:]
		}
	}
	geluGo(z[i:], dg[i:], v[i:], res)
}

// geluGo is geluRows in Go, with the formulas above in two passes: the
// first leaves the reduced arguments of e^{−v²/2} in dg and takes their
// exponentials (expReduced), the second finishes φ, M, Φ, GELU and GELU'.
func geluGo(z, dg, v, res []float64) {
	z, dg = z[:len(v)], dg[:len(v)]
	if res != nil {
		res = res[:len(v)]
	}
	for i, vi := range v {
		dg[i] = geluExpArg(vi)
	}
	expReduced(dg)
	for i, vi := range v {
		pdf := 0.0
		if xh := -0.5 * (vi * vi); xh >= geluClamp {
			y, _ := expReduce(xh)
			pdf = invSqrt2Pi * dg[i] * expScale(y)
		}
		// M(u) = P(u)/Q(u) in Estrin's scheme (no cancellation: u and the
		// coefficients are positive).
		u := math.Abs(vi)
		if u > geluMaxU {
			u = geluMaxU
		}
		P, Q := &millsP, &millsQ
		u2 := u * u
		u4 := u2 * u2
		u8 := u4 * u4
		p := ((P[0] + u*P[1]) + u2*(P[2]+u*P[3])) + u4*((P[4]+u*P[5])+u2*(P[6]+u*P[7])) + u8*((P[8]+u*P[9])+u2*P[10])
		q := ((Q[0] + u*Q[1]) + u2*(Q[2]+u*Q[3])) + u4*((Q[4]+u*Q[5])+u2*(Q[6]+u*Q[7])) + u8*((Q[8]+u*Q[9])+u2*(Q[10]+u*Q[11]))
		cdf := pdf * (p / q) // 1 − Φ(u) = Φ(−u)
		if vi >= 0 {
			cdf = 1 - cdf
		}
		if res != nil {
			z[i] = res[i] + vi*cdf
		} else {
			z[i] = vi * cdf
		}
		dg[i] = cdf + vi*pdf
	}
}

// geluExpArg returns the reduced argument r of e^{−v²/2} = 2^k e^r (see
// expReduce), with v² = hi + lo split exactly (Dekker's product, v split
// into two 26-bit halves by Veltkamp's method): r = (xh − k ln2) + xl for
// xh + xl = −v²/2. It returns 0 where xh < −708 (e^{−v²/2} is then taken
// as 0).
func geluExpArg(v float64) float64 {
	hi := v * v
	xh := -0.5 * hi
	if !(xh >= geluClamp) {
		return 0
	}
	c := 134217729 * v // 2^27 + 1
	vh := c - (c - v)
	vl := v - vh
	lo := ((vh*vh - hi) + 2*vh*vl) + vl*vl
	_, r := expReduce(xh)
	return r + -0.5*lo
}

// expSlice sets x[i] = e^{x[i]} for x[i] ∈ [−708, 708], with the same
// polynomial as the activations (within a few ulp of math.Exp); y is
// scratch of at least len(x). It costs a third of math.Exp per value.
func expSlice(x, y []float64) {
	y = y[:len(x)]
	for i, v := range x {
		y[i], x[i] = expReduce(v)
	}
	expReduced(x)
	for i := range x {
		x[i] *= expScale(y[i])
	}
}
