// Command asmgen writes nash's AVX2+FMA assembly kernels for amd64 with avo.
// Run it through go generate in package kernels:
//
//	go generate ./tensor/kernels
package main

import (
	"github.com/mmcloughlin/avo/gotypes"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

func main() {
	ConstraintExpr("amd64,!purego")
	gemmKernel6x16()
	Generate()
}

// gemmKernel6x16 emits the 6×16 GEMM micro-kernel: twelve YMM accumulators
// hold a 6×16 tile of C; each step of the depth loop loads 16 values of the
// packed B panel, broadcasts 6 values of the packed A panel and issues 12
// FMAs. The depth loop is unrolled four times.
func gemmKernel6x16() {
	const mr, nr, unroll = 6, 16, 4
	TEXT("gemmKernel6x16", NOSPLIT, "func(kc int, a, b, c []float32, ldc int, alpha, beta float32)")
	Doc("gemmKernel6x16 computes C = alpha·Ã·B̃ + beta·C for a 6×16 tile of C",
		"with leading dimension ldc from the packed panels Ã (kc×6) and B̃",
		"(kc×16); C is not read when beta == 0. The caller checks the lengths.")
	Pragma("noescape")
	k := Load(Param("kc"), GP64())
	a := Load(Param("a").Base(), GP64())
	b := Load(Param("b").Base(), GP64())

	var acc [mr][2]VecVirtual
	for r := range acc {
		for h := range acc[r] {
			acc[r][h] = YMM()
			VXORPS(acc[r][h], acc[r][h], acc[r][h])
		}
	}
	b0, b1, av := YMM(), YMM(), YMM()
	step := func(u int) {
		VMOVUPS(Mem{Base: b, Disp: 4 * nr * u}, b0)
		VMOVUPS(Mem{Base: b, Disp: 4*nr*u + 32}, b1)
		for r := 0; r < mr; r++ {
			VBROADCASTSS(Mem{Base: a, Disp: 4 * (mr*u + r)}, av)
			VFMADD231PS(b0, av, acc[r][0])
			VFMADD231PS(b1, av, acc[r][1])
		}
	}

	Comment("Depth loop, unrolled.")
	Label("unrolled")
	CMPQ(k, U8(unroll))
	JL(LabelRef("tail"))
	for u := 0; u < unroll; u++ {
		step(u)
	}
	ADDQ(U32(4*mr*unroll), a)
	ADDQ(U32(4*nr*unroll), b)
	SUBQ(U8(unroll), k)
	JMP(LabelRef("unrolled"))

	Label("tail")
	TESTQ(k, k)
	JE(LabelRef("store"))
	step(0)
	ADDQ(U8(4*mr), a)
	ADDQ(U8(4*nr), b)
	DECQ(k)
	JMP(LabelRef("tail"))

	Comment("Scale by alpha, then add beta·C unless beta == 0.")
	Label("store")
	c := Load(Param("c").Base(), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(2), ldc)
	alpha := YMM()
	VBROADCASTSS(addr(Param("alpha")), alpha)
	for r := range acc {
		for h := range acc[r] {
			VMULPS(alpha, acc[r][h], acc[r][h])
		}
	}
	beta, zero := XMM(), XMM()
	VMOVSS(addr(Param("beta")), beta)
	VXORPS(zero, zero, zero)
	VUCOMISS(zero, beta)
	JNE(LabelRef("accumulate"))
	JP(LabelRef("accumulate"))
	storeRows(acc[:], c, ldc, nil)
	VZEROUPPER()
	RET()

	Label("accumulate")
	betas := YMM()
	VBROADCASTSS(beta, betas)
	storeRows(acc[:], c, ldc, betas)
	VZEROUPPER()
	RET()
}

// addr returns the stack address of a scalar argument, for instructions
// that take it as a memory operand.
func addr(c gotypes.Component) Mem {
	b, err := c.Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}

// storeRows stores the accumulator rows acc to C at c with byte stride ldc,
// first adding beta·C when beta is not nil. It advances c.
func storeRows(acc [][2]VecVirtual, c, ldc Register, beta VecVirtual) {
	for r, row := range acc {
		if r > 0 {
			ADDQ(ldc, c)
		}
		for h, v := range row {
			m := Mem{Base: c, Disp: 32 * h}
			if beta != nil {
				VFMADD231PS(m, beta, v)
			}
			VMOVUPS(v, m)
		}
	}
}
