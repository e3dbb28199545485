package seq

import (
	"testing"

	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/optim"
	"github.com/nash-gan/nash/tensor"
)

// BenchmarkMLEStep times one maximum-likelihood step on the oracle
// benchmark's sizes: batch 64 of 20 tokens over 5,000.
func BenchmarkMLEStep(b *testing.B) {
	rng := tensor.NewRNG(1, "bench")
	g := NewGenerator(5000, 20, 32, 32, rng)
	m := NewMLE(g, optim.NewAdam(nn.Vars(g.Parameters()), 0.01, 0.9, 0.999))
	x := tensor.New(64, 20)
	for i := range x.Data() {
		x.Data()[i] = float32(rng.IntN(5000))
	}
	b.ResetTimer()
	for range b.N {
		m.Step(gan.Batch{X: x})
	}
}
