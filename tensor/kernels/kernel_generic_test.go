//go:build !amd64 || purego

package kernels

// testKernels returns every micro-kernel this build has.
func testKernels() []*microKernel { return []*microKernel{&goKernel} }
