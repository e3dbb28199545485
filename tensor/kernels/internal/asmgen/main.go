// Command asmgen writes nash's assembly kernels for amd64 with avo: the
// AVX2+FMA and AVX-512 GEMM micro-kernels and packing routines, and the
// element-wise loops.
// Run it through go generate in package kernels:
//
//	go generate ./tensor/kernels
package main

import (
	"fmt"

	"github.com/mmcloughlin/avo/gotypes"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

func main() {
	ConstraintExpr("amd64,!purego")
	for rows := 1; rows <= 6; rows++ {
		gemmKernel(rows, false)
		gemmKernel(rows, true)
	}
	packBTrans("packBTrans16", 16)
	packBRows16()
	packATrans6()
	for rows := 1; rows <= rows512; rows++ {
		for vecs := 1; vecs <= 2; vecs++ {
			gemmKernel512(rows, vecs, false)
			gemmKernel512(rows, vecs, true)
		}
	}
	packBTrans("packBTrans16x32", cols512)
	packBRows32()
	packATrans14()
	axpy()
	leakyReLU()
	leakyReLUGrad()
	adam("adamAVX2", 8, YMM)
	adam("adamAVX512", 16, ZMM)
	tanh()
	binaries()
	accumulate64()
	Generate()
}

// gemmKernel emits a GEMM micro-kernel for a rows×16 tile of C (rows ≤ 6),
// held in 2·rows YMM accumulators. Each step of the depth loop loads a row
// of 16 values of B, broadcasts rows values of A and issues 2·rows FMAs;
// the loop is unrolled four times. B's rows are ldb apart. A's element
// (r, p) is at a[p·lda + r] (interleaved: a packed panel with lda = 6, or
// a transposed matrix) or, when strided, at a[r·lda + p] (a row-major
// matrix read in place).
//
// Every element of C is one FMA chain over p in order followed by the same
// scaling, so kernels with different rows give bit-identical results.
func gemmKernel(rows int, strided bool) {
	const unroll = 4
	name := fmt.Sprintf("gemm%dx16i", rows)
	layout := "a[p·lda+r]"
	if strided {
		name = fmt.Sprintf("gemm%dx16s", rows)
		layout = "a[r·lda+p]"
	}
	TEXT(name, NOSPLIT, "func(kc int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32)")
	Doc(fmt.Sprintf("%s computes C = alpha·A·B + beta·C for a %d×16 tile of C", name, rows),
		fmt.Sprintf("(c[i·ldc+j]) at depth kc, with A(r, p) = %s and B(p, j) = b[p·ldb+j].", layout),
		"C is not read when beta == 0. The caller checks the bounds.")
	Pragma("noescape")
	k := Load(Param("kc"), GP64())
	a := Load(Param("a").Base(), GP64())
	la := Load(Param("lda"), GP64())
	SHLQ(U8(2), la)
	la3 := GP64()
	LEAQ(Mem{Base: la, Index: la, Scale: 2}, la3)
	b := Load(Param("b").Base(), GP64())
	lb := Load(Param("ldb"), GP64())
	SHLQ(U8(2), lb)
	lb3 := GP64()
	LEAQ(Mem{Base: lb, Index: lb, Scale: 2}, lb3)
	var a4 GPVirtual
	if strided && rows > 4 {
		a4 = GP64()
		LEAQ(Mem{Base: a, Index: la, Scale: 4}, a4)
	}

	// stepAddr returns the address of step u (0 ≤ u < 4) of a row of
	// stride s bytes starting at base+disp, with s3 = 3·s.
	stepAddr := func(base, s, s3 Register, u, disp int) Mem {
		switch u {
		case 1:
			return Mem{Base: base, Index: s, Scale: 1, Disp: disp}
		case 2:
			return Mem{Base: base, Index: s, Scale: 2, Disp: disp}
		case 3:
			return Mem{Base: base, Index: s3, Scale: 1, Disp: disp}
		}
		return Mem{Base: base, Disp: disp}
	}
	// aAddr returns the address of A(r, u) relative to the current step.
	aAddr := func(r, u int) Mem {
		if !strided {
			return stepAddr(a, la, la3, u, 4*r)
		}
		switch r {
		case 0:
			return Mem{Base: a, Disp: 4 * u}
		case 3:
			return Mem{Base: a, Index: la3, Scale: 1, Disp: 4 * u}
		case 4:
			return Mem{Base: a, Index: la, Scale: 4, Disp: 4 * u}
		case 5:
			return Mem{Base: a4, Index: la, Scale: 1, Disp: 4 * u}
		}
		return Mem{Base: a, Index: la, Scale: uint8(r), Disp: 4 * u}
	}

	acc := make([][2]VecVirtual, rows)
	for r := range acc {
		for h := range acc[r] {
			acc[r][h] = YMM()
			VXORPS(acc[r][h], acc[r][h], acc[r][h])
		}
	}
	b0, b1, av := YMM(), YMM(), YMM()
	step := func(u int) {
		VMOVUPS(stepAddr(b, lb, lb3, u, 0), b0)
		VMOVUPS(stepAddr(b, lb, lb3, u, 32), b1)
		for r := 0; r < rows; r++ {
			VBROADCASTSS(aAddr(r, u), av)
			VFMADD231PS(b0, av, acc[r][0])
			VFMADD231PS(b1, av, acc[r][1])
		}
	}
	// advance moves A and B on by n steps.
	advance := func(n int) {
		if strided {
			ADDQ(U8(4*n), a)
			if a4 != nil {
				ADDQ(U8(4*n), a4)
			}
		} else {
			LEAQ(Mem{Base: a, Index: la, Scale: uint8(n)}, a)
		}
		LEAQ(Mem{Base: b, Index: lb, Scale: uint8(n)}, b)
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
	JNE(LabelRef(name + "_accumulate"))
	JP(LabelRef(name + "_accumulate"))
	storeRows(acc, c, ldc, nil)
	VZEROUPPER()
	RET()

	Label(name + "_accumulate")
	betas := YMM()
	VBROADCASTSS(beta, betas)
	storeRows(acc, c, ldc, betas)
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

// packBTrans emits the packing of 16 columns of a transposed B into a panel
// of width columns (16 or 32): it reads 16 rows of kc values (row j at
// b[j·ldb:]) and writes them as kc rows (dst[p·width+j]), transposing 8×8
// blocks in registers. kc must be a multiple of 8.
func packBTrans(name string, width int) {
	TEXT(name, NOSPLIT, "func(kc int, b []float32, ldb int, dst []float32)")
	Doc(fmt.Sprintf("%s sets dst[p·%d+j] = b[j·ldb+p] for j < 16 and p < kc, a", name, width),
		"multiple of 8. The caller checks the bounds.")
	Pragma("noescape")
	k := Load(Param("kc"), GP64())
	lb := Load(Param("ldb"), GP64())
	SHLQ(U8(2), lb)
	lb3 := GP64()
	LEAQ(Mem{Base: lb, Index: lb, Scale: 2}, lb3)
	// Four row pointers: rows 0, 4, 8 and 12.
	var base [4]Register
	base[0] = Load(Param("b").Base(), GP64())
	for q := 1; q < 4; q++ {
		base[q] = GP64()
		LEAQ(Mem{Base: base[q-1], Index: lb, Scale: 4}, base[q])
	}
	dst := Load(Param("dst").Base(), GP64())
	rowAddr := func(j int) Mem {
		m := Mem{Base: base[j/4]}
		switch j % 4 {
		case 1:
			m.Index, m.Scale = lb, 1
		case 2:
			m.Index, m.Scale = lb, 2
		case 3:
			m.Index, m.Scale = lb3, 1
		}
		return m
	}

	Label(name + "_loop")
	CMPQ(k, U8(8))
	JL(LabelRef(name + "_done"))
	for half := 0; half < 2; half++ {
		var r, t, u [8]VecVirtual
		for j := range r {
			r[j] = YMM()
			VMOVUPS(rowAddr(8*half+j), r[j])
		}
		for j := 0; j < 8; j += 2 {
			t[j], t[j+1] = YMM(), YMM()
			VUNPCKLPS(r[j+1], r[j], t[j])
			VUNPCKHPS(r[j+1], r[j], t[j+1])
		}
		for q := 0; q < 8; q += 4 {
			u[q], u[q+1], u[q+2], u[q+3] = YMM(), YMM(), YMM(), YMM()
			VSHUFPS(U8(0x44), t[q+2], t[q], u[q])
			VSHUFPS(U8(0xEE), t[q+2], t[q], u[q+1])
			VSHUFPS(U8(0x44), t[q+3], t[q+1], u[q+2])
			VSHUFPS(U8(0xEE), t[q+3], t[q+1], u[q+3])
		}
		// u[q] (q < 4) holds column q of rows 0-3 in its low lane and
		// column q+4 in its high lane; u[q+4] the same for rows 4-7.
		for q := 0; q < 4; q++ {
			lo, hi := YMM(), YMM()
			VPERM2F128(U8(0x20), u[q+4], u[q], lo)
			VPERM2F128(U8(0x31), u[q+4], u[q], hi)
			VMOVUPS(lo, Mem{Base: dst, Disp: 4*width*q + 32*half})
			VMOVUPS(hi, Mem{Base: dst, Disp: 4*width*(q+4) + 32*half})
		}
	}
	for q := range base {
		ADDQ(U8(32), base[q])
	}
	ADDQ(U32(8*width*4), dst)
	SUBQ(U8(8), k)
	JMP(LabelRef(name + "_loop"))

	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// packBRows16 emits the packing of panels of 16 columns of a row-major B,
// reading B row by row so that the hardware prefetcher streams it.
func packBRows16() {
	TEXT("packBRows16", NOSPLIT, "func(kc int, b []float32, ldb int, panels int, dst []float32)")
	Doc("packBRows16 sets dst[q·16·kc+p·16+j] = b[p·ldb+q·16+j] for j < 16, p < kc",
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
	SHLQ(U8(6), stride)
	x0, x1 := YMM(), YMM()
	src, out, q := GP64(), GP64(), GP64()

	Label("packBRows16_row")
	MOVQ(b, src)
	MOVQ(dst, out)
	MOVQ(panels, q)
	Label("packBRows16_panel")
	VMOVUPS(Mem{Base: src}, x0)
	VMOVUPS(Mem{Base: src, Disp: 32}, x1)
	VMOVUPS(x0, Mem{Base: out})
	VMOVUPS(x1, Mem{Base: out, Disp: 32})
	ADDQ(U8(64), src)
	ADDQ(stride, out)
	DECQ(q)
	JNE(LabelRef("packBRows16_panel"))
	ADDQ(lb, b)
	ADDQ(U8(64), dst)
	DECQ(k)
	JNE(LabelRef("packBRows16_row"))
	VZEROUPPER()
	RET()
}

// packATrans6 emits the packing of a 6-row panel of a transposed A: for
// each p it copies the 6 consecutive values a[p·lda:p·lda+6].
func packATrans6() {
	TEXT("packATrans6", NOSPLIT, "func(kc int, a []float32, lda int, dst []float32)")
	Doc("packATrans6 sets dst[p·6+r] = a[p·lda+r] for r < 6 and p < kc. The",
		"caller checks the bounds.")
	Pragma("noescape")
	k := Load(Param("kc"), GP64())
	a := Load(Param("a").Base(), GP64())
	la := Load(Param("lda"), GP64())
	SHLQ(U8(2), la)
	dst := Load(Param("dst").Base(), GP64())
	lo, hi := XMM(), XMM()
	Label("packATrans6_loop")
	VMOVUPS(Mem{Base: a}, lo)
	VMOVSD(Mem{Base: a, Disp: 16}, hi)
	VMOVUPS(lo, Mem{Base: dst})
	VMOVSD(hi, Mem{Base: dst, Disp: 16})
	ADDQ(la, a)
	ADDQ(U8(24), dst)
	DECQ(k)
	JNE(LabelRef("packATrans6_loop"))
	RET()
}

// elementwise emits the loop of an element-wise kernel over n elements, a
// multiple of 8, with 8-lane (YMM) vectors; see elementwiseLanes.
func elementwise(name string, n Register, bases []Register, unroll int, body func(off int)) {
	elementwiseLanes(name, n, bases, 8, unroll, body)
}

// elementwiseLanes emits the loop of an element-wise kernel over n
// elements, a multiple of lanes: body(off) processes the lanes elements at
// byte offset off from each of bases, and the loop runs it unroll times per
// iteration while at least lanes·unroll elements remain, then once per
// lanes.
func elementwiseLanes(name string, n Register, bases []Register, lanes, unroll int, body func(off int)) {
	width := 4 * lanes
	if unroll > 1 {
		Label(name + "_unrolled")
		CMPQ(n, U8(lanes*unroll))
		JL(LabelRef(name + "_single"))
		for u := 0; u < unroll; u++ {
			body(width * u)
		}
		for _, b := range bases {
			ADDQ(U32(width*unroll), b)
		}
		SUBQ(U8(lanes*unroll), n)
		JMP(LabelRef(name + "_unrolled"))
	}

	Label(name + "_single")
	TESTQ(n, n)
	JE(LabelRef(name + "_done"))
	body(0)
	for _, b := range bases {
		ADDQ(U8(width), b)
	}
	SUBQ(U8(lanes), n)
	JMP(LabelRef(name + "_single"))

	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// axpy emits y += alpha·x with a separate multiply and add, so that it
// rounds exactly as the scalar Go loop does without FMA fusion.
func axpy() {
	TEXT("axpyAVX2", NOSPLIT, "func(alpha float32, x, y []float32)")
	Doc("axpyAVX2 sets y[i] += alpha·x[i] for i < len(x), a multiple of 8;",
		"len(y) ≥ len(x).")
	Pragma("noescape")
	alpha := YMM()
	VBROADCASTSS(addr(Param("alpha")), alpha)
	x := Load(Param("x").Base(), GP64())
	y := Load(Param("y").Base(), GP64())
	n := Load(Param("x").Len(), GP64())
	elementwise("axpyAVX2", n, []Register{x, y}, 4, func(off int) {
		t := YMM()
		VMULPS(Mem{Base: x, Disp: off}, alpha, t)
		VADDPS(Mem{Base: y, Disp: off}, t, t)
		VMOVUPS(t, Mem{Base: y, Disp: off})
	})
}

// leakyReLU emits dst = x where x > 0, slope·x elsewhere.
func leakyReLU() {
	TEXT("leakyReLUAVX2", NOSPLIT, "func(dst, x []float32, slope float32)")
	Doc("leakyReLUAVX2 sets dst[i] = x[i] if x[i] > 0 and slope·x[i] otherwise",
		"for i < len(dst), a multiple of 8; len(x) ≥ len(dst).")
	Pragma("noescape")
	slope, zero := YMM(), YMM()
	VBROADCASTSS(addr(Param("slope")), slope)
	VXORPS(zero, zero, zero)
	dst := Load(Param("dst").Base(), GP64())
	x := Load(Param("x").Base(), GP64())
	n := Load(Param("dst").Len(), GP64())
	elementwise("leakyReLUAVX2", n, []Register{dst, x}, 4, func(off int) {
		v, sv, pos := YMM(), YMM(), YMM()
		VMOVUPS(Mem{Base: x, Disp: off}, v)
		VMULPS(v, slope, sv)
		VCMPPS(U8(cmpGT), zero, v, pos)
		VBLENDVPS(pos, v, sv, sv)
		VMOVUPS(sv, Mem{Base: dst, Disp: off})
	})
}

// leakyReLUGrad emits dst = g where x > 0, slope·g elsewhere.
func leakyReLUGrad() {
	TEXT("leakyReLUGradAVX2", NOSPLIT, "func(dst, x, g []float32, slope float32)")
	Doc("leakyReLUGradAVX2 sets dst[i] = g[i] if x[i] > 0 and slope·g[i]",
		"otherwise for i < len(dst), a multiple of 8; x and g are at least as",
		"long.")
	Pragma("noescape")
	slope, zero := YMM(), YMM()
	VBROADCASTSS(addr(Param("slope")), slope)
	VXORPS(zero, zero, zero)
	dst := Load(Param("dst").Base(), GP64())
	x := Load(Param("x").Base(), GP64())
	g := Load(Param("g").Base(), GP64())
	n := Load(Param("dst").Len(), GP64())
	elementwise("leakyReLUGradAVX2", n, []Register{dst, x, g}, 4, func(off int) {
		gv, sg, pos := YMM(), YMM(), YMM()
		VMOVUPS(Mem{Base: g, Disp: off}, gv)
		VMULPS(gv, slope, sg)
		VCMPPS(U8(cmpLT), Mem{Base: x, Disp: off}, zero, pos)
		VBLENDVPS(pos, gv, sg, sg)
		VMOVUPS(sg, Mem{Base: dst, Disp: off})
	})
}

// VCMPPS predicates "greater than" and "less than", ordered and quiet:
// false when either operand is NaN.
const (
	cmpGT = 0x1e
	cmpLT = 0x11
)

// adam emits PyTorch's Adam update with the scalar loop's operation order
// and no fused multiply-adds, on vectors of lanes (8 or 16) elements made
// by vec.
func adam(name string, lanes int, vec func() VecVirtual) {
	TEXT(name, NOSPLIT, "func(p, g, m, v []float32, b1, c1, b2, c2, step, sbc2, eps float32)")
	Doc(fmt.Sprintf("%s applies, for i < len(p), a multiple of %d (g, m and v are at", name, lanes),
		"least as long):",
		"",
		"\tm[i] = b1·m[i] + c1·g[i]",
		"\tv[i] = b2·v[i] + c2·g[i]·g[i]",
		"\tp[i] -= step·m[i] / (√v[i]/sbc2 + eps)")
	Pragma("noescape")
	consts := map[string]VecVirtual{}
	for _, name := range []string{"b1", "c1", "b2", "c2", "step", "sbc2", "eps"} {
		consts[name] = vec()
		VBROADCASTSS(addr(Param(name)), consts[name])
	}
	p := Load(Param("p").Base(), GP64())
	g := Load(Param("g").Base(), GP64())
	m := Load(Param("m").Base(), GP64())
	v := Load(Param("v").Base(), GP64())
	n := Load(Param("p").Len(), GP64())
	elementwiseLanes(name, n, []Register{p, g, m, v}, lanes, 1, func(off int) {
		gv, mv, vv, t := vec(), vec(), vec(), vec()
		VMOVUPS(Mem{Base: g, Disp: off}, gv)
		VMULPS(Mem{Base: m, Disp: off}, consts["b1"], mv)
		VMULPS(gv, consts["c1"], t)
		VADDPS(t, mv, mv)
		VMOVUPS(mv, Mem{Base: m, Disp: off})
		VMULPS(gv, consts["c2"], t)
		VMULPS(gv, t, t)
		VMULPS(Mem{Base: v, Disp: off}, consts["b2"], vv)
		VADDPS(t, vv, vv)
		VMOVUPS(vv, Mem{Base: v, Disp: off})
		VSQRTPS(vv, vv)
		VDIVPS(consts["sbc2"], vv, vv)
		VADDPS(consts["eps"], vv, vv)
		VMULPS(mv, consts["step"], mv)
		VDIVPS(vv, mv, mv)
		pv := vec()
		VMOVUPS(Mem{Base: p, Disp: off}, pv)
		VSUBPS(mv, pv, pv)
		VMOVUPS(pv, Mem{Base: p, Disp: off})
	})
}
