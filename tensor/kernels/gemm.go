// Package kernels holds nash's numerical kernels on raw float32 slices: the
// single GEMM entry point every matrix product goes through, and the
// element-wise loops that show in a training profile.
package kernels

import "fmt"

// Sgemm computes C = alpha·op(A)·op(B) + beta·C, where op(X) is X or Xᵀ as
// transA and transB say. op(A) is m×k, op(B) is k×n and C is m×n; all three
// are row-major with leading dimensions (row strides) lda, ldb and ldc. With
// beta == 0, C is overwritten and its previous contents (even NaN) ignored.
//
// The result does not depend on the number of goroutines used: every element
// of C is computed by one goroutine, summing over k in a fixed order.
//
// Sgemm panics if a dimension is negative, a leading dimension is shorter
// than the row it strides over, or a slice is too short for its matrix.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkSgemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scale(m, n, beta, c, ldc)
		return
	}
	p := gemmProblem{
		transA: transA, transB: transB,
		m: m, n: n, k: k,
		alpha: alpha, beta: beta,
		a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc,
	}
	if n == 1 && ldc == 1 {
		p = p.transposed()
	}
	p.run(activeKernel)
}

// transposed returns the problem Cᵀ = op(B)ᵀ·op(A)ᵀ, which computes the
// same C when C is a contiguous column (n == 1, ldc == 1): its transpose is
// then one contiguous row, along which the micro-kernel's vectors run, and
// no panel of B is padded from one column to a whole tile. Every element is
// the same chain of multiply-adds over k, so the result does not change.
func (p *gemmProblem) transposed() gemmProblem {
	return gemmProblem{
		transA: !p.transB, transB: !p.transA,
		m: p.n, n: p.m, k: p.k,
		alpha: p.alpha, beta: p.beta,
		a: p.b, lda: p.ldb, b: p.a, ldb: p.lda, c: p.c, ldc: p.m,
	}
}

// checkSgemm panics with a message naming the offending argument when
// Sgemm's arguments do not describe valid matrices.
func checkSgemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("kernels: Sgemm: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	checkMatrix("A", ar, ac, a, lda)
	checkMatrix("B", br, bc, b, ldb)
	checkMatrix("C", m, n, c, ldc)
}

// checkMatrix panics unless x can hold a rows×cols row-major matrix with
// leading dimension ld.
func checkMatrix(name string, rows, cols int, x []float32, ld int) {
	if ld < max(1, cols) {
		panic(fmt.Sprintf("kernels: Sgemm: leading dimension of %s is %d, less than its %d columns", name, ld, cols))
	}
	if rows == 0 || cols == 0 {
		return
	}
	if need := (rows-1)*ld + cols; len(x) < need {
		panic(fmt.Sprintf("kernels: Sgemm: %s has %d elements, a %d×%d matrix with leading dimension %d needs %d", name, len(x), rows, cols, ld, need))
	}
}

// scale sets C = beta·C for an m×n matrix, writing zeros when beta == 0 so
// that NaN in C does not survive.
func scale(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// gemmProblem holds the arguments of one Sgemm call.
type gemmProblem struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
}

// sub returns the part of p that computes rows [i0, i1) and columns [j0, j1)
// of C.
func (p *gemmProblem) sub(i0, i1, j0, j1 int) gemmProblem {
	q := *p
	q.m, q.n = i1-i0, j1-j0
	if p.transA {
		q.a = p.a[i0:]
	} else {
		q.a = p.a[i0*p.lda:]
	}
	if p.transB {
		q.b = p.b[j0*p.ldb:]
	} else {
		q.b = p.b[j0:]
	}
	q.c = p.c[i0*p.ldc+j0:]
	return q
}

// kDepth returns the depth of the blocks the k dimension is cut into: as
// even as possible, none deeper than kcMax, the last possibly shallower.
// The cut depends only on k and the kernel, so every element of C sums its
// products in the same order however the work is shared out.
func kDepth(k, kcMax int) int {
	blocks := (k + kcMax - 1) / kcMax
	return (k + blocks - 1) / blocks
}

