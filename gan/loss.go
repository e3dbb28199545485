package gan

import (
	"fmt"
	"math"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/tensor"
)

// Loss names a GAN objective: the discriminator's loss and the generator's.
type Loss string

// The objectives. D(·) below is the discriminator's raw output (a logit for
// the cross-entropy objectives, a score for the others), σ the logistic
// function, x a real sample and G(z) a generated one.
const (
	// Minimax is the original game: D minimises −E[log σ(D(x))] −
	// E[log(1 − σ(D(G(z))))]; G minimises E[log(1 − σ(D(G(z))))], which
	// saturates when D wins.
	Minimax Loss = "minimax"
	// NonSaturating has the same D loss; G minimises −E[log σ(D(G(z)))].
	NonSaturating Loss = "ns"
	// LeastSquares (LSGAN): D minimises ½E[(D(x) − 1)²] + ½E[D(G(z))²];
	// G minimises ½E[(D(G(z)) − 1)²].
	LeastSquares Loss = "ls"
	// WGAN: the critic minimises E[D(G(z))] − E[D(x)] with its weights
	// clipped; G minimises −E[D(G(z))].
	WGAN Loss = "wgan"
	// WGANGP is WGAN with a gradient penalty λE[(‖∇D(x̂)‖₂ − 1)²] on
	// x̂ = αx + (1 − α)G(z), α ~ U(0, 1) per sample, instead of clipping.
	WGANGP Loss = "wgan-gp"
	// Hinge: D minimises E[relu(1 − D(x))] + E[relu(1 + D(G(z)))]; G
	// minimises −E[D(G(z))].
	Hinge Loss = "hinge"
	// RSGAN, the relativistic standard GAN (Jolicoeur-Martineau 2018) that
	// RelGAN trains with, compares paired samples: D minimises
	// E[softplus(−(D(x) − D(G(z))))], the cross-entropy of σ(D(x) − D(G(z)))
	// against 1, and G minimises E[softplus(−(D(G(z)) − D(x)))]. The real and
	// the generated batch are paired row by row, so they must be the same
	// size, and G's loss needs D's outputs on a real batch.
	RSGAN Loss = "rsgan"
)

// Losses lists every objective.
var Losses = []Loss{Minimax, NonSaturating, LeastSquares, WGAN, WGANGP, Hinge, RSGAN}

// ParseLoss returns the Loss named s.
func ParseLoss(s string) (Loss, error) {
	for _, l := range Losses {
		if string(l) == s {
			return l, nil
		}
	}
	return "", fmt.Errorf("unknown loss %q (want one of %v)", s, Losses)
}

// Probabilistic reports whether the discriminator's output is a logit, so
// that σ(D(·)) is a probability.
func (l Loss) Probabilistic() bool { return l == Minimax || l == NonSaturating }

// Relativistic reports whether G's loss compares D's outputs on generated
// samples with its outputs on real ones (rsgan), so that a game must give
// GeneratorLoss D's outputs on a real batch paired with the generated one.
func (l Loss) Relativistic() bool { return l == RSGAN }

// DiscriminatorLoss returns D's loss for the outputs on a real batch and a
// generated batch. smoothing > 0 is one-sided label smoothing: the
// cross-entropy objectives' real target becomes 1 − smoothing.
func DiscriminatorLoss(tp *autograd.Tape, l Loss, real, fake *autograd.Var, smoothing float32) *autograd.Var {
	switch l {
	case Minimax, NonSaturating:
		return tp.Add(nn.BCEWithLogits(tp, real, 1-smoothing), nn.BCEWithLogits(tp, fake, 0))
	case LeastSquares:
		return tp.Scale(tp.Add(tp.Mean(tp.Square(tp.AddScalar(real, -1))), tp.Mean(tp.Square(fake))), 0.5)
	case WGAN, WGANGP:
		return tp.Sub(tp.Mean(fake), tp.Mean(real))
	case Hinge:
		return tp.Add(tp.Mean(tp.ReLU(tp.AddScalar(tp.Neg(real), 1))), tp.Mean(tp.ReLU(tp.AddScalar(fake, 1))))
	case RSGAN:
		return nn.BCEWithLogits(tp, paired(tp, real, fake), 1)
	}
	panic(fmt.Sprintf("gan: unknown loss %q", l))
}

