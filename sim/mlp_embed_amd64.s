#include "textflag.h"

// Constants, each four times for 256-bit operands.
#define C4(name, v) \
	DATA name<>+0(SB)/8, v \
	DATA name<>+8(SB)/8, v \
	DATA name<>+16(SB)/8, v \
	DATA name<>+24(SB)/8, v \
	GLOBL name<>(SB), RODATA|NOPTR, $32

// The reduction (mlp_embed.go): 1.5·2^52, 2/π, π/2 in three parts.
C4(scMagic, $6755399441055744.0)
C4(scTwoOverPi, $0.6366197723675814)
C4(scPiO2A, $1.5707963267341256)
C4(scPiO2B, $6.077100506303966e-11)
C4(scPiO2C, $2.0222662487959506e-21)

// Taylor coefficients of sin (r^3 … r^15) and cos (r^4 … r^16).
C4(scS3, $-0.16666666666666666)
C4(scS5, $0.008333333333333333)
C4(scS7, $-0.0001984126984126984)
C4(scS9, $2.7557319223985893e-06)
C4(scS11, $-2.505210838544172e-08)
C4(scS13, $1.6059043836821613e-10)
C4(scS15, $-7.647163731819816e-13)
C4(scC4, $0.041666666666666664)
C4(scC6, $-0.001388888888888889)
C4(scC8, $2.48015873015873e-05)
C4(scC10, $-2.755731922398589e-07)
C4(scC12, $2.08767569878681e-09)
C4(scC14, $-1.1470745597729725e-11)
C4(scC16, $4.779477332387385e-14)

// 1, 1/2, the sign bit and the integer 1.
C4(scOne, $1.0)
C4(scHalf, $0.5)
C4(scSign, $0x8000000000000000)
C4(scIntOne, $1)

// func sincosAVX2(s, c, f *float64, u float64, n int)
//
// s[k] = sin(u·f[k]), c[k] = cos(u·f[k]) for n values (a multiple of 4,
// > 0), four at a time.
TEXT ·sincosAVX2(SB), NOSPLIT, $0-40
	// DI = s, DX = c, SI = f, Y15 = u, CX = n/4 vectors.
	MOVQ         s+0(FP), DI
	MOVQ         c+8(FP), DX
	MOVQ         f+16(FP), SI
	VBROADCASTSD u+24(FP), Y15
	MOVQ         n+32(FP), CX
	SHRQ         $2, CX
	TESTQ        CX, CX
	JE           done

loop:
	// Y0 = x = u·f; Y1 = y = x·2/π + 1.5·2^52 (j mod 4 in its low bits);
	// Y2 = j; Y0 = r = x − j·π/2 in three steps; Y3 = z = r².
	VMULPD       (SI), Y15, Y0
	VMOVUPD      scMagic<>(SB), Y1
	VFMADD231PD  scTwoOverPi<>(SB), Y0, Y1
	VSUBPD       scMagic<>(SB), Y1, Y2
	VFNMADD231PD scPiO2A<>(SB), Y2, Y0
	VFNMADD231PD scPiO2B<>(SB), Y2, Y0
	VFNMADD231PD scPiO2C<>(SB), Y2, Y0
	VMULPD       Y0, Y0, Y3

	// Y4 = sin r = r + r·(z·S(z)), S by Horner's rule from r^15 down.
	VMOVUPD     scS15<>(SB), Y4
	VFMADD213PD scS13<>(SB), Y3, Y4
	VFMADD213PD scS11<>(SB), Y3, Y4
	VFMADD213PD scS9<>(SB), Y3, Y4
	VFMADD213PD scS7<>(SB), Y3, Y4
	VFMADD213PD scS5<>(SB), Y3, Y4
	VFMADD213PD scS3<>(SB), Y3, Y4
	VMULPD      Y3, Y4, Y4
	VFMADD213PD Y0, Y0, Y4

	// Y7 = cos r = (1 − z/2) + z²·C(z), C by Horner's rule from r^16 down.
	VMOVUPD      scC16<>(SB), Y5
	VFMADD213PD  scC14<>(SB), Y3, Y5
	VFMADD213PD  scC12<>(SB), Y3, Y5
	VFMADD213PD  scC10<>(SB), Y3, Y5
	VFMADD213PD  scC8<>(SB), Y3, Y5
	VFMADD213PD  scC6<>(SB), Y3, Y5
	VFMADD213PD  scC4<>(SB), Y3, Y5
	VMULPD       Y3, Y3, Y6
	VMOVUPD      scOne<>(SB), Y7
	VFNMADD231PD scHalf<>(SB), Y3, Y7
	VFMADD231PD  Y6, Y5, Y7

	// Quadrant j mod 4: swap sin and cos where bit 0 of j is set (moved to
	// the sign bit for the blends), negate sin where bit 1 of j is set and
	// cos where bit 1 of j + 1 is.
	VPSLLQ    $63, Y1, Y8
	VBLENDVPD Y8, Y7, Y4, Y9
	VBLENDVPD Y8, Y4, Y7, Y10
	VPSLLQ    $62, Y1, Y11
	VANDPD    scSign<>(SB), Y11, Y11
	VXORPD    Y11, Y9, Y9
	VPADDQ    scIntOne<>(SB), Y1, Y12
	VPSLLQ    $62, Y12, Y12
	VANDPD    scSign<>(SB), Y12, Y12
	VXORPD    Y12, Y10, Y10
	VMOVUPD   Y9, (DI)
	VMOVUPD   Y10, (DX)

	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, DX
	DECQ CX
	JNE  loop

done:
	VZEROUPPER
	RET
