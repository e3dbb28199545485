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
	x := tokens(rng, 64, 20, 5000)
	b.ResetTimer()
	for range b.N {
		m.Step(gan.Batch{X: x})
	}
}

// BenchmarkSeqGANRewards times the rewards of one SeqGAN generator step on
// the oracle benchmark's sizes: 16 roll-outs of every prefix of 64
// sequences of 20 tokens over 5,000, each scored by the paper's
// discriminator.
func BenchmarkSeqGANRewards(b *testing.B) {
	rng := tensor.NewRNG(1, "bench")
	g, r := NewGenerator(5000, 20, 32, 32, rng), NewGenerator(5000, 20, 32, 32, rng)
	d := NewDiscriminator(5000, 20, rng)
	s := NewSeqGAN(g, r, d, optim.NewAdam(nn.Vars(g.Parameters()), 0.01, 0.9, 0.999),
		optim.NewAdam(nn.Vars(d.Parameters()), 1e-4, 0.5, 0.999), rng, tensor.NewRNG(2, "dropout"), SeqGANOptions{DSteps: 5, Rollouts: 16, RolloutDelay: 0.8})
	x := s.generate(64).Clone()
	b.ResetTimer()
	for range b.N {
		s.Rewards(x)
	}
}

// BenchmarkRelGANStep times one RelGAN step (a D and a G update through
// the Gumbel-softmax) on the oracle benchmark's sizes.
func BenchmarkRelGANStep(b *testing.B) {
	rng := tensor.NewRNG(1, "bench")
	g, d := NewGenerator(5000, 20, 32, 32, rng), NewDiscriminator(5000, 20, rng)
	r := NewRelGAN(g, d, optim.NewAdam(nn.Vars(g.Parameters()), 1e-4, 0.9, 0.999),
		optim.NewAdam(nn.Vars(d.Parameters()), 1e-4, 0.9, 0.999), gan.NonSaturating, rng, tensor.NewRNG(2, "dropout"), 100, 1000)
	x := tokens(rng, 64, 20, 5000)
	b.ResetTimer()
	for range b.N {
		r.Step(gan.Batch{X: x})
	}
}
