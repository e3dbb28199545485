//go:build amd64 && !purego

package kernels

import (
	"fmt"

	"golang.org/x/sys/cpu"
)

//go:generate go run -C internal/asmgen . -out ../../gemm_amd64.s -stubs ../../gemm_amd64_stub.go -pkg kernels

// avx2Kernel is the AVX2+FMA micro-kernel: a 6×16 tile held in twelve YMM
// registers. Its blocking suits Zen 3 (32 KiB L1d, 512 KiB L2): a 16-column
// panel of B at depth kc (25 KiB) stays in L1 while the mc×kc block of A
// (188 KiB) stays in L2; depth 400 lets every GAN layer (k ≤ 784) finish
// in two passes over C. It reads a non-transposed A in place.
var avx2Kernel = microKernel{
	name: "avx2x6x16", short: "avx2",
	mr: 6, nr: 16,
	mc: 120, kc: 400, nc: 1024,
	run:       kernel16,
	runDirect: kernel16Direct,
	packA:     packA6,
	packB:     packB16,
}

// avx512Kernel is the AVX-512 micro-kernel: a 14×32 tile held in 28 of the
// 32 ZMM registers, its right edge stored under a mask. Its blocking was
// tuned on Zen 5 (48 KiB L1d, 1 MiB L2): a 32-column panel of B at depth
// kc (40 KiB) stays in L1, the mc×kc block of A (245 KiB) and the kc×nc
// block of B (640 KiB) in L2; depth 320 cuts every GAN layer (k ≤ 784) into
// at most three passes over C. It reads a non-transposed A in place.
var avx512Kernel = microKernel{
	name: "avx512x14x32", short: "avx512",
	mr: 14, nr: 32,
	mc: 196, kc: 320, nc: 512,
	edges:     true,
	run:       kernel32,
	runDirect: kernel32Direct,
	packA:     packA14,
	packB:     packB32,
}

// availableKernels returns the kernels this machine can run, slowest
// first: the portable one, the AVX2 one when the CPU has AVX2 and FMA, and
// the AVX-512 one when the CPU and the operating system support AVX-512
// (x/sys/cpu checks that the OS saves the ZMM and mask registers).
func availableKernels() []*microKernel {
	kernels := []*microKernel{&goKernel}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		kernels = append(kernels, &avx2Kernel)
	}
	if cpu.X86.HasAVX512F {
		kernels = append(kernels, &avx512Kernel)
	}
	return kernels
}

// bestKernel returns the fastest kernel this machine can run.
func bestKernel() *microKernel {
	kernels := availableKernels()
	return kernels[len(kernels)-1]
}

type asmKernel func(kc int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32)

var (
	// gemmInterleaved[r-1] and gemmStrided[r-1] compute r rows.
	gemmInterleaved = [6]asmKernel{gemm1x16i, gemm2x16i, gemm3x16i, gemm4x16i, gemm5x16i, gemm6x16i}
	gemmStrided     = [6]asmKernel{gemm1x16s, gemm2x16s, gemm3x16s, gemm4x16s, gemm5x16s, gemm6x16s}
)

// kernel16 is avx2Kernel's run function: A(r, p) = a[p·lda+r].
func kernel16(rows, cols, kc int, a []float32, lda int, b, c []float32, ldc int, alpha, beta float32) {
	if rows < 1 || rows > 6 || len(a) < (kc-1)*lda+rows {
		panic("kernels: 16-column micro-kernel: A panel out of range")
	}
	checkTile(rows, cols, kc, b, c, ldc)
	gemmInterleaved[rows-1](kc, a, lda, b, 16, c, ldc, alpha, beta)
}

// kernel16Direct is avx2Kernel's runDirect function: A(r, p) = a[r·lda+p].
func kernel16Direct(rows, cols, kc int, a []float32, lda int, b, c []float32, ldc int, alpha, beta float32) {
	if rows < 1 || rows > 6 || len(a) < (rows-1)*lda+kc {
		panic("kernels: 16-column micro-kernel: A rows out of range")
	}
	checkTile(rows, cols, kc, b, c, ldc)
	gemmStrided[rows-1](kc, a, lda, b, 16, c, ldc, alpha, beta)
}

