//go:build amd64 && !purego

package kernels

import "golang.org/x/sys/cpu"

//go:generate go run -C internal/asmgen . -out ../../gemm_amd64.s -stubs ../../gemm_amd64_stub.go -pkg kernels

// avx2Kernel is the AVX2+FMA micro-kernel: a 6×16 tile held in twelve YMM
// registers. Its blocking suits Zen 3 (32 KiB L1d, 512 KiB L2): a 16-column
// panel of B at depth kc (25 KiB) stays in L1 while the mc×kc block of A
// (188 KiB) stays in L2; depth 400 lets every GAN layer (k ≤ 784) finish
// in two passes over C. It reads a non-transposed A in place.
var avx2Kernel = microKernel{
	name: "avx2x6x16",
	mr:   6, nr: 16,
	mc: 120, kc: 400, nc: 1024,
	run:       kernel16,
	runDirect: kernel16Direct,
	packA:     packA6,
	packB:     packB16,
}

// bestKernel returns the AVX2 kernel when the CPU has AVX2 and FMA.
func bestKernel() *microKernel {
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		return &avx2Kernel
	}
	return &goKernel
}

type asmKernel func(kc int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32)

var (
	// gemmInterleaved[r-1] and gemmStrided[r-1] compute r rows.
	gemmInterleaved = [6]asmKernel{gemm1x16i, gemm2x16i, gemm3x16i, gemm4x16i, gemm5x16i, gemm6x16i}
	gemmStrided     = [6]asmKernel{gemm1x16s, gemm2x16s, gemm3x16s, gemm4x16s, gemm5x16s, gemm6x16s}
)

// kernel16 is avx2Kernel's run function: A(r, p) = a[p·lda+r].
func kernel16(rows, kc int, a []float32, lda int, b, c []float32, ldc int, alpha, beta float32) {
	if rows < 1 || rows > 6 || len(a) < (kc-1)*lda+rows {
		panic("kernels: 16-column micro-kernel: A panel out of range")
	}
	checkTile(rows, kc, b, c, ldc)
	gemmInterleaved[rows-1](kc, a, lda, b, 16, c, ldc, alpha, beta)
}

// kernel16Direct is avx2Kernel's runDirect function: A(r, p) = a[r·lda+p].
func kernel16Direct(rows, kc int, a []float32, lda int, b, c []float32, ldc int, alpha, beta float32) {
	if rows < 1 || rows > 6 || len(a) < (rows-1)*lda+kc {
		panic("kernels: 16-column micro-kernel: A rows out of range")
	}
	checkTile(rows, kc, b, c, ldc)
	gemmStrided[rows-1](kc, a, lda, b, 16, c, ldc, alpha, beta)
}

// checkTile panics unless b holds a packed kc×16 panel and c a rows×16
// tile with leading dimension ldc.
func checkTile(rows, kc int, b, c []float32, ldc int) {
	if kc < 1 || len(b) < 16*kc || ldc < 16 || len(c) < (rows-1)*ldc+16 {
		panic("kernels: 16-column micro-kernel: B panel or C tile out of range")
	}
}

// packA6 packs op(A) for avx2Kernel, which reads a non-transposed A in
// place: full panels of a transposed A are copied six values at a time.
func packA6(dst, a []float32, lda int, transA bool, i0, p0, mc, kc int) {
	full := mc / 6 * 6
	if !transA || full == 0 {
		packA(dst, 6, a, lda, transA, i0, p0, mc, kc)
		return
	}
	for ir := 0; ir < full; ir += 6 {
		src := a[p0*lda+i0+ir:]
		if len(src) < (kc-1)*lda+6 || len(dst) < ir*kc+6*kc {
			panic("kernels: packATrans6: A out of range")
		}
		packATrans6(kc, src, lda, dst[ir*kc:])
	}
	if full < mc {
		packA(dst[full*kc:], 6, a, lda, transA, i0+full, p0, mc-full, kc)
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
