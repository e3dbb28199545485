// Package gan implements the adversarial training step of the texts: a
// discriminator update on real samples (label 1) and detached generated
// samples (label 0), then a generator update through the discriminator with
// its samples labelled real; with every objective the texts teach (minimax,
// non-saturating, least squares, WGAN, WGAN-GP, hinge, the relativistic
// RSGAN) and their tricks (gradient penalty, R1, weight clipping, label
// smoothing, n_critic, EMA).
package gan

import (
	"fmt"
	"math"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/optim"
	"github.com/nash-gan/nash/tensor"
)

// Options are the training tricks of the texts, on top of the objective.
type Options struct {
	// NCritic is the number of discriminator updates per generator update
	// (at least 1): Step updates G on every NCritic-th call.
	NCritic int
	// Clip, when positive, clamps D's parameters to [−Clip, Clip] after each
	// of its updates (WGAN).
	Clip float32
	// GP, when positive, is WGAN-GP's gradient-penalty weight λ.
	GP float32
	// R1, when positive, is the weight γ of the R1 penalty on real samples.
	R1 float32
	// LabelSmoothing, when positive, is one-sided label smoothing: the real
	// target of the cross-entropy objectives becomes 1 − LabelSmoothing.
	LabelSmoothing float32
	// Pack, when above 1, is PacGAN's packing: D judges Pack samples at
	// once, concatenated along their channels (flat samples: their
	// values), so its input has Pack times a sample's channels. A batch
	// must be a multiple of Pack samples. The objectives score packed
	// samples; R1 and WGAN-GP take each sample's own gradient norm.
	Pack int
	// ClassSizes, when not nil, are the number of training samples of each
	// class of a conditional GAN, and its fake labels are drawn in
	// proportion to them (a self-conditioned GAN's clusters); nil draws
	// them uniformly.
	ClassSizes []int
	// EMABeta, when positive, keeps GEMA as an exponential moving average of
	// G's weights: ema ← β·ema + (1 − β)·w after every G update.
	EMABeta float64
	// ModeSeeking, when positive, is the weight λ of MSGAN's mode-seeking
	// term in G's loss (ModeSeeking); a conditional GAN's fake classes
	// then repeat, the batch's second half taking the first half's.
	ModeSeeking float32
}

// GAN holds a generator, a discriminator producing one output per sample,
// their optimisers, the objective and the training options.
type GAN struct {
	G, D       nn.Module
	OptG, OptD optim.Optimizer
	Loss       Loss
	Options    Options
	// ZDim is the size of the generator's input noise, drawn from N(0, I).
	ZDim int
	// GEMA, when not nil, is a copy of G's architecture holding the moving
	// average of its weights (Options.EMABeta); Sample uses it.
	GEMA nn.Module

	// Classes is the number of classes of a conditional GAN, whose G and D
	// are Conditional, and 0 for an unconditional one.
	Classes int
	// RNG is the noise stream of Step (Game's): the noise, the fake labels
	// and the penalty's mixing weights are drawn from it.
	RNG *tensor.RNG

	gParams, dParams []*autograd.Var
	dSteps           int
	settled          int // dSteps+1 when GEMA was last settled, 0 before
	lastLossG        float64
	tape             *autograd.Tape
	z                *tensor.Tensor // Step's noise, reused while the batch size holds
	lambda           *tensor.Tensor // ModeSeeking's λ as a scalar
	fakeY            *tensor.Tensor // Update's sampled fake labels, likewise
	dReal, dFake     labelled       // D with the real and the fake labels bound
	packReal         packed         // D, or dReal, judging packed samples
	packFake         packed         // D, or dFake, likewise
	stats            []float64      // Step's statistics, reused
}

