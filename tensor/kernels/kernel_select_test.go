package kernels

import (
	"strings"
	"testing"
)

// testKernels returns every micro-kernel this machine can run.
func testKernels() []*microKernel { return availableKernels() }

func TestChooseKernel(t *testing.T) {
	if got := chooseKernel(""); got != bestKernel() {
		t.Errorf("chooseKernel(\"\") = %s, want the best kernel %s", got.name, bestKernel().name)
	}
	for _, k := range availableKernels() {
		if got := chooseKernel(k.short); got != k {
			t.Errorf("chooseKernel(%q) = %s, want %s", k.short, got.name, k.name)
		}
	}
	if KernelName() != activeKernel.name {
		t.Errorf("KernelName() = %q, want %q", KernelName(), activeKernel.name)
	}
	for _, name := range []string{"sse", "AVX2 ", "fastest"} {
		func() {
			defer func() {
				msg, _ := recover().(string)
				if !strings.Contains(msg, "NASH_GEMM_KERNEL") || !strings.Contains(msg, "go") {
					t.Errorf("chooseKernel(%q) panicked with %q, want a message naming the variable and the kernels", name, msg)
				}
			}()
			chooseKernel(name)
		}()
	}
}
