//go:build amd64 && !purego

package kernels

import "golang.org/x/sys/cpu"

// testKernels returns every micro-kernel this machine can run.
func testKernels() []*microKernel {
	kernels := []*microKernel{&goKernel}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		kernels = append(kernels, &avx2Kernel)
	}
	if cpu.X86.HasAVX512F {
		kernels = append(kernels, &avx512Kernel)
	}
	return kernels
}