// New returns a GAN training g and d with the given optimisers, the
// objective loss and default options (one D update per G update), drawing
// its noise from rng.
//
// If g is Conditional, the GAN is conditional: d must be Conditional with
// the same number of classes, and training takes the real batch's labels
// (Update). New panics if only one of them is Conditional.
func New(g, d nn.Module, optG, optD optim.Optimizer, loss Loss, zDim int, rng *tensor.RNG) *GAN {
	out := &GAN{G: g, D: d, OptG: optG, OptD: optD, Loss: loss, ZDim: zDim, RNG: rng, Options: Options{NCritic: 1},
		gParams: nn.Vars(g.Parameters()), dParams: nn.Vars(d.Parameters()), tape: autograd.NewTape()}
	cg, gok := g.(Conditional)
	cd, dok := d.(Conditional)
	switch {
	case gok && dok && cg.Classes() == cd.Classes() && cg.Classes() > 0:
		out.Classes = cg.Classes()
		out.dReal.d, out.dFake.d = cd, cd
	case gok || dok:
		panic("gan: New: the generator and the discriminator must both be Conditional, with the same positive number of classes, or neither")
	}
	return out
}

// Stats are the measurements of one training step.
type Stats struct {
	// LossD and LossG are the discriminator's and the generator's losses;
	// LossD includes any penalty. In a step without a G update, LossG is
	// the last G update's.
	LossD, LossG float64
	// DReal and DFake are D's mean outputs on the real batch and on the
	// generated batch in the discriminator update: probabilities σ(D(·)),
	// which approach 0.5 at the equilibrium, for the cross-entropy
	// objectives; raw scores for the others.
	DReal, DFake float64
	// GUpdated reports whether the step updated G.
	GUpdated bool
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

// Update performs one D update on the batch real [n, …] and, on every
// NCritic-th call, one G update, drawing noise (and the penalty's mixing
// weights) from rng.
//
// A conditional GAN needs the classes of the real batch in labels [n]
// (integers in [0, Classes) as float32); an unconditional one takes nil. D
// sees each real sample with its label; the generated batch is drawn for
// labels sampled from rng (after the noise), uniformly over the classes or
// in proportion to Options.ClassSizes, and D sees each fake with the label
// it was generated for, in both updates.
// Every objective and penalty applies unchanged to D with the labels bound:
// R1 differentiates with respect to the images only, and WGAN-GP's
// interpolates x̂ = αx + (1 − α)G(z, y′) carry the real labels.
func (g *GAN) Update(real, labels *tensor.Tensor, rng *tensor.RNG) Stats {
	switch {
	case g.Classes > 0 && (labels == nil || labels.Len() != real.Dim(0)):
		panic(fmt.Sprintf("gan: Update of a conditional GAN: %d real samples need as many labels", real.Dim(0)))
	case g.Classes == 0 && labels != nil:
		panic("gan: Update of an unconditional GAN with labels")
	case g.Options.ClassSizes != nil && len(g.Options.ClassSizes) != g.Classes:
		panic(fmt.Sprintf("gan: Update: %d class sizes for %d classes", len(g.Options.ClassSizes), g.Classes))
	}
	return g.step(real, labels, rng)
}

// step is Update; labels is nil for an unconditional GAN.
func (g *GAN) step(real, labels *tensor.Tensor, rng *tensor.RNG) Stats {
	tp := g.tape
	defer tp.Reset()
	n := real.Dim(0)
	o := g.Options
	g.dSteps++
	updateG := g.dSteps%max(o.NCritic, 1) == 0
	if g.z == nil || g.z.Dim(0) != n || g.z.Dim(1) != g.ZDim {
		g.z = tensor.New(n, g.ZDim)
	}
	rng.Normal(g.z, 0, 1)
	dReal, dFake := g.D, g.D
	var fakeY *tensor.Tensor
	if labels != nil {
		if g.fakeY == nil || g.fakeY.Len() != n {
			g.fakeY = tensor.New(n)
		}
		fakeY = g.fakeY
		g.sampleLabels(fakeY, rng)
		if o.ModeSeeking > 0 {
			d := fakeY.Data()
			copy(d[n/2:2*(n/2)], d[:n/2])
		}
		g.dReal.y, g.dFake.y = tp.Const(labels), tp.Const(fakeY)
		dReal, dFake = &g.dReal, &g.dFake
	}
	if o.Pack > 1 {
		g.packReal.d, g.packReal.m, g.packFake.d, g.packFake.m = dReal, o.Pack, dFake, o.Pack
		dReal, dFake = &g.packReal, &g.packFake
	}
	prev := tp.SetGrad(updateG)
	fake := g.generate(tp, tp.Const(g.z), fakeY)
	tp.SetGrad(prev)

	// Discriminator: real against detached fake; only D's parameters move.
	g.OptD.ZeroGrad()
	var realOut, penalty *autograd.Var
	if o.R1 > 0 {
		penalty, realOut = R1Penalty(tp, dReal, real, o.R1)
	} else {
		realOut = dReal.Forward(tp, tp.Const(real))
	}
	fakeOut := dFake.Forward(tp, tp.Const(fake.Value))
	lossD := DiscriminatorLoss(tp, g.Loss, realOut, fakeOut, o.LabelSmoothing)
	if o.GP > 0 {
		gp := GradientPenalty(tp, dReal, real, fake.Value, o.GP, rng)
		if penalty == nil {
			penalty = gp
		} else {
			penalty = tp.Add(penalty, gp)
		}
	}
	if penalty != nil {
		lossD = tp.Add(lossD, penalty)
	}
	tp.Backward(lossD, g.dParams...)
	g.OptD.Step()
	if o.Clip > 0 {
		for _, p := range g.dParams {
			p.Value.Clamp(-o.Clip, o.Clip)
		}
	}
	st := Stats{LossD: float64(lossD.Value.Item()), DReal: g.meanOutput(realOut), DFake: g.meanOutput(fakeOut)}

	if updateG {
		// Generator: fake through the updated D; only G's parameters move.
		g.OptG.ZeroGrad()
		var realG *autograd.Var
		if g.Loss.Relativistic() {
			// The real batch through the updated D, a constant for G.
			tp.NoGrad(func() { realG = dReal.Forward(tp, tp.Const(real)) })
		}
		lossG := GeneratorLoss(tp, g.Loss, realG, dFake.Forward(tp, fake))
		if o.ModeSeeking > 0 && n >= 2 {
			if g.lambda == nil {
				g.lambda = tensor.New()
			}
			g.lambda.Data()[0] = o.ModeSeeking
			lossG = tp.Add(lossG, ModeSeeking(tp, fake, g.z, g.lambda))
		}
		tp.Backward(lossG, g.gParams...)
		g.OptG.Step()
		g.lastLossG = float64(lossG.Value.Item())
		st.GUpdated = true
		if o.EMABeta > 0 && g.GEMA != nil {
			UpdateEMA(g.GEMA, g.G, float32(o.EMABeta))
		}
	}
	st.LossG = g.lastLossG
	return st
}

// Progress is the part of a GAN's state that is neither weights nor
// optimiser state: how many steps it has taken (which decides when G is
// updated under n_critic) and G's last loss (reported by steps without a G
// update). Checkpoints save it so that a resumed run continues exactly.
type Progress struct {
	Steps     int     `json:"steps"`
	LastLossG float64 `json:"last_loss_g"`
}

// Progress returns the GAN's progress.
func (g *GAN) Progress() Progress { return Progress{Steps: g.dSteps, LastLossG: g.lastLossG} }

// SetProgress restores progress saved by Progress.
func (g *GAN) SetProgress(p Progress) { g.dSteps, g.lastLossG = p.Steps, p.LastLossG }

// meanOutput returns D's mean probability for the cross-entropy objectives
// and its mean raw score for the others.
func (g *GAN) meanOutput(out *autograd.Var) float64 {
	if g.Loss.Probabilistic() {
		return nn.MeanSigmoid(out.Value)
	}
	return out.Value.Sum() / float64(out.Value.Len())
}

// UpdateEMA moves ema's parameters toward m's (the same architecture):
// e ← β·e + (1 − β)·w; buffers (running statistics) are copied. β = 0
// copies m. It keeps the classic game's generator average, and SeqGAN's
// delayed roll-out network.
func UpdateEMA(ema, m nn.Module, beta float32) {
	ep, mp := ema.Parameters(), m.Parameters()
	for i := range ep {
		e, w := ep[i].Value.Data(), mp[i].Value.Data()
		for j := range e {
			e[j] = beta*e[j] + (1-beta)*w[j]
		}
	}
	if eb, ok := ema.(nn.BufferHolder); ok {
		mb := m.(nn.BufferHolder).Buffers()
		for i, b := range eb.Buffers() {
			b.Value.CopyFrom(mb[i].Value)
		}
	}
}

// EMABeta returns the moving average's decay for a half-life of
// halfLifeKimg thousand images at the given batch size, the stylegan2-ada
// form β = 0.5^(batch / (halfLifeKimg·1000)).
func EMABeta(batch int, halfLifeKimg float64) float64 {
	return math.Pow(0.5, float64(batch)/(halfLifeKimg*1000))
}

// settleBatches is the number of batches Settle averages the moving
// average's BatchNorm statistics over.
const settleBatches = 100

// Settle gives GEMA BatchNorm statistics of its own (nn.StandingStats):
// the average over settleBatches training-mode forwards of batch noise
// vectors (and fake classes, drawn as training draws them) from rng.
// UpdateEMA copies G's running statistics into GEMA, but those were
// tracked with G's weights, not the average's: the self-conditioned MNIST
// DCGAN's moving average, sampled with them, scored FID 20.0 where with
// its own it scored 15.8. Settle does not change training (UpdateEMA
// overwrites the statistics at the next G update) and does nothing
// without GEMA, without BatchNorm or when GEMA has been settled since the
// last step; a caller that wants the same statistics after a resume passes
// the same rng each time.
func (g *GAN) Settle(batch int, rng *tensor.RNG) {
	if g.GEMA == nil || g.settled == g.dSteps+1 {
		return
	}
	g.settled = g.dSteps + 1
	tp := autograd.NewTape()
	tp.SetGrad(false)
	z := tensor.New(batch, g.ZDim)
	var y *tensor.Tensor
	if g.Classes > 0 {
		y = tensor.New(batch)
	}
	nn.StandingStats(g.GEMA, settleBatches, func(int) {
		rng.Normal(z, 0, 1)
		if y != nil {
			g.sampleLabels(y, rng)
		}
		generateWith(g.GEMA, tp, tp.Const(z), y)
		tp.Reset()
	})
}

// Generator returns the network to sample from: GEMA when it is kept, G
// otherwise.
func (g *GAN) Generator() nn.Module {
	if g.GEMA != nil {
		return g.GEMA
	}
	return g.G
}

// Sample returns the generator's output for noise z without recording
// anything, in evaluation mode (GEMA when it is kept). A conditional GAN
// generates row i of z for class i mod Classes (CycleLabels); SampleClasses
// chooses the classes.
func (g *GAN) Sample(z *tensor.Tensor) *tensor.Tensor {
	var y *tensor.Tensor
	if g.Classes > 0 {
		y = CycleLabels(z.Dim(0), g.Classes)
	}
	return g.SampleClasses(z, y)
}

// SampleClasses is Sample with the class of each row of z given in labels
// [n] (integers in [0, Classes) as float32) for a conditional GAN; labels
// must be nil for an unconditional one.
func (g *GAN) SampleClasses(z, labels *tensor.Tensor) *tensor.Tensor {
	if (labels != nil) != (g.Classes > 0) {
		panic(fmt.Sprintf("gan: SampleClasses: labels given %v for a GAN of %d classes", labels != nil, g.Classes))
	}
	if labels != nil {
		checkLabels(labels, z.Dim(0), g.Classes)
	}
	return Sample(g.Generator(), z, labels)
}

// Sample returns generator m's output for noise z, conditioned on the
// classes labels unless labels is nil, in evaluation mode and without
// recording anything. It does not change m, so many goroutines may sample
// from one generator at once.
func Sample(m nn.Module, z, labels *tensor.Tensor) *tensor.Tensor {
	tp := autograd.NewTape()
	tp.SetTraining(false)
	tp.SetGrad(false)
	return generateWith(m, tp, autograd.Const(z), labels).Value
}
