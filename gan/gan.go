// Package gan implements the adversarial training step of the texts: a
// discriminator update on real samples (label 1) and detached generated
// samples (label 0), then a generator update through the discriminator with
// its samples labelled real.
package gan

import (
	"fmt"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/optim"
	"github.com/nash-gan/nash/tensor"
)

// Loss names a generator objective.
type Loss string

// The generator objectives.
const (
	// Minimax is the saturating loss of the original game: G minimises
	// E[log(1 − D(G(z)))].
	Minimax Loss = "minimax"
	// NonSaturating has G minimise −E[log D(G(z))]: the same fixed point with
	// strong gradients early in training.
	NonSaturating Loss = "ns"
)

// ParseLoss returns the Loss named s.
func ParseLoss(s string) (Loss, error) {
	switch l := Loss(s); l {
	case Minimax, NonSaturating:
		return l, nil
	}
	return "", fmt.Errorf("unknown loss %q (want minimax or ns)", s)
}

// GAN holds a generator, a discriminator producing one logit per sample, and
// their optimisers.
type GAN struct {
	G, D       nn.Module
	OptG, OptD optim.Optimizer
	Loss       Loss
	// ZDim is the size of the generator's input noise, drawn from N(0, I).
	ZDim int

	gParams, dParams []*autograd.Var
	tape             *autograd.Tape
}

// New returns a GAN training g and d with the given optimisers.
func New(g, d nn.Module, optG, optD optim.Optimizer, loss Loss, zDim int) *GAN {
	return &GAN{G: g, D: d, OptG: optG, OptD: optD, Loss: loss, ZDim: zDim,
		gParams: nn.Vars(g.Parameters()), dParams: nn.Vars(d.Parameters()), tape: autograd.NewTape()}
}

// Stats are the measurements of one training step.
type Stats struct {
	// LossD and LossG are the discriminator's and the generator's losses.
	LossD, LossG float64
	// DReal and DFake are the mean probabilities D assigned to the real batch
	// and to the generated batch in the discriminator step: both approach
	// 0.5 at the equilibrium.
	DReal, DFake float64
}

// Finite reports whether both losses are finite numbers.
func (s Stats) Finite() bool { return finite(s.LossD) && finite(s.LossG) }

func finite(v float64) bool { return v-v == 0 }

// Noise fills a new [n, ZDim] tensor with N(0, 1) draws from rng.
func (g *GAN) Noise(n int, rng *tensor.RNG) *tensor.Tensor {
	z := tensor.New(n, g.ZDim)
	rng.Normal(z, 0, 1)
	return z
}

// Step performs one D update and one G update on the batch real [n, …],
// drawing the generator's noise from rng.
func (g *GAN) Step(real *tensor.Tensor, rng *tensor.RNG) Stats {
	tp := g.tape
	defer tp.Reset()
	n := real.Dim(0)
	fake := g.G.Forward(tp, autograd.Const(g.Noise(n, rng)))

	// Discriminator: real → 1, detached fake → 0; only D's parameters move.
	g.OptD.ZeroGrad()
	realLogits := g.D.Forward(tp, autograd.Const(real))
	fakeLogits := g.D.Forward(tp, fake.Detach())
	lossD := tp.Add(nn.BCEWithLogits(tp, realLogits, 1), nn.BCEWithLogits(tp, fakeLogits, 0))
	tp.Backward(lossD, g.dParams...)
	g.OptD.Step()

	// Generator: fake through the updated D; only G's parameters move.
	g.OptG.ZeroGrad()
	logits := g.D.Forward(tp, fake)
	var lossG *autograd.Var
	switch g.Loss {
	case Minimax:
		lossG = tp.Neg(nn.BCEWithLogits(tp, logits, 0))
	default:
		lossG = nn.BCEWithLogits(tp, logits, 1)
	}
	tp.Backward(lossG, g.gParams...)
	g.OptG.Step()

	return Stats{
		LossD: float64(lossD.Value.Item()),
		LossG: float64(lossG.Value.Item()),
		DReal: nn.MeanSigmoid(realLogits.Value),
		DFake: nn.MeanSigmoid(fakeLogits.Value),
	}
}

// Sample returns G's output for noise z without recording anything.
func (g *GAN) Sample(z *tensor.Tensor) *tensor.Tensor {
	tp := autograd.NewTape()
	tp.SetGrad(false)
	nn.SetTraining(g.G, false)
	defer nn.SetTraining(g.G, true)
	return g.G.Forward(tp, autograd.Const(z)).Value
}