// checkTile panics unless the tile is a full 16 columns wide, b holds a
// packed kc×16 panel and c a rows×16 tile with leading dimension ldc.
func checkTile(rows, cols, kc int, b, c []float32, ldc int) {
	if cols != 16 || kc < 1 || len(b) < 16*kc || ldc < 16 || len(c) < (rows-1)*ldc+16 {
		panic("kernels: 16-column micro-kernel: B panel or C tile out of range")
	}
}

type asmKernel512 func(kc int, a []float32, lda int, b, c []float32, ldc int, alpha, beta float32, mask uint16)

var (
	// gemm512Interleaved[v-1][r-1] and gemm512Strided[v-1][r-1] compute r
	// rows of v vectors of 16 columns.
	gemm512Interleaved = [2][14]asmKernel512{
		{gemm1x16zi, gemm2x16zi, gemm3x16zi, gemm4x16zi, gemm5x16zi, gemm6x16zi, gemm7x16zi,
			gemm8x16zi, gemm9x16zi, gemm10x16zi, gemm11x16zi, gemm12x16zi, gemm13x16zi, gemm14x16zi},
		{gemm1x32zi, gemm2x32zi, gemm3x32zi, gemm4x32zi, gemm5x32zi, gemm6x32zi, gemm7x32zi,
			gemm8x32zi, gemm9x32zi, gemm10x32zi, gemm11x32zi, gemm12x32zi, gemm13x32zi, gemm14x32zi},
	}
	gemm512Strided = [2][14]asmKernel512{
		{gemm1x16zs, gemm2x16zs, gemm3x16zs, gemm4x16zs, gemm5x16zs, gemm6x16zs, gemm7x16zs,
			gemm8x16zs, gemm9x16zs, gemm10x16zs, gemm11x16zs, gemm12x16zs, gemm13x16zs, gemm14x16zs},
		{gemm1x32zs, gemm2x32zs, gemm3x32zs, gemm4x32zs, gemm5x32zs, gemm6x32zs, gemm7x32zs,
			gemm8x32zs, gemm9x32zs, gemm10x32zs, gemm11x32zs, gemm12x32zs, gemm13x32zs, gemm14x32zs},
	}
)

// kernel32 is avx512Kernel's run function: A(r, p) = a[p·lda+r].
func kernel32(rows, cols, kc int, a []float32, lda int, b, c []float32, ldc int, alpha, beta float32) {
	if rows < 1 || rows > 14 || len(a) < (kc-1)*lda+rows {
		panic("kernels: 32-column micro-kernel: A panel out of range")
	}
	vecs, mask := checkTile32(rows, cols, kc, b, c, ldc)
	gemm512Interleaved[vecs-1][rows-1](kc, a, lda, b, c, ldc, alpha, beta, mask)
}

// kernel32Direct is avx512Kernel's runDirect function: A(r, p) = a[r·lda+p].
func kernel32Direct(rows, cols, kc int, a []float32, lda int, b, c []float32, ldc int, alpha, beta float32) {
	if rows < 1 || rows > 14 || len(a) < (rows-1)*lda+kc {
		panic("kernels: 32-column micro-kernel: A rows out of range")
	}
	vecs, mask := checkTile32(rows, cols, kc, b, c, ldc)
	gemm512Strided[vecs-1][rows-1](kc, a, lda, b, c, ldc, alpha, beta, mask)
}

// checkTile32 panics unless b holds a packed kc×32 panel and c a rows×cols
// tile (1 ≤ cols ≤ 32) with leading dimension ldc. It returns the number of
// 16-column vectors the tile spans and the mask of the last one's columns.
func checkTile32(rows, cols, kc int, b, c []float32, ldc int) (vecs int, mask uint16) {
	if cols < 1 || cols > 32 || kc < 1 || len(b) < 32*kc || ldc < cols || len(c) < (rows-1)*ldc+cols {
		panic("kernels: 32-column micro-kernel: B panel or C tile out of range")
	}
	vecs = (cols + 15) / 16
	return vecs, uint16(1<<(cols-16*(vecs-1)) - 1)
}

