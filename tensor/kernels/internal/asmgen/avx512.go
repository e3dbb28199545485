package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The AVX-512 micro-kernel's tile: up to 14 rows of two ZMM vectors (32
// columns), 28 accumulators of the 32 ZMM registers; two more hold a row of
// B and one a broadcast value of A.
const (
	rows512 = 14
	cols512 = 32
)

// gemmKernel512 emits an AVX-512 GEMM micro-kernel for a rows×(16·vecs) tile
// of C (rows ≤ 14, vecs 1 or 2) at depth kc. B is a packed panel of 32
// columns (b[p·32+j]). A's element (r, p) is at a[p·lda+r] (interleaved: a
// packed panel with lda = 14, or a transposed matrix read in place) or, when
// strided, at a[r·lda+p] (a row-major matrix read in place). Each step of the
// depth loop loads vecs vectors of B, broadcasts rows values of A and issues
// rows·vecs FMAs; the loop is unrolled four times.
//
// The last vector of each row is stored under mask, so a tile cut by C's
// right edge is written in place. Every element of C is one FMA chain over p
// in order followed by the same scaling, so kernels of different sizes give
// bit-identical results.
func gemmKernel512(rows, vecs int, strided bool) {
	const unroll = 4
	const ldb = 4 * cols512
	name := fmt.Sprintf("gemm%dx%dzi", rows, 16*vecs)
	layout := "a[p·lda+r]"
	if strided {
		name = fmt.Sprintf("gemm%dx%dzs", rows, 16*vecs)
		layout = "a[r·lda+p]"
	}
	TEXT(name, NOSPLIT, "func(kc int, a []float32, lda int, b []float32, c []float32, ldc int, alpha, beta float32, mask uint16)")
	Doc(fmt.Sprintf("%s computes C = alpha·A·B + beta·C for a %d×%d tile of C", name, rows, 16*vecs),
		fmt.Sprintf("(c[i·ldc+j]) at depth kc, with A(r, p) = %s and B(p, j) = b[p·32+j].", layout),
		"Only the columns of the last 16 whose bits are set in mask are read and",
		"written. C is not read when beta == 0. The caller checks the bounds.")
	Pragma("noescape")
	k := Load(Param("kc"), GP64())
	a := Load(Param("a").Base(), GP64())
	la := Load(Param("lda"), GP64())
	SHLQ(U8(2), la)
	la3 := GP64()
	LEAQ(Mem{Base: la, Index: la, Scale: 2}, la3)
	b := Load(Param("b").Base(), GP64())
	var la5, a7 GPVirtual
	if strided && rows > 5 {
		la5 = GP64()
		LEAQ(Mem{Base: la, Index: la, Scale: 4}, la5)
	}
	if strided && rows > 7 {
		a7 = GP64()
		LEAQ(Mem{Base: a, Index: la3, Scale: 1}, a7)
		LEAQ(Mem{Base: a7, Index: la, Scale: 4}, a7)
	}

	// rowAddr returns the address of row r (0 ≤ r < 7) of a strided A
	// relative to base.
	rowAddr := func(base Register, r, disp int) Mem {
		m := Mem{Base: base, Disp: disp}
		switch r {
		case 1:
			m.Index, m.Scale = la, 1
		case 2:
			m.Index, m.Scale = la, 2
		case 3:
			m.Index, m.Scale = la3, 1
		case 4:
			m.Index, m.Scale = la, 4
		case 5:
			m.Index, m.Scale = la5, 1
		case 6:
			m.Index, m.Scale = la3, 2
		}
		return m
	}
	// aAddr returns the address of A(r, u) relative to the current step.
	aAddr := func(r, u int) Mem {
		if strided {
			if r < 7 {
				return rowAddr(a, r, 4*u)
			}
			return rowAddr(a7, r-7, 4*u)
		}
		m := Mem{Base: a, Disp: 4 * r}
		switch u {
		case 1:
			m.Index, m.Scale = la, 1
		case 2:
			m.Index, m.Scale = la, 2
		case 3:
			m.Index, m.Scale = la3, 1
		}
		return m
	}

	acc := make([][]VecVirtual, rows)
	for r := range acc {
		acc[r] = make([]VecVirtual, vecs)
		for v := range acc[r] {
			acc[r][v] = ZMM()
			VXORPS(acc[r][v], acc[r][v], acc[r][v])
		}
	}
	bv := make([]VecVirtual, vecs)
	for v := range bv {
		bv[v] = ZMM()
	}
	av := ZMM()
	step := func(u int) {
		for v := range bv {
			VMOVUPS(Mem{Base: b, Disp: ldb*u + 64*v}, bv[v])
		}
		for r := 0; r < rows; r++ {
			VBROADCASTSS(aAddr(r, u), av)
			for v := range bv {
				VFMADD231PS(bv[v], av, acc[r][v])
			}
		}
	}
	advance := func(n int) {
		if strided {
			ADDQ(U8(4*n), a)
			if a7 != nil {
				ADDQ(U8(4*n), a7)
			}
		} else {
			LEAQ(Mem{Base: a, Index: la, Scale: uint8(n)}, a)
		}
		ADDQ(U32(ldb*n), b)
	}

	Comment("Depth loop, unrolled.")
	Label(name + "_unrolled")
	CMPQ(k, U8(unroll))
	JL(LabelRef(name + "_tail"))
	for u := 0; u < unroll; u++ {
		step(u)
	}
	advance(unroll)
	SUBQ(U8(unroll), k)
	JMP(LabelRef(name + "_unrolled"))

	Label(name + "_tail")
	TESTQ(k, k)
	JE(LabelRef(name + "_store"))
	step(0)
	advance(1)
	DECQ(k)
	JMP(LabelRef(name + "_tail"))

	Comment("Scale by alpha, then add beta·C unless beta == 0.")
	Label(name + "_store")
	c := Load(Param("c").Base(), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(2), ldc)
	mask := K()
	maskBits := Load(Param("mask"), GP32())
	KMOVW(maskBits, mask)
	alpha := ZMM()
	VBROADCASTSS(addr(Param("alpha")), alpha)
	for r := range acc {
		for _, v := range acc[r] {
			VMULPS(alpha, v, v)
		}
	}
	beta, zero := XMM(), XMM()
	VMOVSS(addr(Param("beta")), beta)
	VXORPS(zero, zero, zero)
	VUCOMISS(zero, beta)
	JNE(LabelRef(name + "_accumulate"))
	JP(LabelRef(name + "_accumulate"))
	storeRows512(acc, c, ldc, mask, nil)
	VZEROUPPER()
	RET()

	Label(name + "_accumulate")
	betas := ZMM()
	VBROADCASTSS(beta, betas)
	storeRows512(acc, c, ldc, mask, betas)
	VZEROUPPER()
	RET()
}

