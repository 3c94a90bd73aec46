#include "textflag.h"

// func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eaxArg+0(FP), AX
	MOVL ecxArg+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv() (eax, edx uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET

// func kernel6x8(k int, a *float64, ars, als int, b *float64, c *float64, ldc int, acc bool)
//
// C[0:6, 0:8] = (or +=, when acc) A·B over k terms, with A[r, l] at
// a + r·ars + l·als and B[l, 0:8] the 8 contiguous values at b + 64l bytes
// (a packed panel); C row-major with row stride ldc (strides in float64s).
// Twelve YMM accumulators Y0–Y11, row r in Y(2r) (columns 0–3) and Y(2r+1)
// (columns 4–7); each term is two loads of B, six broadcasts of A and
// twelve FMAs.
TEXT ·kernel6x8(SB), NOSPLIT, $0-57
	// Byte strides; SI, R10, R11 point at rows 0, 2, 4 of A (rows 1, 3, 5
	// are one ars further).
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ ars+16(FP), R8
	SHLQ $3, R8
	MOVQ als+24(FP), R13
	SHLQ $3, R13
	MOVQ b+32(FP), DI
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R9
	SHLQ $3, R9
	LEAQ (SI)(R8*2), R10
	LEAQ (R10)(R8*2), R11

	// Zero the accumulators.
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	VXORPD Y8, Y8, Y8
	VXORPD Y9, Y9, Y9
	VXORPD Y10, Y10, Y10
	VXORPD Y11, Y11, Y11
	TESTQ  CX, CX
	JE     done

loop:
	// One term l: B[l, 0:8] in Y12:Y13, A[r, l] broadcast into Y14 or Y15,
	// accumulator pair r += A[r, l]·B[l, :].
	VMOVUPD      (DI), Y12
	VMOVUPD      32(DI), Y13
	VBROADCASTSD (SI), Y14
	VFMADD231PD  Y12, Y14, Y0
	VFMADD231PD  Y13, Y14, Y1
	VBROADCASTSD (SI)(R8*1), Y15
	VFMADD231PD  Y12, Y15, Y2
	VFMADD231PD  Y13, Y15, Y3
	VBROADCASTSD (R10), Y14
	VFMADD231PD  Y12, Y14, Y4
	VFMADD231PD  Y13, Y14, Y5
	VBROADCASTSD (R10)(R8*1), Y15
	VFMADD231PD  Y12, Y15, Y6
	VFMADD231PD  Y13, Y15, Y7
	VBROADCASTSD (R11), Y14
	VFMADD231PD  Y12, Y14, Y8
	VFMADD231PD  Y13, Y14, Y9
	VBROADCASTSD (R11)(R8*1), Y15
	VFMADD231PD  Y12, Y15, Y10
	VFMADD231PD  Y13, Y15, Y11

	// Next term: A one column on, B one panel row on.
	ADDQ R13, SI
	ADDQ R13, R10
	ADDQ R13, R11
	ADDQ $64, DI
	DECQ CX
	JNE  loop

done:
	// When acc, add the current C into the accumulators (DX walks the rows
	// and is reset for the store).
	MOVBLZX acc+56(FP), AX
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
	ADDQ    R9, DX
	VADDPD  (DX), Y8, Y8
	VADDPD  32(DX), Y9, Y9
	ADDQ    R9, DX
	VADDPD  (DX), Y10, Y10
	VADDPD  32(DX), Y11, Y11
	MOVQ    c+40(FP), DX

store:
	// Write the six rows of the tile.
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
	ADDQ    R9, DX
	VMOVUPD Y8, (DX)
	VMOVUPD Y9, 32(DX)
	ADDQ    R9, DX
	VMOVUPD Y10, (DX)
	VMOVUPD Y11, 32(DX)
	VZEROUPPER
	RET
