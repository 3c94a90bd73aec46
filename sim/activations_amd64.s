#include "textflag.h"

// Constants, each four times for 256-bit operands.
#define C4(name, v) \
	DATA name<>+0(SB)/8, v \
	DATA name<>+8(SB)/8, v \
	DATA name<>+16(SB)/8, v \
	DATA name<>+24(SB)/8, v \
	GLOBL name<>(SB), RODATA|NOPTR, $32

// The exponential (activations.go): log₂e, 1.5·2^52, ln 2 in two parts, the
// exponent bias and the Taylor coefficients 1/j!, j = 2..13.
C4(expLog2e, $1.4426950408889634)
C4(expMagic, $6755399441055744.0)
C4(expLn2Hi, $0.6931471803691238)
C4(expLn2Lo, $1.9082149292705877e-10)
C4(expBias, $1023)
C4(expC13, $1.6059043836821613e-10)
C4(expC12, $2.08767569878681e-09)
C4(expC11, $2.505210838544172e-08)
C4(expC10, $2.755731922398589e-07)
C4(expC9, $2.7557319223985893e-06)
C4(expC8, $2.48015873015873e-05)
C4(expC7, $0.0001984126984126984)
C4(expC6, $0.001388888888888889)
C4(expC5, $0.008333333333333333)
C4(expC4, $0.041666666666666664)
C4(expC3, $0.16666666666666666)
C4(expC2, $0.5)
C4(one, $1.0)

// The sigmoid: the clamp of −z (sigmoidClamp).
C4(sigHi, $700.0)
C4(sigLo, $-700.0)

// The GELU: −1/2, the clamp of −v²/2 (geluClamp), the bound of u (geluMaxU),
// 1/√(2π), the mask of all but the sign bit, and the coefficients of P and Q
// (millsP, millsQ).
C4(negHalf, $-0.5)
C4(geluClamp, $-708.0)
C4(geluMaxU, $40.0)
C4(invSqrt2Pi, $0.3989422804014327)
C4(absMask, $0x7fffffffffffffff)
C4(millsP0, $1.2533141373155003)
C4(millsP1, $2.0745224934736495)
C4(millsP2, $1.7023189278839839)
C4(millsP3, $0.8948016453415015)
C4(millsP4, $0.33053664419447937)
C4(millsP5, $0.08925200064963905)
C4(millsP6, $0.017816998369496486)
C4(millsP7, $0.0025996628615321815)
C4(millsP8, $0.00026635003245533806)
C4(millsP9, $1.742565815503517e-05)
C4(millsP10, $5.596620320660634e-07)
C4(millsQ1, $2.4531140293837534)
C4(millsQ2, $2.815555800055313)
C4(millsQ3, $1.9998414263179365)
C4(millsQ4, $0.9790287199116432)
C4(millsQ5, $0.3478265317458795)
C4(millsQ6, $0.09181681249418398)
C4(millsQ7, $0.01808222906859999)
C4(millsQ8, $0.0026170885198982903)
C4(millsQ9, $0.0002669096944841155)
C4(millsQ10, $1.742565815506637e-05)
C4(millsQ11, $5.596620320659283e-07)

// EXPREDUCE(X, Y, K): for x in X, Y = x·log₂e + 1.5·2^52 (its low bits
// hold k = round(x·log₂e)), K = k, and X = r = x − k·ln2Hi − k·ln2Lo.
#define EXPREDUCE(X, Y, K) \
	VMOVUPD      expMagic<>(SB), Y \
	VFMADD231PD  expLog2e<>(SB), X, Y \
	VSUBPD       expMagic<>(SB), Y, K \
	VFNMADD231PD expLn2Hi<>(SB), K, X \
	VFNMADD231PD expLn2Lo<>(SB), K, X

// EXPPOLY(R, R2, R4, A0, A1, A2, A3, A4, ONE): A0 = e^r for r in R,
// |r| ≤ ln2/2, by the degree-13 Taylor polynomial in the scheme of expReduced
// (activations.go): the terms from r³ on in Estrin's scheme, pairs
// A_i = c_{2i+3} + r·c_{2i+4} combined with r² (R2), r⁴ and r⁸ (R4), then
// 1 + r(1 + r(1/2 + r·q)). ONE holds 1.0; R2–A4 are overwritten.
#define EXPPOLY(R, R2, R4, A0, A1, A2, A3, A4, ONE) \
	VMULPD      R, R, R2 \
	VMULPD      R2, R2, R4 \
	VMOVUPD     expC4<>(SB), A0 \
	VFMADD213PD expC3<>(SB), R, A0 \
	VMOVUPD     expC6<>(SB), A1 \
	VFMADD213PD expC5<>(SB), R, A1 \
	VMOVUPD     expC8<>(SB), A2 \
	VFMADD213PD expC7<>(SB), R, A2 \
	VMOVUPD     expC10<>(SB), A3 \
	VFMADD213PD expC9<>(SB), R, A3 \
	VMOVUPD     expC12<>(SB), A4 \
	VFMADD213PD expC11<>(SB), R, A4 \
	VFMADD231PD A1, R2, A0 \
	VFMADD231PD A3, R2, A2 \
	VFMADD231PD expC13<>(SB), R2, A4 \
	VFMADD231PD A2, R4, A0 \
	VMULPD      R4, R4, R4 \
	VFMADD231PD A4, R4, A0 \
	VFMADD213PD expC2<>(SB), R, A0 \
	VFMADD213PD ONE, R, A0 \
	VFMADD213PD ONE, R, A0

