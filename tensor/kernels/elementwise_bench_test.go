package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// elementwiseSizes are the largest weight matrix of the reference GAN
// (784×512) and a batch of its activations (64×512).
var elementwiseSizes = []int{784 * 512, 64 * 512}

// benchElementwise reports the throughput of the vector kernel and of its
// scalar loop on slices of each size.
func benchElementwise(b *testing.B, kernel, scalar func(x [4][]float32)) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range elementwiseSizes {
		var x [4][]float32
		for i := range x {
			x[i] = randSlice(rng, n)
		}
		for _, v := range []struct {
			name string
			f    func(x [4][]float32)
		}{{"kernel", kernel}, {"scalar", scalar}} {
			b.Run(fmt.Sprintf("n=%d/%s", n, v.name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					v.f(x)
				}
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
			})
		}
	}
}

func BenchmarkAxpy(b *testing.B) {
	benchElementwise(b,
		func(x [4][]float32) { Axpy(1e-3, x[0], x[1]) },
		func(x [4][]float32) { axpyScalar(1e-3, x[0], x[1]) })
}

func BenchmarkLeakyReLU(b *testing.B) {
	benchElementwise(b,
		func(x [4][]float32) { LeakyReLU(x[1], x[0], 0.2) },
		func(x [4][]float32) { leakyReLUScalar(x[1], x[0], 0.2) })
}

func BenchmarkLeakyReLUGrad(b *testing.B) {
	benchElementwise(b,
		func(x [4][]float32) { LeakyReLUGrad(x[2], x[0], x[1], 0.2) },
		func(x [4][]float32) { leakyReLUGradScalar(x[2], x[0], x[1], 0.2) })
}

func BenchmarkAdam(b *testing.B) {
	c := adamConsts{b1: 0.5, c1: 0.5, b2: 0.999, c2: 1 - float32(0.999), step: 2e-4, sbc2: 1, eps: 1e-8}
	benchElementwise(b,
		func(x [4][]float32) { Adam(x[0], x[1], x[2], x[3], 2e-4, 0.5, 0.999, 1e-8, 1, 1) },
		func(x [4][]float32) { adamScalar(x[0], x[1], x[2], x[3], &c) })
}

func BenchmarkTanh(b *testing.B) {
	benchElementwise(b,
		func(x [4][]float32) { Tanh(x[1], x[0]) },
		func(x [4][]float32) { tanhScalar(x[1], x[0]) })
}