// packA6 packs op(A) for avx2Kernel, which reads a non-transposed A in
// place: full panels of a transposed A are copied six values at a time.
func packA6(dst, a []float32, lda int, transA bool, i0, p0, mc, kc int) {
	packATransPanels(dst, a, lda, transA, i0, p0, mc, kc, 6, packATrans6)
}

// packA14 packs op(A) for avx512Kernel, which reads a non-transposed A in
// place: full panels of a transposed A are copied 14 values at a time.
func packA14(dst, a []float32, lda int, transA bool, i0, p0, mc, kc int) {
	packATransPanels(dst, a, lda, transA, i0, p0, mc, kc, 14, packATrans14)
}

// packATransPanels packs op(A) in panels of mr rows: a transposed A's full
// panels with the assembly routine panel, everything else with packA.
func packATransPanels(dst, a []float32, lda int, transA bool, i0, p0, mc, kc, mr int,
	panel func(kc int, a []float32, lda int, dst []float32)) {
	full := mc / mr * mr
	if !transA || full == 0 {
		packA(dst, mr, a, lda, transA, i0, p0, mc, kc)
		return
	}
	for ir := 0; ir < full; ir += mr {
		src := a[p0*lda+i0+ir:]
		if len(src) < (kc-1)*lda+mr || len(dst) < ir*kc+mr*kc {
			panic(fmt.Sprintf("kernels: packing a transposed %d-row panel: A out of range", mr))
		}
		panel(kc, src, lda, dst[ir*kc:])
	}
	if full < mc {
		packA(dst[full*kc:], mr, a, lda, transA, i0+full, p0, mc-full, kc)
	}
}

// packB32 packs op(B) for avx512Kernel: full panels with vector copies, row
// by row, or with 8×8 transposes in registers when B is transposed.
func packB32(dst, b []float32, ldb int, transB bool, p0, j0, kc, nc int) {
	full := nc / 32 * 32
	if full < nc {
		packB(dst[full*kc:], 32, b, ldb, transB, p0, j0+full, kc, nc-full)
	}
	if full == 0 {
		return
	}
	if !transB {
		src := b[p0*ldb+j0:]
		if len(src) < (kc-1)*ldb+full || len(dst) < full*kc {
			panic("kernels: packBRows32: B out of range")
		}
		packBRows32(kc, src, ldb, full/32, dst)
		return
	}
	k8 := kc &^ 7
	for jr := 0; jr < full; jr += 32 {
		panel := dst[jr*kc : jr*kc+32*kc]
		src := b[(j0+jr)*ldb+p0:]
		if k8 > 0 {
			if len(src) < 31*ldb+k8 {
				panic("kernels: packBTrans16x32: B out of range")
			}
			packBTrans16x32(k8, src, ldb, panel)
			packBTrans16x32(k8, src[16*ldb:], ldb, panel[16:])
		}
		for p := k8; p < kc; p++ {
			out := (*[32]float32)(panel[32*p:])
			for j := range out {
				out[j] = src[j*ldb+p]
			}
		}
	}
}

// packB16 packs op(B) for avx2Kernel: full panels with vector copies, row
// by row, or with 8×8 transposes in registers when B is transposed.
func packB16(dst, b []float32, ldb int, transB bool, p0, j0, kc, nc int) {
	full := nc / 16 * 16
	if full < nc {
		packB(dst[full*kc:], 16, b, ldb, transB, p0, j0+full, kc, nc-full)
	}
	if full == 0 {
		return
	}
	if !transB {
		src := b[p0*ldb+j0:]
		if len(src) < (kc-1)*ldb+full || len(dst) < full*kc {
			panic("kernels: packBRows16: B out of range")
		}
		packBRows16(kc, src, ldb, full/16, dst)
		return
	}
	for jr := 0; jr < full; jr += 16 {
		panel := dst[jr*kc : jr*kc+16*kc]
		src := b[(j0+jr)*ldb+p0:]
		k8 := kc &^ 7
		if k8 > 0 {
			if len(src) < 15*ldb+k8 {
				panic("kernels: packBTrans16: B out of range")
			}
			packBTrans16(k8, src, ldb, panel)
		}
		for p := k8; p < kc; p++ {
			out := (*[16]float32)(panel[16*p:])
			for j := range out {
				out[j] = src[j*ldb+p]
			}
		}
	}
}
