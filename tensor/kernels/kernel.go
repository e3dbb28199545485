package kernels

// microKernel describes a register-blocked micro-kernel and the cache
// blocking that feeds it.
type microKernel struct {
	name string
	// mr×nr is the tile of C that one call of run computes.
	mr, nr int
	// mc, kc and nc bound the rows of op(A), the depth and the columns of
	// op(B) packed at a time; mc is a multiple of mr and nc of nr.
	mc, kc, nc int
	// run computes C = alpha·Ã·B̃ + beta·C for one mr×nr tile, where Ã is
	// a packed mr×kc panel (a[p·mr+i]) and B̃ a packed kc×nr panel
	// (b[p·nr+j]); C has leading dimension ldc and is not read when
	// beta == 0.
	run func(kc int, a, b, c []float32, ldc int, alpha, beta float32)
}

// goKernel is the portable micro-kernel, written so that the Go compiler
// keeps its six accumulators, two values of Ã and the products in the
// sixteen floating-point registers of amd64.
var goKernel = microKernel{
	name: "go2x3",
	mr:   2, nr: 3,
	mc: 128, kc: 256, nc: 1020,
	run: kernel2x3,
}

// activeKernel is the micro-kernel Sgemm uses: the fastest one the CPU
// supports.
var activeKernel = bestKernel()

// kernel2x3 is goKernel's run function.
func kernel2x3(kc int, a, b, c []float32, ldc int, alpha, beta float32) {
	var c00, c01, c02, c10, c11, c12 float32
	a = a[:2*kc]
	b = b[:3*kc]
	for p := 0; p < kc; p++ {
		ap := (*[2]float32)(a[2*p:])
		bp := (*[3]float32)(b[3*p:])
		c00 += ap[0] * bp[0]
		c01 += ap[0] * bp[1]
		c02 += ap[0] * bp[2]
		c10 += ap[1] * bp[0]
		c11 += ap[1] * bp[1]
		c12 += ap[1] * bp[2]
	}
	r0 := (*[3]float32)(c)
	r1 := (*[3]float32)(c[ldc:])
	if beta == 0 {
		r0[0], r0[1], r0[2] = alpha*c00, alpha*c01, alpha*c02
		r1[0], r1[1], r1[2] = alpha*c10, alpha*c11, alpha*c12
		return
	}
	r0[0] = alpha*c00 + beta*r0[0]
	r0[1] = alpha*c01 + beta*r0[1]
	r0[2] = alpha*c02 + beta*r0[2]
	r1[0] = alpha*c10 + beta*r1[0]
	r1[1] = alpha*c11 + beta*r1[1]
	r1[2] = alpha*c12 + beta*r1[2]
}
