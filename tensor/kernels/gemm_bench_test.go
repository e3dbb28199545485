package kernels

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
)

// ganShapes are the products of one step of the reference MLP GAN (batch
// 64, Linear y = x·Wᵀ with W stored [out, in]) for each layer's (in, out).
func ganShapes() []gemmCase {
	var shapes []gemmCase
	for _, l := range [][2]int{{100, 256}, {256, 512}, {512, 784}, {784, 512}, {512, 256}, {256, 1}} {
		in, out := l[0], l[1]
		shapes = append(shapes,
			gemmCase{m: 64, n: out, k: in, transB: true, alpha: 1},
			gemmCase{m: 64, n: in, k: out, alpha: 1},
			gemmCase{m: out, n: in, k: 64, transA: true, alpha: 1, beta: 1},
		)
	}
	return shapes
}

// benchShape reports GFLOP/s of tc with the active kernel at each thread
// count.
func benchShape(b *testing.B, name string, tc gemmCase) {
	rng := rand.New(rand.NewPCG(1, 1))
	a, bm, c := tc.operands(rng)
	for i := range c.data {
		c.data[i] = 0
	}
	for _, procs := range []int{1, 2} {
		b.Run(fmt.Sprintf("%s/threads=%d", name, procs), func(b *testing.B) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			b.ReportAllocs()
			for b.Loop() {
				tc.sgemm(a, bm, c)
			}
			flops := 2 * float64(tc.m) * float64(tc.n) * float64(tc.k) * float64(b.N)
			b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

func shapeName(tc gemmCase) string {
	ta, tb := "N", "N"
	if tc.transA {
		ta = "T"
	}
	if tc.transB {
		tb = "T"
	}
	return fmt.Sprintf("%s%s_%dx%dx%d", ta, tb, tc.m, tc.n, tc.k)
}

// BenchmarkSgemm measures the active kernel on the GAN shapes and on a
// 1024³ product. Choose the kernel with NASH_GEMM_KERNEL (go, avx2, avx512)
// or build the pure-Go one alone with -tags purego.
func BenchmarkSgemm(b *testing.B) {
	for _, tc := range ganShapes() {
		benchShape(b, shapeName(tc), tc)
	}
	benchShape(b, "NN_1024x1024x1024", gemmCase{m: 1024, n: 1024, k: 1024, alpha: 1})
}

// BenchmarkGANStep runs every GEMM of one reference GAN layer set in turn,
// the product mix of a training step: on one thread, and on two with the
// way the detector chooses, with a quiet machine's split forced, and with
// a contended machine's choice between sharing each product and not.
func BenchmarkGANStep(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	shapes := ganShapes()
	type operands struct{ a, b, c matrix }
	ops := make([]operands, len(shapes))
	var flops float64
	for i, tc := range shapes {
		ops[i].a, ops[i].b, ops[i].c = tc.operands(rng)
		clear(ops[i].c.data)
		flops += 2 * float64(tc.m) * float64(tc.n) * float64(tc.k)
	}
	for _, run := range []struct {
		procs int
		split string
	}{{1, ""}, {2, ""}, {2, "quiet"}, {2, "contended"}} {
		name := fmt.Sprintf("threads=%d", run.procs)
		if run.split != "" {
			name += "/" + run.split
		}
		b.Run(name, func(b *testing.B) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(run.procs))
			if run.split != "" {
				// The split and the waiting of the named state,
				// whatever the detector would say.
				defer forceContention(map[string]int32{"quiet": quiet, "contended": contended}[run.split])()
			}
			b.ReportAllocs()
			for b.Loop() {
				for i, tc := range shapes {
					tc.sgemm(ops[i].a, ops[i].b, ops[i].c)
				}
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
