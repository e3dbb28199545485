//go:build !amd64 || purego

package kernels

// bestKernel returns the portable kernel: this build has no assembly.
func bestKernel() *microKernel { return &goKernel }
