package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// binary emits dst = x op y element-wise with AVX2; IEEE arithmetic rounds
// each lane as the scalar loop does, so the results are identical.
func binary(name, doc string, op func(y, x, dst Op)) {
	TEXT(name, NOSPLIT, "func(dst, x, y []float32)")
	Doc(fmt.Sprintf("%s sets dst[i] = %s for i < len(dst), a multiple of 8;", name, doc),
		"x and y are at least as long.")
	Pragma("noescape")
	dst := Load(Param("dst").Base(), GP64())
	x := Load(Param("x").Base(), GP64())
	y := Load(Param("y").Base(), GP64())
	n := Load(Param("dst").Len(), GP64())
	elementwise(name, n, []Register{dst, x, y}, 4, func(off int) {
		v := YMM()
		VMOVUPS(Mem{Base: x, Disp: off}, v)
		op(Mem{Base: y, Disp: off}, v, v)
		VMOVUPS(v, Mem{Base: dst, Disp: off})
	})
}

// binaries emits the four arithmetic operations.
func binaries() {
	binary("addAVX2", "x[i] + y[i]", func(y, x, dst Op) { VADDPS(y, x, dst) })
	binary("subAVX2", "x[i] − y[i]", func(y, x, dst Op) { VSUBPS(y, x, dst) })
	binary("mulAVX2", "x[i] · y[i]", func(y, x, dst Op) { VMULPS(y, x, dst) })
	binary("divAVX2", "x[i] / y[i]", func(y, x, dst Op) { VDIVPS(y, x, dst) })
}

// accumulate64 emits acc[j] += float64(x[j]), converting four values at a
// time; float64 addition rounds each lane as the scalar loop does.
func accumulate64() {
	TEXT("accumulate64AVX2", NOSPLIT, "func(acc []float64, x []float32)")
	Doc("accumulate64AVX2 sets acc[j] += float64(x[j]) for j < len(x), a multiple",
		"of 8; len(acc) ≥ len(x).")
	Pragma("noescape")
	acc := Load(Param("acc").Base(), GP64())
	x := Load(Param("x").Base(), GP64())
	n := Load(Param("x").Len(), GP64())
	Label("accumulate64AVX2_loop")
	TESTQ(n, n)
	JE(LabelRef("accumulate64AVX2_done"))
	for h := 0; h < 2; h++ {
		v := YMM()
		VCVTPS2PD(Mem{Base: x, Disp: 16 * h}, v)
		VADDPD(Mem{Base: acc, Disp: 32 * h}, v, v)
		VMOVUPD(v, Mem{Base: acc, Disp: 32 * h})
	}
	ADDQ(U8(32), x)
	ADDQ(U8(64), acc)
	SUBQ(U8(8), n)
	JMP(LabelRef("accumulate64AVX2_loop"))
	Label("accumulate64AVX2_done")
	VZEROUPPER()
	RET()
}
