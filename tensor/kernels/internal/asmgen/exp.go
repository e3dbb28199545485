package main

import (
	"fmt"
	"math"

	"github.com/mmcloughlin/avo/attr"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The constants of kernels.Exp32 (Cephes' expf), in the order the
// arithmetic reads them; kernels.Exp32 spells out the same values.
var expConsts = []float32{
	1.44269504088896341, // log₂e
	0.5,
	0.693359375,     // ln 2, high part
	2.12194440e-4,   // ln 2 − 0.693359375, negated
	1.9875691500e-4, // p0
	1.3981999507e-3, // p1
	8.3334519073e-3, // p2
	4.1665795894e-2, // p3
	1.6666665459e-1, // p4
	5.0000001201e-1, // p5
	1,
	-87.3, // below: 0
	88.7,  // above: +Inf
}

// expTables writes the constants of Exp32 as whole vectors of 16 lanes
// (64 bytes), so that the arithmetic of either width can read them from
// memory, followed by +Inf and the exponent bias 127. The values are
// written as bits: the assembler reads a whole number written as a float
// (1) as an integer.
func expTables() (table Mem, infAt, biasAt int) {
	table = GLOBL("expTable", attr.RODATA|attr.NOPTR)
	const width = 64
	words := make([]uint32, 0, len(expConsts)+2)
	for _, v := range expConsts {
		words = append(words, math.Float32bits(v))
	}
	words = append(words, 0x7f800000, 127)
	for i, w := range words {
		for lane := 0; lane < 16; lane++ {
			DATA(width*i+4*lane, U32(w))
		}
	}
	return table, width * len(expConsts), width * (len(expConsts) + 1)
}

// expShift emits dst[i] = Exp32((x[i] − shift)·scale) on vectors of lanes
// (8: AVX2, YMM; 16: AVX-512, ZMM) elements with the scalar function's
// operations in its order and no fused multiply-adds, so the results are
// bit-identical to it.
func expShift(name string, lanes int, table Mem, infAt, biasAt int) {
	vec := YMM
	if lanes == 16 {
		vec = ZMM
	}
	konst := func(i int) Mem { return table.Offset(64 * i) }
	TEXT(name, NOSPLIT, "func(dst, x []float32, shift, scale float32)")
	Doc(fmt.Sprintf("%s sets dst[i] = Exp32((x[i] − shift)·scale) for i < len(dst), a", name),
		fmt.Sprintf("multiple of %d, as expShiftScalar does; len(x) ≥ len(dst).", lanes))
	Pragma("noescape")
	dst := Load(Param("dst").Base(), GP64())
	x := Load(Param("x").Base(), GP64())
	n := Load(Param("dst").Len(), GP64())
	shift, scale := vec(), vec()
	VBROADCASTSS(addr(Param("shift")), shift)
	VBROADCASTSS(addr(Param("scale")), scale)
	elementwiseLanes(name, n, []Register{dst, x}, lanes, 1, func(off int) {
		v, k, r, p, t, e := vec(), vec(), vec(), vec(), vec(), vec()
		VMOVUPS(Mem{Base: x, Disp: off}, v)
		VSUBPS(shift, v, v)
		VMULPS(scale, v, v)
		// k = floor(v·log₂e + 0.5)
		VMULPS(konst(0), v, k)
		VADDPS(konst(1), k, k)
		if lanes == 16 {
			VRNDSCALEPS(U8(1), k, k)
		} else {
			VROUNDPS(U8(1), k, k)
		}
		// r = v − k·C1 + k·C2
		VMULPS(konst(2), k, t)
		VSUBPS(t, v, r)
		VMULPS(konst(3), k, t)
		VADDPS(t, r, r)
		// p = ((((p0·r + p1)·r + p2)·r + p3)·r + p4)·r + p5
		VMULPS(konst(4), r, p)
		for i := 5; i <= 9; i++ {
			VADDPS(konst(i), p, p)
			if i < 9 {
				VMULPS(r, p, p)
			}
		}
		// y = p·r·r + r + 1
		VMULPS(r, p, p)
		VMULPS(r, p, p)
		VADDPS(r, p, p)
		VADDPS(konst(10), p, p)
		// 2^k from the exponent bits.
		VCVTTPS2DQ(k, e)
		VPADDD(table.Offset(biasAt), e, e)
		VPSLLD(U8(23), e, e)
		VMULPS(e, p, p)
		// Below −87.3: 0; above 88.7: +Inf; NaN: itself.
		if lanes == 16 {
			m := K()
			zero := vec()
			VXORPS(zero, zero, zero)
			VCMPPS(U8(cmpLT), konst(11), v, m)
			VBLENDMPS(zero, p, m, p)
			VCMPPS(U8(cmpGT), konst(12), v, m)
			VBLENDMPS(table.Offset(infAt), p, m, p)
			VCMPPS(U8(cmpUnord), v, v, m)
			VBLENDMPS(v, p, m, p)
		} else {
			m := vec()
			VCMPPS(U8(cmpLT), konst(11), v, m)
			VANDNPS(p, m, p)
			VCMPPS(U8(cmpGT), konst(12), v, m)
			VBLENDVPS(m, table.Offset(infAt), p, p)
			VCMPPS(U8(cmpUnord), v, v, m)
			VBLENDVPS(m, v, p, p)
		}
		VMOVUPS(p, Mem{Base: dst, Disp: off})
	})
}

// sum64 emits the float64 sums of x's values lane by lane: acc[l] += x[i]
// for i ≡ l mod 8, converting four values at a time, as sum64Scalar adds
// them.
func sum64() {
	TEXT("sum64AVX2", NOSPLIT, "func(acc *[8]float64, x []float32)")
	Doc("sum64AVX2 adds x[i] to acc[i mod 8] in float64 for i < len(x), a multiple",
		"of 8, in the order of i, as sum64Scalar does.")
	Pragma("noescape")
	acc := Load(Param("acc"), GP64())
	x := Load(Param("x").Base(), GP64())
	n := Load(Param("x").Len(), GP64())
	lo, hi := YMM(), YMM()
	VMOVUPD(Mem{Base: acc}, lo)
	VMOVUPD(Mem{Base: acc, Disp: 32}, hi)
	Label("sum64AVX2_loop")
	TESTQ(n, n)
	JE(LabelRef("sum64AVX2_done"))
	for h, a := range []VecVirtual{lo, hi} {
		v := YMM()
		VCVTPS2PD(Mem{Base: x, Disp: 16 * h}, v)
		VADDPD(v, a, a)
	}
	ADDQ(U8(32), x)
	SUBQ(U8(8), n)
	JMP(LabelRef("sum64AVX2_loop"))
	Label("sum64AVX2_done")
	VMOVUPD(lo, Mem{Base: acc})
	VMOVUPD(hi, Mem{Base: acc, Disp: 32})
	VZEROUPPER()
	RET()
}

// maxLanes emits the lane-wise maximum of x's values: acc[l] =
// MAXPS(acc[l], x[i]) for i ≡ l mod 8 in the order of i, as maxScalar
// takes it.
func maxLanes() {
	TEXT("maxAVX2", NOSPLIT, "func(acc *[8]float32, x []float32)")
	Doc("maxAVX2 sets acc[i mod 8] to x[i] unless acc[i mod 8] > x[i] (x86's MAXPS",
		"with acc first) for i < len(x), a multiple of 8, in the order of i, as",
		"maxScalar does.")
	Pragma("noescape")
	acc := Load(Param("acc"), GP64())
	x := Load(Param("x").Base(), GP64())
	n := Load(Param("x").Len(), GP64())
	m := YMM()
	VMOVUPS(Mem{Base: acc}, m)
	Label("maxAVX2_loop")
	TESTQ(n, n)
	JE(LabelRef("maxAVX2_done"))
	VMAXPS(Mem{Base: x}, m, m)
	ADDQ(U8(32), x)
	SUBQ(U8(8), n)
	JMP(LabelRef("maxAVX2_loop"))
	Label("maxAVX2_done")
	VMOVUPS(m, Mem{Base: acc})
	VZEROUPPER()
	RET()
}
