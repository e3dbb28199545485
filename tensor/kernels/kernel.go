package kernels

import (
	"fmt"
	"os"
	"strings"
)

// kernelFunc computes C = alpha·A·B + beta·C for the first rows rows and
// cols columns of a micro-tile: A is rows×kc, B a packed kc×nr panel
// (b[p·nr+j], zero beyond cols) and C has leading dimension ldc and is not
// read when beta == 0. Where A's element (r, p) lies depends on the
// function: a[p·lda+r] for microKernel.run, a[r·lda+p] for
// microKernel.runDirect. Unless the kernel's edges field is set, cols must
// be nr.
type kernelFunc func(rows, cols, kc int, a []float32, lda int, b, c []float32, ldc int, alpha, beta float32)

// microKernel describes a register-blocked micro-kernel and the cache
// blocking that feeds it.
type microKernel struct {
	// name describes the kernel; short is what NASH_GEMM_KERNEL calls it.
	name, short string
	// mr×nr is the tile of C that one call computes.
	mr, nr int
	// mc, kc and nc bound the rows of op(A), the depth and the columns of
	// op(B) handled at a time; mc is a multiple of mr and nc of nr.
	mc, kc, nc int
	// edges says whether the kernel functions write tiles narrower than nr
	// in place; without it, macroKernel computes such tiles into a scratch
	// tile and copies them out.
	edges bool
	// run reads A packed in panels of mr rows (lda = mr) or any A stored
	// column by column.
	run kernelFunc
	// runDirect, if not nil, reads a row-major A in place, which saves
	// packing op(A) when it is not transposed.
	runDirect kernelFunc
	// packA packs an mc×kc block of op(A) in panels of mr rows; see packA.
	packA func(dst, a []float32, lda int, transA bool, i0, p0, mc, kc int)
	// packB packs a kc×nc block of op(B) in panels of nr columns; see
	// packB.
	packB func(dst, b []float32, ldb int, transB bool, p0, j0, kc, nc int)
}

// goKernel is the portable micro-kernel, written so that the Go compiler
// keeps its six accumulators, two values of A and the products in the
// sixteen floating-point registers of amd64.
var goKernel = microKernel{
	name: "go2x3", short: "go",
	mr: 2, nr: 3,
	mc: 128, kc: 256, nc: 1020,
	edges: true,
	run:   kernel2x3,
	packA: packA2,
	packB: packB3,
}

// activeKernel is the micro-kernel Sgemm uses: the fastest one the CPU
// supports, unless the environment variable NASH_GEMM_KERNEL names another
// one it supports (see chooseKernel).
var activeKernel = chooseKernel(os.Getenv("NASH_GEMM_KERNEL"))

// chooseKernel returns the supported kernel named name ("go", "avx2" or
// "avx512"), or the best one when name is empty. It panics on a name it does
// not know or a kernel this CPU or build cannot run, so that a test or
// benchmark run on a chosen kernel never silently runs on another.
func chooseKernel(name string) *microKernel {
	if name == "" {
		return bestKernel()
	}
	for _, k := range availableKernels() {
		if k.short == name {
			return k
		}
	}
	panic(fmt.Sprintf("kernels: NASH_GEMM_KERNEL=%q: this build and CPU run %s", name, kernelNames()))
}

// kernelNames lists the short names of the available kernels.
func kernelNames() string {
	var names []string
	for _, k := range availableKernels() {
		names = append(names, k.short)
	}
	return strings.Join(names, ", ")
}

// KernelName returns the name of the GEMM micro-kernel in use, such as
// "avx512x14x32".
func KernelName() string { return activeKernel.name }

// packA2 packs op(A) for goKernel.
func packA2(dst, a []float32, lda int, transA bool, i0, p0, mc, kc int) {
	packA(dst, 2, a, lda, transA, i0, p0, mc, kc)
}

// packB3 packs op(B) for goKernel.
func packB3(dst, b []float32, ldb int, transB bool, p0, j0, kc, nc int) {
	packB(dst, 3, b, ldb, transB, p0, j0, kc, nc)
}

// kernel2x3 is goKernel's run function. It reads packed panels only
// (lda == 2).
func kernel2x3(rows, cols, kc int, a []float32, lda int, b, c []float32, ldc int, alpha, beta float32) {
	if lda != 2 {
		panic("kernels: 2×3 micro-kernel: A must be a packed panel")
	}
	var c00, c01, c02, c10, c11, c12 float32
	a, b = a[:2*kc], b[:3*kc]
	for p := 0; p < kc; p++ {
		ap := a[2*p : 2*p+2 : 2*p+2]
		bp := b[3*p : 3*p+3 : 3*p+3]
		a0, a1 := ap[0], ap[1]
		c00 += a0 * bp[0]
		c10 += a1 * bp[0]
		c01 += a0 * bp[1]
		c11 += a1 * bp[1]
		c02 += a0 * bp[2]
		c12 += a1 * bp[2]
	}
	storeRow(c[:cols], alpha, beta, c00, c01, c02)
	if rows > 1 {
		storeRow(c[ldc:ldc+cols], alpha, beta, c10, c11, c12)
	}
}

// storeRow sets c = alpha·(x, y, z)[:len(c)] + beta·c, not reading c when
// beta == 0.
func storeRow(c []float32, alpha, beta float32, x, y, z float32) {
	vals := [3]float32{x, y, z}
	for j := range c {
		if beta == 0 {
			c[j] = alpha * vals[j]
		} else {
			c[j] = alpha*vals[j] + beta*c[j]
		}
	}
}
