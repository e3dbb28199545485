// Command asmgen writes nash's assembly kernels for amd64 with avo: the
// AVX2+FMA and AVX-512 GEMM micro-kernels and packing routines, and the
// element-wise loops.
// Run it through go generate in package kernels:
//
//	go generate ./tensor/kernels
package main

import (
	"fmt"
	"math/bits"

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
	packBRows(16, YMM)
	packATrans6()
	for rows := 1; rows <= rows512; rows++ {
		for vecs := 1; vecs <= 2; vecs++ {
			gemmKernel512(rows, vecs, false)
			gemmKernel512(rows, vecs, true)
		}
	}
	packBTrans("packBTrans16x32", cols512)
	packBRows(cols512, ZMM)
	packATrans14()
	axpy()
	leakyReLU()
	leakyReLUGrad()
	adam("adamAVX2", 8, YMM)
	adam("adamAVX512", 16, ZMM)
	tanh()
	table, infAt, biasAt := expTables()
	expShift("expShiftAVX2", 8, table, infAt, biasAt)
	expShift("expShiftAVX512", 16, table, infAt, biasAt)
	sum64()
	maxLanes()
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
	k, a, la := loadA()
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

	// aAddr returns the address of A(r, u) relative to the current step.
	aAddr := func(r, u int) Mem {
		if !strided {
			return strideAddr(a, la, la3, u, 4*r)
		}
		switch r {
		case 4:
			return Mem{Base: a, Index: la, Scale: 4, Disp: 4 * u}
		case 5:
			return Mem{Base: a4, Index: la, Scale: 1, Disp: 4 * u}
		}
		return strideAddr(a, la, la3, r, 4*u)
	}
	// bAddr returns the address of vector v of B's row at step u.
	bAddr := func(u, v int) Mem {
		return strideAddr(b, lb, lb3, u, 32*v)
	}
	// advance moves A and B on by n steps.
	advance := func(n int) {
		advanceA(strided, a, a4, la, n)
		LEAQ(Mem{Base: b, Index: lb, Scale: uint8(n)}, b)
	}
	acc := gemmLoop(name, k, rows, 2, YMM, aAddr, bAddr, advance)
	gemmStore(name, acc, YMM, false)
}

// strideAddr returns the address base+disp+i·s for i < 4, with s3 = 3·s.
func strideAddr(base, s, s3 Register, i, disp int) Mem {
	m := Mem{Base: base, Disp: disp}
	switch i {
	case 1:
		m.Index, m.Scale = s, 1
	case 2:
		m.Index, m.Scale = s, 2
	case 3:
		m.Index, m.Scale = s3, 1
	}
	return m
}

// advanceA moves a GEMM micro-kernel's A on by n steps of the depth loop:
// n values along each row of a strided A, its base a and the second row
// pointer high if not nil, or else n rows of byte stride la.
func advanceA(strided bool, a, high, la Register, n int) {
	if !strided {
		LEAQ(Mem{Base: a, Index: la, Scale: uint8(n)}, a)
		return
	}
	ADDQ(U8(4*n), a)
	if high != nil {
		ADDQ(U8(4*n), high)
	}
}

