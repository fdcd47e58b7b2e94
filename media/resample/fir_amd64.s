//go:build !purego

#include "textflag.h"

// func firFMA(dst, x, c *float32, n, k int)
//
// dst[j] += sum over t < k of c[t]*x[j+t], for j < n, with AVX2 and FMA.
// n is a multiple of 8 and k is at least 1. Each tap coefficient is
// broadcast once per block and multiplies 64 (then 8) consecutive inputs,
// so every FMA makes 8 outputs and no horizontal sums are needed.
TEXT ·firFMA(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ c+16(FP), DX
	MOVQ n+24(FP), CX
	MOVQ k+32(FP), BX

block64:
	CMPQ    CX, $64
	JL      block8
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	VMOVUPS 128(DI), Y4
	VMOVUPS 160(DI), Y5
	VMOVUPS 192(DI), Y6
	VMOVUPS 224(DI), Y7
	MOVQ    SI, R8
	MOVQ    DX, R9
	MOVQ    BX, R10

tap64:
	VBROADCASTSS (R9), Y8
	VFMADD231PS  (R8), Y8, Y0
	VFMADD231PS  32(R8), Y8, Y1
	VFMADD231PS  64(R8), Y8, Y2
	VFMADD231PS  96(R8), Y8, Y3
	VFMADD231PS  128(R8), Y8, Y4
	VFMADD231PS  160(R8), Y8, Y5
	VFMADD231PS  192(R8), Y8, Y6
	VFMADD231PS  224(R8), Y8, Y7
	ADDQ         $4, R8
	ADDQ         $4, R9
	DECQ         R10
	JNZ          tap64
	VMOVUPS      Y0, (DI)
	VMOVUPS      Y1, 32(DI)
	VMOVUPS      Y2, 64(DI)
	VMOVUPS      Y3, 96(DI)
	VMOVUPS      Y4, 128(DI)
	VMOVUPS      Y5, 160(DI)
	VMOVUPS      Y6, 192(DI)
	VMOVUPS      Y7, 224(DI)
	ADDQ         $256, DI
	ADDQ         $256, SI
	SUBQ         $64, CX
	JMP          block64

block8:
	CMPQ    CX, $8
	JL      done
	VMOVUPS (DI), Y0
	MOVQ    SI, R8
	MOVQ    DX, R9
	MOVQ    BX, R10

tap8:
	VBROADCASTSS (R9), Y8
	VFMADD231PS  (R8), Y8, Y0
	ADDQ         $4, R8
	ADDQ         $4, R9
	DECQ         R10
	JNZ          tap8
	VMOVUPS      Y0, (DI)
	ADDQ         $32, DI
	ADDQ         $32, SI
	SUBQ         $8, CX
	JMP          block8

done:
	VZEROUPPER
	RET
