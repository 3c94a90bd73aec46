#include "textflag.h"

// Constants of egnnSigmoidRowsAVX, each four times for 256-bit operands.
#define C4(name, v) \
	DATA name<>+0(SB)/8, v \
	DATA name<>+8(SB)/8, v \
	DATA name<>+16(SB)/8, v \
	DATA name<>+24(SB)/8, v \
	GLOBL name<>(SB), RODATA|NOPTR, $32

C4(sigHi, $700.0)
C4(sigLo, $-700.0)
C4(sigLog2e, $1.4426950408889634)
C4(sigMagic, $6755399441055744.0)
C4(sigLn2hi, $0.6931471803691238)
C4(sigLn2lo, $1.9082149292705877e-10)
C4(sigBias, $1023)
C4(sigOne, $1.0)
C4(sigC13, $1.6059043836821613e-10)
C4(sigC12, $2.08767569878681e-09)
C4(sigC11, $2.505210838544172e-08)
C4(sigC10, $2.755731922398589e-07)
C4(sigC9, $2.7557319223985893e-06)
C4(sigC8, $2.48015873015873e-05)
C4(sigC7, $0.0001984126984126984)
C4(sigC6, $0.001388888888888889)
C4(sigC5, $0.008333333333333333)
C4(sigC4, $0.041666666666666664)
C4(sigC3, $0.16666666666666666)
C4(sigC2, $0.5)

// func egnnCPUID(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
TEXT ·egnnCPUID(SB), NOSPLIT, $0-24
	MOVL eaxArg+0(FP), AX
	MOVL ecxArg+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func egnnXGETBV() (eax, edx uint32)