// EXPSCALE(Y, P): P = P·2^k for Y from EXPREDUCE (k + 1023 shifted into the
// exponent field; −1022 ≤ k ≤ 1023). Overwrites Y.
#define EXPSCALE(Y, P) \
	VPADDQ expBias<>(SB), Y, Y \
	VPSLLQ $52, Y, Y \
	VMULPD Y, P, P

// SIGMA sets Y5 = σ(Y0) = 1/(1 + e^x) for x = −Y0 clamped to [−700, 700],
// using Y1–Y8 and Y12, and the constants Y9 = 1, Y10 = 700, Y11 = −700,
// Y14 = 0.
#define SIGMA \
	VSUBPD  Y0, Y14, Y1 \
	VMINPD  Y10, Y1, Y1 \
	VMAXPD  Y11, Y1, Y1 \
	EXPREDUCE(Y1, Y2, Y3) \
	EXPPOLY(Y1, Y3, Y4, Y5, Y6, Y7, Y8, Y12, Y9) \
	EXPSCALE(Y2, Y5) \
	VADDPD  Y9, Y5, Y5 \
	VDIVPD  Y5, Y9, Y5

// func sigmoidRowsAVX2(s, z, bias *float64, rows, h int)
//
// For rows×h values (h a multiple of 4, > 0): z[i·h+q] += bias[q] when bias
// is not nil, then s[i·h+q] = σ(z[i·h+q]).
TEXT ·sigmoidRowsAVX2(SB), NOSPLIT, $0-40
	// DI = s, SI = z, R8 = bias, R9 = rows, R10 = h/4 vectors per row.
	MOVQ    s+0(FP), DI
	MOVQ    z+8(FP), SI
	MOVQ    bias+16(FP), R8
	MOVQ    rows+24(FP), R9
	MOVQ    h+32(FP), R10
	SHRQ    $2, R10
	TESTQ   R9, R9
	JE      sigdone
	TESTQ   R10, R10
	JE      sigdone
	VMOVUPD one<>(SB), Y9
	VMOVUPD sigHi<>(SB), Y10
	VMOVUPD sigLo<>(SB), Y11
	VXORPD  Y14, Y14, Y14
	TESTQ   R8, R8
	JE      plainrow

biasrow:
	// One row with the bias: DX walks the bias, CX counts vectors.
	MOVQ R8, DX
	MOVQ R10, CX

biascol:
	VMOVUPD (SI), Y0
	VADDPD  (DX), Y0, Y0
	VMOVUPD Y0, (SI)
	SIGMA
	VMOVUPD Y5, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	ADDQ    $32, DX
	DECQ    CX
	JNE     biascol
	DECQ    R9
	JNE     biasrow
	JMP     sigdone

plainrow:
	// Without a bias the rows are one run of rows·h/4 vectors.
	IMULQ R9, R10
	MOVQ  R10, CX

plaincol:
	VMOVUPD (SI), Y0
	SIGMA
	VMOVUPD Y5, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNE     plaincol

sigdone:
	VZEROUPPER
	RET

