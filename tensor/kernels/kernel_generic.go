//go:build !amd64 || purego

package kernels

// availableKernels returns the portable kernel: this build has no assembly.
func availableKernels() []*microKernel { return []*microKernel{&goKernel} }

// bestKernel returns the portable kernel.
func bestKernel() *microKernel { return &goKernel }
