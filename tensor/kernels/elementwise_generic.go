//go:build !amd64 || purego

package kernels

// Without assembly the *Blocks functions leave all the work to the scalar
// loops.

func axpyBlocks(alpha float32, x, y []float32) int               { return 0 }
func leakyReLUBlocks(dst, x []float32, slope float32) int        { return 0 }
func leakyReLUGradBlocks(dst, x, g []float32, slope float32) int { return 0 }
func adamBlocks(p, g, m, v []float32, c *adamConsts) int         { return 0 }
func tanhBlocks(dst, x []float32) int                            { return 0 }
func binaryBlocks(op binaryOp, dst, x, y []float32) int          { return 0 }
func accumulate64Blocks(acc []float64, x []float32) int          { return 0 }
func expShiftBlocks(dst, x []float32, shift, scale float32) int  { return 0 }
func sum64Blocks(acc *[8]float64, x []float32) int               { return 0 }
func maxBlocks(acc *[8]float32, x []float32) int                 { return 0 }
