//go:build amd64 && !purego

package kernels

import "golang.org/x/sys/cpu"

//go:generate go run ./internal/asmgen -out gemm_amd64.s -stubs gemm_amd64_stub.go -pkg kernels

// avx2Kernel is the AVX2+FMA micro-kernel: a 6×16 tile held in twelve YMM
// registers. Its blocking suits Zen 3 (32 KiB L1d, 512 KiB L2): a 16-column
// panel of B̃ at depth kc (16 KiB) stays in L1 while the mc×kc block of Ã
// (120 KiB) stays in L2.
var avx2Kernel = microKernel{
	name: "avx2x6x16",
	mr:   6, nr: 16,
	mc: 120, kc: 256, nc: 1024,
	run: kernel6x16,
}

// bestKernel returns the AVX2 kernel when the CPU has AVX2 and FMA.
func bestKernel() *microKernel {
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		return &avx2Kernel
	}
	return &goKernel
}

// kernel6x16 checks the panel and tile bounds and calls the assembly
// kernel, which does not.
func kernel6x16(kc int, a, b, c []float32, ldc int, alpha, beta float32) {
	if len(a) < 6*kc || len(b) < 16*kc || ldc < 16 || len(c) < 5*ldc+16 {
		panic("kernels: 6×16 micro-kernel: panel or tile out of range")
	}
	gemmKernel6x16(kc, a, b, c, ldc, alpha, beta)
}