// storeRows512 stores the accumulator rows acc to C at c with byte stride
// ldc, the last vector of each row under mask, first adding beta·C when
// beta is not nil. It advances c.
func storeRows512(acc [][]VecVirtual, c, ldc Register, mask Op, beta VecVirtual) {
	for r, row := range acc {
		if r > 0 {
			ADDQ(ldc, c)
		}
		for v, x := range row {
			m := Mem{Base: c, Disp: 64 * v}
			last := v == len(row)-1
			switch {
			case beta != nil && last:
				VFMADD231PS(m, beta, mask, x)
			case beta != nil:
				VFMADD231PS(m, beta, x)
			}
			if last {
				VMOVUPS(x, mask, m)
			} else {
				VMOVUPS(x, m)
			}
		}
	}
}

// packBRows32 emits the packing of panels of 32 columns of a row-major B,
// reading B row by row so that the hardware prefetcher streams it.
func packBRows32() {
	TEXT("packBRows32", NOSPLIT, "func(kc int, b []float32, ldb int, panels int, dst []float32)")
	Doc("packBRows32 sets dst[q·32·kc+p·32+j] = b[p·ldb+q·32+j] for j < 32, p < kc",
		"and q < panels. The caller checks the bounds.")
	Pragma("noescape")
	k := Load(Param("kc"), GP64())
	b := Load(Param("b").Base(), GP64())
	lb := Load(Param("ldb"), GP64())
	SHLQ(U8(2), lb)
	panels := Load(Param("panels"), GP64())
	dst := Load(Param("dst").Base(), GP64())
	stride := GP64()
	MOVQ(k, stride)
	SHLQ(U8(7), stride)
	x0, x1 := ZMM(), ZMM()
	src, out, q := GP64(), GP64(), GP64()

	Label("packBRows32_row")
	MOVQ(b, src)
	MOVQ(dst, out)
	MOVQ(panels, q)
	Label("packBRows32_panel")
	VMOVUPS(Mem{Base: src}, x0)
	VMOVUPS(Mem{Base: src, Disp: 64}, x1)
	VMOVUPS(x0, Mem{Base: out})
	VMOVUPS(x1, Mem{Base: out, Disp: 64})
	SUBQ(I8(-128), src)
	ADDQ(stride, out)
	DECQ(q)
	JNE(LabelRef("packBRows32_panel"))
	ADDQ(lb, b)
	SUBQ(I8(-128), dst)
	DECQ(k)
	JNE(LabelRef("packBRows32_row"))
	VZEROUPPER()
	RET()
}

// packATrans14 emits the packing of a 14-row panel of a transposed A: for
// each p it copies the 14 consecutive values a[p·lda:p·lda+14] under a mask.
func packATrans14() {
	TEXT("packATrans14", NOSPLIT, "func(kc int, a []float32, lda int, dst []float32)")
	Doc("packATrans14 sets dst[p·14+r] = a[p·lda+r] for r < 14 and p < kc. The",
		"caller checks the bounds.")
	Pragma("noescape")
	k := Load(Param("kc"), GP64())
	a := Load(Param("a").Base(), GP64())
	la := Load(Param("lda"), GP64())
	SHLQ(U8(2), la)
	dst := Load(Param("dst").Base(), GP64())
	bits := GP32()
	MOVL(U32(1<<rows512-1), bits)
	mask := K()
	KMOVW(bits, mask)
	x := ZMM()
	Label("packATrans14_loop")
	VMOVUPS_Z(Mem{Base: a}, mask, x)
	VMOVUPS(x, mask, Mem{Base: dst})
	ADDQ(la, a)
	ADDQ(U8(4*rows512), dst)
	DECQ(k)
	JNE(LabelRef("packATrans14_loop"))
	VZEROUPPER()
	RET()
}
