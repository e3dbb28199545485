//go:build amd64 && !purego

package kernels

import "golang.org/x/sys/cpu"

// testKernels returns every micro-kernel this machine can run.
func testKernels() []*microKernel {
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		return []*microKernel{&goKernel, &avx2Kernel}
	}
	return []*microKernel{&goKernel}
}