// GELU4 sets Y11 = Φ(Y0) and Y6 = φ(Y0) for four values v with the
// formulas of geluGo (activations.go), using Y1–Y12, Y14 and Y15; Y13
// holds 1.0.
//   - φ: v² = hi + lo exactly (an FMA gives lo), x = −v²/2 = xh + xl,
//     e^x = 2^k e^r with r = (xh − k ln2) + xl (xh clamped at −708, and
//     e^x set to 0 where it was below); φ = e^x/√(2π).
//   - M(u) = P(u)/Q(u) for u = min(|v|, 40), both in Estrin's scheme:
//     pairs c_{2i} + u·c_{2i+1} combined with u², u⁴ and u⁸.
//   - Φ = φ·M where v is negative (the sign bit set), else 1 − φ·M.
#define GELU4 \
	VMULPD       Y0, Y0, Y1 \
	VMOVAPD      Y0, Y2 \
	VFMSUB213PD  Y1, Y0, Y2 \
	VMULPD       negHalf<>(SB), Y1, Y1 \
	VMULPD       negHalf<>(SB), Y2, Y2 \
	VCMPPD       $0x1d, geluClamp<>(SB), Y1, Y3 \
	VMAXPD       geluClamp<>(SB), Y1, Y1 \
	EXPREDUCE(Y1, Y4, Y5) \
	VADDPD       Y2, Y1, Y1 \
	EXPPOLY(Y1, Y2, Y5, Y6, Y7, Y8, Y9, Y10, Y13) \
	EXPSCALE(Y4, Y6) \
	VANDPD       Y3, Y6, Y6 \
	VMULPD       invSqrt2Pi<>(SB), Y6, Y6 \
	VANDPD       absMask<>(SB), Y0, Y7 \
	VMINPD       geluMaxU<>(SB), Y7, Y7 \
	VMULPD       Y7, Y7, Y1 \
	VMULPD       Y1, Y1, Y2 \
	VMULPD       Y2, Y2, Y3 \
	VMOVUPD      millsP1<>(SB), Y8 \
	VFMADD213PD  millsP0<>(SB), Y7, Y8 \
	VMOVUPD      millsP3<>(SB), Y9 \
	VFMADD213PD  millsP2<>(SB), Y7, Y9 \
	VMOVUPD      millsP5<>(SB), Y10 \
	VFMADD213PD  millsP4<>(SB), Y7, Y10 \
	VMOVUPD      millsP7<>(SB), Y11 \
	VFMADD213PD  millsP6<>(SB), Y7, Y11 \
	VMOVUPD      millsP9<>(SB), Y12 \
	VFMADD213PD  millsP8<>(SB), Y7, Y12 \
	VFMADD231PD  Y9, Y1, Y8 \
	VFMADD231PD  Y11, Y1, Y10 \
	VFMADD231PD  millsP10<>(SB), Y1, Y12 \
	VFMADD231PD  Y10, Y2, Y8 \
	VFMADD231PD  Y12, Y3, Y8 \
	VMOVUPD      millsQ1<>(SB), Y9 \
	VFMADD213PD  Y13, Y7, Y9 \
	VMOVUPD      millsQ3<>(SB), Y10 \
	VFMADD213PD  millsQ2<>(SB), Y7, Y10 \
	VMOVUPD      millsQ5<>(SB), Y11 \
	VFMADD213PD  millsQ4<>(SB), Y7, Y11 \
	VMOVUPD      millsQ7<>(SB), Y12 \
	VFMADD213PD  millsQ6<>(SB), Y7, Y12 \
	VMOVUPD      millsQ9<>(SB), Y14 \
	VFMADD213PD  millsQ8<>(SB), Y7, Y14 \
	VMOVUPD      millsQ11<>(SB), Y15 \
	VFMADD213PD  millsQ10<>(SB), Y7, Y15 \
	VFMADD231PD  Y10, Y1, Y9 \
	VFMADD231PD  Y12, Y1, Y11 \
	VFMADD231PD  Y15, Y1, Y14 \
	VFMADD231PD  Y11, Y2, Y9 \
	VFMADD231PD  Y14, Y3, Y9 \
	VDIVPD       Y9, Y8, Y8 \
	VMULPD       Y6, Y8, Y8 \
	VSUBPD       Y8, Y13, Y10 \
	VBLENDVPD    Y0, Y8, Y10, Y11

// func geluAVX2(z, dg, v, res *float64, n int)
//
// For n values (n a multiple of 4, > 0): z[i] = v[i]·Φ(v[i]) (+ res[i] when
// res is not nil) and dg[i] = Φ(v[i]) + v[i]·φ(v[i]).
TEXT ·geluAVX2(SB), NOSPLIT, $0-40
	// DI = z, DX = dg, SI = v, R8 = res, CX = n/4 vectors.
	MOVQ    z+0(FP), DI
	MOVQ    dg+8(FP), DX
	MOVQ    v+16(FP), SI
	MOVQ    res+24(FP), R8
	MOVQ    n+32(FP), CX
	SHRQ    $2, CX
	TESTQ   CX, CX
	JE      geludone
	VMOVUPD one<>(SB), Y13
	TESTQ   R8, R8
	JE      geluplain

geluresidual:
	// z = res + v·Φ, dg = Φ + v·φ.
	VMOVUPD     (SI), Y0
	GELU4
	VMOVUPD     (R8), Y12
	VFMADD231PD Y11, Y0, Y12
	VFMADD231PD Y6, Y0, Y11
	VMOVUPD     Y12, (DI)
	VMOVUPD     Y11, (DX)
	ADDQ        $32, SI
	ADDQ        $32, DI
	ADDQ        $32, DX
	ADDQ        $32, R8
	DECQ        CX
	JNE         geluresidual
	JMP         geludone

geluplain:
	// z = v·Φ, dg = Φ + v·φ.
	VMOVUPD     (SI), Y0
	GELU4
	VMULPD      Y11, Y0, Y12
	VFMADD231PD Y6, Y0, Y11
	VMOVUPD     Y12, (DI)
	VMOVUPD     Y11, (DX)
	ADDQ        $32, SI
	ADDQ        $32, DI
	ADDQ        $32, DX
	DECQ        CX
	JNE         geluplain

geludone:
	VZEROUPPER
	RET
