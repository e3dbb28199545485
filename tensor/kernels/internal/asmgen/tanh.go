package main

import (
	"github.com/mmcloughlin/avo/attr"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The rational approximation of tanh that Eigen (and so TensorFlow) uses
// for float32: tanh x ≈ x·P(x²)/Q(x²) on x clamped to ±tanhClamp, and x
// itself where |x| < tanhTiny. kernels.tanhScalar uses the same constants.
var tanhConsts = []float32{
	7.90531110763549805,   // clamp
	-7.90531110763549805,  // −clamp
	-2.76076847742355e-16, // α13
	2.00018790482477e-13,  // α11
	-8.60467152213735e-11, // α9
	5.12229709037114e-08,  // α7
	1.48572235717979e-05,  // α5
	6.37261928875436e-04,  // α3
	4.89352455891786e-03,  // α1
	1.19825839466702e-06,  // β6
	1.18534705686654e-04,  // β4
	2.26843463243900e-03,  // β2
	4.89352518554385e-03,  // β0
	0.0004,                // tiny
}

// tanh emits the element-wise tanh with the scalar loop's operations in
// its order and no fused multiply-adds. Each constant is stored as a whole
// vector so that the arithmetic can read it from memory.
func tanh() {
	table := GLOBL("tanhTable", attr.RODATA|attr.NOPTR)
	for i, v := range tanhConsts {
		for lane := 0; lane < 8; lane++ {
			DATA(32*i+4*lane, F32(v))
		}
	}
	absAt := 32 * len(tanhConsts)
	for lane := 0; lane < 8; lane++ {
		DATA(absAt+4*lane, U32(0x7fffffff))
	}
	konst := func(i int) Mem { return table.Offset(32 * i) }

	TEXT("tanhAVX2", NOSPLIT, "func(dst, x []float32)")
	Doc("tanhAVX2 sets dst[i] = tanh x[i] for i < len(dst), a multiple of 8, as",
		"tanhScalar does; len(x) ≥ len(dst).")
	Pragma("noescape")
	dst := Load(Param("dst").Base(), GP64())
	x := Load(Param("x").Base(), GP64())
	n := Load(Param("dst").Len(), GP64())
	hi, lo := YMM(), YMM()
	VMOVUPS(konst(0), hi)
	VMOVUPS(konst(1), lo)
	elementwise("tanhAVX2", n, []Register{dst, x}, 2, func(off int) {
		v, c, x2, p, q, small := YMM(), YMM(), YMM(), YMM(), YMM(), YMM()
		VMOVUPS(Mem{Base: x, Disp: off}, v)
		// VMINPS and VMAXPS return their first operand when either is
		// NaN, so NaN passes the clamp.
		VMINPS(v, hi, c)
		VMAXPS(c, lo, c)
		VMULPS(c, c, x2)
		VMULPS(konst(2), x2, p)
		for i := 3; i <= 8; i++ {
			VADDPS(konst(i), p, p)
			if i < 8 {
				VMULPS(x2, p, p)
			}
		}
		VMULPS(konst(9), x2, q)
		for i := 10; i <= 12; i++ {
			VADDPS(konst(i), q, q)
			if i < 12 {
				VMULPS(x2, q, q)
			}
		}
		VMULPS(c, p, p)
		VDIVPS(q, p, p)
		VANDPS(table.Offset(absAt), v, small)
		VCMPPS(U8(cmpLT), konst(13), small, small)
		VBLENDVPS(small, v, p, p)
		VMOVUPS(p, Mem{Base: dst, Disp: off})
	})
}
