//go:build amd64 && !purego

package kernels

import "golang.org/x/sys/cpu"

// hasAVX2 and hasAVX512 report whether the element-wise kernels may use
// AVX2 and AVX-512 (x/sys/cpu checks that the OS saves the ZMM registers).
var (
	hasAVX2   = cpu.X86.HasAVX2
	hasAVX512 = cpu.X86.HasAVX512F
)

// The *Blocks functions run the AVX2 loop over the longest prefix that is
// a whole number of 8-element blocks and return its length, or return 0
// without AVX2. Their callers have checked the slice lengths.

func axpyBlocks(alpha float32, x, y []float32) int {
	n := len(x) &^ 7
	if !hasAVX2 || n == 0 {
		return 0
	}
	axpyAVX2(alpha, x[:n], y[:n])
	return n
}

func leakyReLUBlocks(dst, x []float32, slope float32) int {
	n := len(dst) &^ 7
	if !hasAVX2 || n == 0 {
		return 0
	}
	leakyReLUAVX2(dst[:n], x[:n], slope)
	return n
}

func leakyReLUGradBlocks(dst, x, g []float32, slope float32) int {
	n := len(dst) &^ 7
	if !hasAVX2 || n == 0 {
		return 0
	}
	leakyReLUGradAVX2(dst[:n], x[:n], g[:n], slope)
	return n
}

// adamBlocks runs the AVX-512 loop over whole 16-element blocks where the
// CPU has it, the AVX2 loop over what is left in 8-element blocks.
func adamBlocks(p, g, m, v []float32, c *adamConsts) int {
	n16 := 0
	if hasAVX512 {
		n16 = len(p) &^ 15
		if n16 > 0 {
			adamAVX512(p[:n16], g[:n16], m[:n16], v[:n16], c.b1, c.c1, c.b2, c.c2, c.step, c.sbc2, c.eps)
		}
	}
	n := len(p) &^ 7
	if !hasAVX2 || n == n16 {
		return n16
	}
	adamAVX2(p[n16:n], g[n16:n], m[n16:n], v[n16:n], c.b1, c.c1, c.b2, c.c2, c.step, c.sbc2, c.eps)
	return n
}

func tanhBlocks(dst, x []float32) int {
	n := len(dst) &^ 7
	if !hasAVX2 || n == 0 {
		return 0
	}
	tanhAVX2(dst[:n], x[:n])
	return n
}

func binaryBlocks(op binaryOp, dst, x, y []float32) int {
	n := len(dst) &^ 7
	if !hasAVX2 || n == 0 {
		return 0
	}
	dst, x, y = dst[:n], x[:n], y[:n]
	switch op {
	case opAdd:
		addAVX2(dst, x, y)
	case opSub:
		subAVX2(dst, x, y)
	case opMul:
		mulAVX2(dst, x, y)
	case opDiv:
		divAVX2(dst, x, y)
	}
	return n
}

func accumulate64Blocks(acc []float64, x []float32) int {
	n := len(x) &^ 7
	if !hasAVX2 || n == 0 {
		return 0
	}
	accumulate64AVX2(acc[:n], x[:n])
	return n
}

// expShiftBlocks runs the AVX-512 loop over whole 16-element blocks where
// the CPU has it, the AVX2 loop over what is left in 8-element blocks.
func expShiftBlocks(dst, x []float32, shift, scale float32) int {
	n16 := 0
	if hasAVX512 {
		n16 = len(dst) &^ 15
		if n16 > 0 {
			expShiftAVX512(dst[:n16], x[:n16], shift, scale)
		}
	}
	n := len(dst) &^ 7
	if !hasAVX2 || n == n16 {
		return n16
	}
	expShiftAVX2(dst[n16:n], x[n16:n], shift, scale)
	return n
}

func sum64Blocks(acc *[8]float64, x []float32) int {
	n := len(x) &^ 7
	if !hasAVX2 || n == 0 {
		return 0
	}
	sum64AVX2(acc, x[:n])
	return n
}

func maxBlocks(acc *[8]float32, x []float32) int {
	n := len(x) &^ 7
	if !hasAVX2 || n == 0 {
		return 0
	}
	maxAVX2(acc, x[:n])
	return n
}