// GeneratorLoss returns G's loss for D's outputs on a generated batch,
// fake. A relativistic objective (Relativistic) also needs D's outputs on a
// real batch of the same size, real, which the others ignore (it may be
// nil).
func GeneratorLoss(tp *autograd.Tape, l Loss, real, fake *autograd.Var) *autograd.Var {
	switch l {
	case Minimax:
		return tp.Neg(nn.BCEWithLogits(tp, fake, 0))
	case NonSaturating:
		return nn.BCEWithLogits(tp, fake, 1)
	case LeastSquares:
		return tp.Scale(tp.Mean(tp.Square(tp.AddScalar(fake, -1))), 0.5)
	case WGAN, WGANGP, Hinge:
		return tp.Neg(tp.Mean(fake))
	case RSGAN:
		if real == nil {
			panic("gan: GeneratorLoss: the relativistic rsgan needs D's outputs on a real batch")
		}
		return nn.BCEWithLogits(tp, paired(tp, fake, real), 1)
	}
	panic(fmt.Sprintf("gan: unknown loss %q", l))
}

// paired returns a − b for D's outputs on two batches paired row by row,
// panicking unless their shapes agree.
func paired(tp *autograd.Tape, a, b *autograd.Var) *autograd.Var {
	if !tensor.EqualShapes(a.Shape(), b.Shape()) {
		panic(fmt.Sprintf("gan: the relativistic rsgan pairs real and generated outputs row by row, got shapes %v and %v", a.Shape(), b.Shape()))
	}
	return tp.Sub(a, b)
}

// inputGradSquares returns D's output on x and ‖∇ₓ Σ D(x)‖₂² per sample as
// [n, 1], recorded so that it can be differentiated with respect to D's
// weights.
func inputGradSquares(tp *autograd.Tape, d nn.Module, x *autograd.Var) (sq, out *autograd.Var) {
	out = d.Forward(tp, x)
	g := tp.Grad([]*autograd.Var{tp.Sum(out)}, nil, []*autograd.Var{x}, true)[0]
	return tp.SumRows(tp.Square(tp.Reshape(g, x.Shape()[0], -1))), out
}

// GradientPenalty returns WGAN-GP's λE[(‖∇D(x̂)‖₂ − 1)²] with
// x̂ = αx + (1 − α)fake, α ~ U(0, 1) drawn per sample from rng. real and fake
// are constants; the penalty is differentiable with respect to D's weights.
func GradientPenalty(tp *autograd.Tape, d nn.Module, real, fake *tensor.Tensor, lambda float32, rng *tensor.RNG) *autograd.Var {
	n := real.Dim(0)
	per := real.Len() / n
	xhat := tp.Input(real.Shape()...)
	r, f, x := real.Data(), fake.Data(), xhat.Value.Data()
	for i := 0; i < n; i++ {
		a := rng.Float32()
		for j := i * per; j < (i+1)*per; j++ {
			x[j] = a*r[j] + (1-a)*f[j]
		}
	}
	sq, _ := inputGradSquares(tp, d, xhat)
	// The tiny offset keeps the norm's derivative finite where ∇D = 0.
	norms := tp.Sqrt(tp.AddScalar(sq, 1e-12))
	return tp.Scale(tp.Mean(tp.Square(tp.AddScalar(norms, -1))), lambda)
}

// ModeSeeking returns the mode-seeking regulariser of MSGAN (Mao et al.
// 2019) for the batch fake [n, …] that G made from the noise z [n, d]:
// λ / (mean|f₂ − f₁| / mean|z₂ − z₁| + 10⁻⁵), where f₁, f₂ and z₁, z₂ are
// the first and second halves of the batch (of n/2 rows each, a conditional
// GAN's two halves of the same classes). Added to G's loss, it rewards
// outputs that differ as much as their noise does, so that G does not map
// the noise of one class to one image. lambda is a scalar tensor holding λ.
func ModeSeeking(tp *autograd.Tape, fake *autograd.Var, z, lambda *tensor.Tensor) *autograd.Var {
	h, d := fake.Value.Dim(0)/2, z.Dim(1)
	zs := z.Data()
	var dz float64
	for i, v := range zs[:h*d] {
		dz += math.Abs(float64(zs[h*d+i] - v))
	}
	dz /= float64(h * d)
	f := tp.Mean(tp.Abs(tp.Sub(tp.Slice(fake, 0, h, 2*h), tp.Slice(fake, 0, 0, h))))
	return tp.Div(tp.Const(lambda), tp.AddScalar(tp.Scale(f, float32(1/dz)), 1e-5))
}

// R1Penalty returns (γ/2)E[‖∇ₓD(x)‖²] on the real batch and D's output on
// it, so that the same forward pass serves the discriminator's loss.
func R1Penalty(tp *autograd.Tape, d nn.Module, real *tensor.Tensor, gamma float32) (penalty, out *autograd.Var) {
	x := tp.Input(real.Shape()...)
	x.Value.CopyFrom(real)
	sq, out := inputGradSquares(tp, d, x)
	return tp.Scale(tp.Mean(sq), gamma/2), out
}
