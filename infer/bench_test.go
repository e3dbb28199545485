package infer

import (
	"fmt"
	"testing"

	"github.com/nash-gan/nash/tensor"
)

// BenchmarkSample times evaluation-mode forward passes of the MNIST DCGAN
// and recipe MLP generators at several batch sizes; images/s is the rate
// nash serve's micro-batching and bench/torch_generator.py compare with.
func BenchmarkSample(b *testing.B) {
	for _, c := range []int{0, 2} { // exportCases: mlp, dcgan28
		for _, batch := range []int{1, 4, 8, 16, 32, 64} {
			b.Run(fmt.Sprintf("%s/batch=%d", exportCases[c].name, batch), func(b *testing.B) {
				g := randomGenerator(b, exportCases[c].spec, false)
				z := g.Noise(batch, tensor.NewRNG(1, "bench"))
				for b.Loop() {
					if _, err := g.Sample(z, nil); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "images/s")
			})
		}
	}
}