TEXT ·egnnXGETBV(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET

// func egnnKernel4x8(k int, a *float64, ars, als int, b *float64, bls int, c *float64, ldc int, acc bool)
//
// C[0:4, 0:8] = (or +=, when acc) A·B over k terms, with A[r, l] at
// a + r·ars + l·als and B[l, 0:8] the 8 contiguous values at b + l·bls
// (strides in float64s), C row-major with row stride ldc. Eight YMM
// accumulators; each term is two loads of B, four broadcasts of A and eight
// FMAs.
TEXT ·egnnKernel4x8(SB), NOSPLIT, $0-65
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ ars+16(FP), R8
	SHLQ $3, R8
	MOVQ als+24(FP), R13
	SHLQ $3, R13
	MOVQ b+32(FP), DI
	MOVQ bls+40(FP), BX
	SHLQ $3, BX
	MOVQ c+48(FP), DX
	MOVQ ldc+56(FP), R9
	SHLQ $3, R9
	LEAQ (SI)(R8*1), R10
	LEAQ (R10)(R8*1), R11
	LEAQ (R11)(R8*1), R12
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	TESTQ CX, CX
	JE    done

loop:
	VMOVUPD      (DI), Y8
	VMOVUPD      32(DI), Y9
	VBROADCASTSD (SI), Y10
	VFMADD231PD  Y8, Y10, Y0
	VFMADD231PD  Y9, Y10, Y1
	VBROADCASTSD (R10), Y11
	VFMADD231PD  Y8, Y11, Y2
	VFMADD231PD  Y9, Y11, Y3
	VBROADCASTSD (R11), Y12
	VFMADD231PD  Y8, Y12, Y4
	VFMADD231PD  Y9, Y12, Y5
	VBROADCASTSD (R12), Y13
	VFMADD231PD  Y8, Y13, Y6
	VFMADD231PD  Y9, Y13, Y7
	ADDQ         R13, SI
	ADDQ         R13, R10
	ADDQ         R13, R11
	ADDQ         R13, R12
	ADDQ         BX, DI
	DECQ         CX
	JNE          loop

done:
	MOVBLZX acc+64(FP), AX
	TESTQ   AX, AX
	JE      store
	VADDPD  (DX), Y0, Y0
	VADDPD  32(DX), Y1, Y1
	ADDQ    R9, DX
	VADDPD  (DX), Y2, Y2
	VADDPD  32(DX), Y3, Y3
	ADDQ    R9, DX
	VADDPD  (DX), Y4, Y4
	VADDPD  32(DX), Y5, Y5
	ADDQ    R9, DX
	VADDPD  (DX), Y6, Y6
	VADDPD  32(DX), Y7, Y7
	MOVQ    c+48(FP), DX

store:
	VMOVUPD Y0, (DX)
	VMOVUPD Y1, 32(DX)
	ADDQ    R9, DX
	VMOVUPD Y2, (DX)
	VMOVUPD Y3, 32(DX)
	ADDQ    R9, DX
	VMOVUPD Y4, (DX)
	VMOVUPD Y5, 32(DX)
	ADDQ    R9, DX
	VMOVUPD Y6, (DX)
	VMOVUPD Y7, 32(DX)
	VZEROUPPER
	RET

// SIGMA sets Y5 = σ(Y0) = 1/(1 + e^{−Y0}) for four values, using Y1–Y4 and
// the constants Y9 = 1, Y10 = 700, Y11 = −700, Y12 = log₂e, Y13 = 1.5·2^52,
// Y14 = 0: x = −z clamped to [−700, 700], e^x = 2^k·p(r) with k = round(x
// log₂e) (the magic-number rounding leaves k + 1023 in the low bits),
// r = x − k ln2 in two parts, |r| ≤ ln2/2, and p the degree-13 Taylor
// polynomial of exp (truncation below 5e-18); within 2 ulp of
// 1/(1 + math.Exp(−z)).
#define SIGMA \
	VSUBPD       Y0, Y14, Y1 \
	VMINPD       Y10, Y1, Y1 \
	VMAXPD       Y11, Y1, Y1 \
	VMOVAPD      Y13, Y2 \
	VFMADD231PD  Y12, Y1, Y2 \
	VSUBPD       Y13, Y2, Y3 \
	VFNMADD231PD sigLn2hi<>(SB), Y3, Y1 \
	VFNMADD231PD sigLn2lo<>(SB), Y3, Y1 \
	VMOVUPD      sigC13<>(SB), Y4 \
	VFMADD213PD  sigC12<>(SB), Y1, Y4 \
	VFMADD213PD  sigC11<>(SB), Y1, Y4 \
	VFMADD213PD  sigC10<>(SB), Y1, Y4 \
	VFMADD213PD  sigC9<>(SB), Y1, Y4 \
	VFMADD213PD  sigC8<>(SB), Y1, Y4 \
	VFMADD213PD  sigC7<>(SB), Y1, Y4 \
	VFMADD213PD  sigC6<>(SB), Y1, Y4 \
	VFMADD213PD  sigC5<>(SB), Y1, Y4 \
	VFMADD213PD  sigC4<>(SB), Y1, Y4 \
	VFMADD213PD  sigC3<>(SB), Y1, Y4 \
	VFMADD213PD  sigC2<>(SB), Y1, Y4 \
	VFMADD213PD  Y9, Y1, Y4 \
	VFMADD213PD  Y9, Y1, Y4 \
	VPADDQ       sigBias<>(SB), Y2, Y2 \
	VPSLLQ       $52, Y2, Y2 \
	VMULPD       Y2, Y4, Y4 \
	VADDPD       Y9, Y4, Y4 \
	VDIVPD       Y4, Y9, Y5

// func egnnSigmoidRowsAVX(s, z, bias *float64, rows, h int)
//
// For rows×h values (h a multiple of 4, > 0): z[i·h+q] += bias[q] when bias
// is not nil, then s[i·h+q] = σ(z[i·h+q]).
TEXT ·egnnSigmoidRowsAVX(SB), NOSPLIT, $0-40
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
	VMOVUPD sigOne<>(SB), Y9
	VMOVUPD sigHi<>(SB), Y10
	VMOVUPD sigLo<>(SB), Y11
	VMOVUPD sigLog2e<>(SB), Y12
	VMOVUPD sigMagic<>(SB), Y13
	VXORPD  Y14, Y14, Y14
	TESTQ   R8, R8
	JE      plainrow

biasrow:
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
	MOVQ R10, CX

plaincol:
	VMOVUPD (SI), Y0
	SIGMA
	VMOVUPD Y5, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNE     plaincol
	DECQ    R9
	JNE     plainrow

sigdone:
	VZEROUPPER
	RET