// compute runs p on the calling goroutine with kernel ker and the pack
// buffers in ws, using the BLIS loop order: column blocks of NC, depth
// blocks of KC (packing op(B)), row blocks of MC (packing op(A) unless the
// kernel reads it in place), then micro-tiles.
func (p *gemmProblem) compute(ker *microKernel, ws *workspace) {
	ws.reserve(ker)
	direct := ker.runDirect != nil && !p.transA
	kcStd := kDepth(p.k, ker.kc)
	for jc := 0; jc < p.n; jc += ker.nc {
		nc := min(ker.nc, p.n-jc)
		for pc := 0; pc < p.k; pc += kcStd {
			kc := min(kcStd, p.k-pc)
			beta := p.beta
			if pc > 0 {
				beta = 1
			}
			ker.packB(ws.b, p.b, p.ldb, p.transB, pc, jc, kc, nc)
			for ic := 0; ic < p.m; ic += ker.mc {
				mc := min(ker.mc, p.m-ic)
				blk := aBlock{a: ws.a, lda: ker.mr, rowStep: kc, run: ker.run}
				if direct {
					blk = aBlock{a: p.a[ic*p.lda+pc:], lda: p.lda, rowStep: p.lda, run: ker.runDirect}
				} else {
					ker.packA(ws.a, p.a, p.lda, p.transA, ic, pc, mc, kc)
				}
				macroKernel(ker, ws, &blk, mc, nc, kc, p.alpha, beta, p.c[ic*p.ldc+jc:], p.ldc)
			}
		}
	}
}

// aBlock is an mc×kc block of op(A) as a micro-kernel reads it: rows ir to
// ir+mr start at a[ir·rowStep:], with leading dimension lda as run expects.
type aBlock struct {
	a            []float32
	lda, rowStep int
	run          kernelFunc
}

// macroKernel multiplies the mc×kc block of op(A) in blk by the packed
// kc×nc block of op(B) in ws.b into C, one micro-tile at a time. Tiles cut
// by C's bottom edge are computed by the kernel for fewer rows; tiles cut
// by its right edge are written in place by kernels that handle edges and
// otherwise computed in full into ws.tile and copied out. Either way each
// element of C gets exactly the arithmetic of an interior one.
func macroKernel(ker *microKernel, ws *workspace, blk *aBlock, mc, nc, kc int, alpha, beta float32, c []float32, ldc int) {
	mr, nr := ker.mr, ker.nr
	for jr := 0; jr < nc; jr += nr {
		cols := min(nr, nc-jr)
		bp := ws.b[jr*kc : jr*kc+nr*kc]
		for ir := 0; ir < mc; ir += mr {
			rows := min(mr, mc-ir)
			ap := blk.a[ir*blk.rowStep:]
			ct := c[ir*ldc+jr:]
			if cols == nr || ker.edges {
				blk.run(rows, cols, kc, ap, blk.lda, bp, ct, ldc, alpha, beta)
				continue
			}
			tile := ws.tile[:mr*nr]
			if beta != 0 {
				for i := 0; i < rows; i++ {
					copy(tile[i*nr:i*nr+cols], ct[i*ldc:i*ldc+cols])
				}
			}
			blk.run(rows, nr, kc, ap, blk.lda, bp, tile, nr, alpha, beta)
			for i := 0; i < rows; i++ {
				copy(ct[i*ldc:i*ldc+cols], tile[i*nr:i*nr+cols])
			}
		}
	}
}

// workspace holds one goroutine's pack buffers. Buffers grow to the sizes
// the kernel in use needs and are then reused, so steady-state calls do not
// allocate.
type workspace struct {
	a, b, tile []float32
}

// reserve makes ws's buffers large enough for ker's block sizes.
func (ws *workspace) reserve(ker *microKernel) {
	if n := ker.mc * ker.kc; len(ws.a) < n {
		ws.a = make([]float32, n)
	}
	if n := ker.kc * ker.nc; len(ws.b) < n {
		ws.b = make([]float32, n)
	}
	if n := ker.mr * ker.nr; len(ws.tile) < n {
		ws.tile = make([]float32, n)
	}
}
