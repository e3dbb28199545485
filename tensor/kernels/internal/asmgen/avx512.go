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
	k, a, la := loadA()
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
		switch r {
		case 4:
			return Mem{Base: base, Index: la, Scale: 4, Disp: disp}
		case 5:
			return Mem{Base: base, Index: la5, Scale: 1, Disp: disp}
		case 6:
			return Mem{Base: base, Index: la3, Scale: 2, Disp: disp}
		}
		return strideAddr(base, la, la3, r, disp)
	}
	// aAddr returns the address of A(r, u) relative to the current step.
	aAddr := func(r, u int) Mem {
		if !strided {
			return strideAddr(a, la, la3, u, 4*r)
		}
		if r < 7 {
			return rowAddr(a, r, 4*u)
		}
		return rowAddr(a7, r-7, 4*u)
	}
	// bAddr returns the address of vector v of B's row at step u.
	bAddr := func(u, v int) Mem {
		return Mem{Base: b, Disp: ldb*u + 64*v}
	}
	// advance moves A and B on by n steps.
	advance := func(n int) {
		advanceA(strided, a, a7, la, n)
		ADDQ(U32(ldb*n), b)
	}
	acc := gemmLoop(name, k, rows, vecs, ZMM, aAddr, bAddr, advance)
	gemmStore(name, acc, ZMM, true)
}

// packATrans14 emits the packing of a 14-row panel of a transposed A: for
// each p it copies the 14 consecutive values a[p·lda:p·lda+14] under a mask.
func packATrans14() {
	TEXT("packATrans14", NOSPLIT, "func(kc int, a []float32, lda int, dst []float32)")
	Doc("packATrans14 sets dst[p·14+r] = a[p·lda+r] for r < 14 and p < kc. The",
		"caller checks the bounds.")
	Pragma("noescape")
	k, a, la := loadA()
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