// gemmLoop emits the depth loop of a GEMM micro-kernel over k steps for a
// tile of rows rows of vecs vectors made by vec, and returns the
// accumulators. Each step loads the vecs vectors of B at bAddr(u, v),
// broadcasts A(r, u) from aAddr(r, u) and issues rows·vecs FMAs; the loop
// is unrolled four times, advance(n) moves A and B on by n steps, and a
// tail loop runs the remaining steps one at a time.
func gemmLoop(name string, k Register, rows, vecs int, vec func() VecVirtual, aAddr func(r, u int) Mem, bAddr func(u, v int) Mem, advance func(n int)) [][]VecVirtual {
	const unroll = 4
	acc := make([][]VecVirtual, rows)
	for r := range acc {
		acc[r] = make([]VecVirtual, vecs)
		for v := range acc[r] {
			acc[r][v] = vec()
			VXORPS(acc[r][v], acc[r][v], acc[r][v])
		}
	}
	bv := make([]VecVirtual, vecs)
	for v := range bv {
		bv[v] = vec()
	}
	av := vec()
	step := func(u int) {
		for v := range bv {
			VMOVUPS(bAddr(u, v), bv[v])
		}
		for r := 0; r < rows; r++ {
			VBROADCASTSS(aAddr(r, u), av)
			for v := range bv {
				VFMADD231PS(bv[v], av, acc[r][v])
			}
		}
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
	return acc
}

// gemmStore emits the end of a GEMM micro-kernel: it scales the
// accumulators acc (vectors made by vec) by alpha and stores them to C,
// adding beta·C first unless beta == 0. When masked, the last vector of
// each row is read and written under the mask argument.
func gemmStore(name string, acc [][]VecVirtual, vec func() VecVirtual, masked bool) {
	Comment("Scale by alpha, then add beta·C unless beta == 0.")
	Label(name + "_store")
	c := Load(Param("c").Base(), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(2), ldc)
	var mask Op
	if masked {
		k := K()
		maskBits := Load(Param("mask"), GP32())
		KMOVW(maskBits, k)
		mask = k
	}
	alpha := vec()
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
	storeRows(acc, c, ldc, mask, nil)
	VZEROUPPER()
	RET()

	Label(name + "_accumulate")
	betas := vec()
	VBROADCASTSS(beta, betas)
	storeRows(acc, c, ldc, mask, betas)
	VZEROUPPER()
	RET()
}

// loadA loads the depth kc, the base of A and A's byte stride lda, the
// arguments with which every kernel that reads A begins.
func loadA() (k, a, la Register) {
	k = Load(Param("kc"), GP64())
	a = Load(Param("a").Base(), GP64())
	la = Load(Param("lda"), GP64())
	SHLQ(U8(2), la)
	return k, a, la
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
// the last vector of each row under mask unless mask is nil, first adding
// beta·C when beta is not nil. It advances c.
func storeRows(acc [][]VecVirtual, c, ldc Register, mask Op, beta VecVirtual) {
	for r, row := range acc {
		if r > 0 {
			ADDQ(ldc, c)
		}
		for v, x := range row {
			m := Mem{Base: c, Disp: int(x.Size()) * v}
			masked := mask != nil && v == len(row)-1
			switch {
			case beta != nil && masked:
				VFMADD231PS(m, beta, mask, x)
			case beta != nil:
				VFMADD231PS(m, beta, x)
			}
			if masked {
				VMOVUPS(x, mask, m)
			} else {
				VMOVUPS(x, m)
			}
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
		return strideAddr(base[j/4], lb, lb3, j%4, 0)
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

// packBRows emits the packing of panels of width columns (16 or 32, two
// vectors made by vec) of a row-major B, reading B row by row so that the
// hardware prefetcher streams it.
func packBRows(width int, vec func() VecVirtual) {
	name := fmt.Sprintf("packBRows%d", width)
	TEXT(name, NOSPLIT, "func(kc int, b []float32, ldb int, panels int, dst []float32)")
	Doc(fmt.Sprintf("%s sets dst[q·%d·kc+p·%d+j] = b[p·ldb+q·%d+j] for j < %d, p < kc", name, width, width, width, width),
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
	SHLQ(U8(bits.TrailingZeros(uint(4*width))), stride)
	x0, x1 := vec(), vec()
	src, out, q := GP64(), GP64(), GP64()
	size := int(x0.Size())
	// next adds a row of width values to r; 128 does not fit a signed
	// byte, but subtracting -128 does.
	next := func(r Register) {
		if 2*size < 128 {
			ADDQ(U8(2*size), r)
		} else {
			SUBQ(I8(-2*size), r)
		}
	}

	Label(name + "_row")
	MOVQ(b, src)
	MOVQ(dst, out)
	MOVQ(panels, q)
	Label(name + "_panel")
	VMOVUPS(Mem{Base: src}, x0)
	VMOVUPS(Mem{Base: src, Disp: size}, x1)
	VMOVUPS(x0, Mem{Base: out})
	VMOVUPS(x1, Mem{Base: out, Disp: size})
	next(src)
	ADDQ(stride, out)
	DECQ(q)
	JNE(LabelRef(name + "_panel"))
	ADDQ(lb, b)
	next(dst)
	DECQ(k)
	JNE(LabelRef(name + "_row"))
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
	k, a, la := loadA()
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
// false when either operand is NaN; and "unordered": true when either is.
const (
	cmpGT    = 0x1e
	cmpLT    = 0x11
	cmpUnord = 0x03
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
