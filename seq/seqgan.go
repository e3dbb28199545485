package seq

import (
	"encoding/json"
	"fmt"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/optim"
	"github.com/nash-gan/nash/tensor"
)

// RolloutName is the checkpoint name of SeqGAN's roll-out network, the
// copy of the generator (delayed, if asked) that draws the Monte-Carlo
// roll-outs.
const RolloutName = "rollout"

// SeqGANOptions are SeqGAN's schedule and roll-outs.
type SeqGANOptions struct {
	// PretrainSteps are maximum-likelihood steps of G on the real batches
	// before anything else (0 when G comes pre-trained).
	PretrainSteps int
	// DPretrainSteps are discriminator steps after them, before the
	// adversarial phase.
	DPretrainSteps int
	// DSteps are discriminator steps after each generator step of the
	// adversarial phase.
	DSteps int
	// Rollouts is the number of Monte-Carlo roll-outs per prefix (16).
	Rollouts int
	// RolloutDelay is the weight of the roll-out network's own weights in
	// its update after each generator step: θ_r ← d·θ_r + (1 − d)·θ_G.
	// SeqGAN's release writes this update with d = 0.8 (its update_rate),
	// but its roll-out graph is built once from the generator's live
	// variables, so its roll-outs are always drawn by G itself: d = 0,
	// which is also the paper's description.
	RolloutDelay float32
	// OutputL2 is the weight λ of the L2 regularisation of D's output
	// layer (SeqGAN's l2_reg_lambda, OutputL2Lambda); see
	// OutputPenalty for how it carries over to D's single logit.
	OutputL2 float32
}

// OutputL2Lambda is SeqGAN's l2_reg_lambda, the weight of the L2
// regularisation of its discriminator's output layer.
const OutputL2Lambda = 0.2

// OutputPenalty returns SeqGAN's L2 regularisation of d's output layer,
// of weight lambda, in the form that applies to nash's D: (λ/2)·(‖w‖² + b²).
//
// SeqGAN's D ends in a two-class softmax of logits (a₀, a₁) = h·W + b,
// trained with the mean cross-entropy plus λ·(‖W‖² + ‖b‖²)/2
// (tf.nn.l2_loss). The softmax depends on a₁ − a₀ alone: it is σ(a₁ − a₀),
// so one logit h·w + b with w = W₁ − W₀ and the binary cross-entropy (nash's
// D) computes the same function. The penalty splits the difference evenly
// between the two columns (the part of W that the loss does not see only
// decays), where it is λ·(‖w‖² + b²)/4. nash's D loss sums the mean
// cross-entropy of the real batch and of the generated one, twice the mean
// over both halves that SeqGAN's mixed batches take, so the weight that
// keeps SeqGAN's balance of the two terms doubles: (λ/2)·(‖w‖² + b²).
func OutputPenalty(tp *autograd.Tape, d *Discriminator, lambda float32) *autograd.Var {
	sq := tp.Add(tp.Sum(tp.Square(d.Output.Weight)), tp.Sum(tp.Square(d.Output.Bias)))
	return tp.Scale(sq, lambda/2)
}

// SeqGAN is the game of Yu et al. (2017): the generator is a policy whose
// reward for a sequence's prefix is the discriminator's probability that
// complete sequences are real, averaged over Monte-Carlo roll-outs of the
// prefix drawn by a copy of the generator (Rollout, delayed if asked); REINFORCE
// updates G with Σ_t log G(y_t | y_<t)·Q(y_<t, y_t). D is trained on real
// batches against fresh samples with the cross-entropy objective.
//
// A step is one of the schedule's: a maximum-likelihood step during
// pre-training, a discriminator step, or in the adversarial phase one
// generator step followed by Options.DSteps discriminator steps. Roll-out
// weights are copied from G when the adversarial phase begins.
type SeqGAN struct {
	G, Rollout       *Generator
	D                *Discriminator
	OptG, OptD       optim.Optimizer
	RNG              *tensor.RNG
	Options          SeqGANOptions
	tape             *autograd.Tape
	gParams, dParams []*autograd.Var
	progress         seqGANProgress
	stats            []float64
	u                []float64
	fake             *tensor.Tensor
}

// seqGANProgress is SeqGAN's state: the steps taken and the last values
// of the statistics that not every step updates.
type seqGANProgress struct {
	Steps int       `json:"steps"`
	Last  []float64 `json:"last"`
}

// NewSeqGAN returns SeqGAN's game of g against d, roll-outs drawn by
// rollout (g's architecture), sampling from rng and d's dropout from
// dropout; it makes optG clip G's gradient at GradClip.
func NewSeqGAN(g, rollout *Generator, d *Discriminator, optG, optD optim.Optimizer, rng, dropout *tensor.RNG, o SeqGANOptions) *SeqGAN {
	d.Dropout.RNG = dropout
	return &SeqGAN{G: g, Rollout: rollout, D: d, OptG: clipped(optG), OptD: optD, RNG: rng, Options: o, tape: autograd.NewTape(),
		gParams: nn.Vars(g.Parameters()), dParams: nn.Vars(d.Parameters()),
		progress: seqGANProgress{Last: make([]float64, len(seqGANStats))}}
}

var seqGANStats = []gan.Statistic{
	{Key: "loss_d", Label: "loss_d"}, {Key: "loss_g", Label: "loss_g"}, {Key: "d_real", Label: "D(x)"},
	{Key: "d_fake", Label: "D(G(z))"}, {Key: "nll", Label: "nll"},
}

// Networks implements gan.Game: generator, discriminator, rollout.
func (s *SeqGAN) Networks() []gan.Network {
	return []gan.Network{{Name: gan.GeneratorName, Module: s.G}, {Name: gan.DiscriminatorName, Module: s.D},
		{Name: RolloutName, Module: s.Rollout}}
}

// Optimizers implements gan.Game: optim_g and optim_d.
func (s *SeqGAN) Optimizers() []gan.Optimizer {
	return []gan.Optimizer{{Name: "optim_g", Optimizer: s.OptG}, {Name: "optim_d", Optimizer: s.OptD}}
}

// Streams implements gan.Game: the sampling noise and D's dropout.
func (s *SeqGAN) Streams() []gan.Stream {
	return []gan.Stream{{Name: gan.NoiseStream, RNG: s.RNG}, {Name: "dropout", RNG: s.D.Dropout.RNG}}
}

// Statistics implements gan.Game: loss_d, loss_g (the policy-gradient
// loss per sequence), d_real and d_fake (D's mean probabilities), nll (of
// the pre-training steps); each keeps its last value on steps that do not
// update it.
func (s *SeqGAN) Statistics() []gan.Statistic { return seqGANStats }

// Step implements gan.Game.
func (s *SeqGAN) Step(b gan.Batch) []float64 {
	o, k := s.Options, s.progress.Steps
	last := s.progress.Last
	switch {
	case k < o.PretrainSteps:
		last[4] = mleStep(s.tape, s.G, s.OptG, s.gParams, b)
	case k < o.PretrainSteps+o.DPretrainSteps:
		last[0], last[2], last[3] = s.discriminatorStep(b.X)
	default:
		a := k - o.PretrainSteps - o.DPretrainSteps
		if a == 0 {
			CopyWeights(s.Rollout, s.G)
		}
		if a%(1+o.DSteps) == 0 {
			last[1] = s.generatorStep(b.X.Dim(0))
		} else {
			last[0], last[2], last[3] = s.discriminatorStep(b.X)
		}
	}
	s.progress.Steps++
	s.stats = append(s.stats[:0], last...)
	return s.stats
}

// generate draws n sequences from G into s.fake.
func (s *SeqGAN) generate(n int) *tensor.Tensor {
	if s.fake == nil || s.fake.Dim(0) != n {
		s.fake = tensor.New(n, s.G.Len)
	}
	s.G.Sample(s.uniform(n*s.G.Len), 1, nil, 0, s.fake.Data())
	return s.fake
}

// uniform returns n uniform values of the noise stream, in a buffer of
// the game's.
func (s *SeqGAN) uniform(n int) []float64 {
	if cap(s.u) < n {
		s.u = make([]float64, n)
	}
	s.u = s.u[:n]
	for i := range s.u {
		s.u[i] = s.RNG.Float64()
	}
	return s.u
}

// discriminatorStep trains D on the real tokens against as many fresh
// samples and returns its loss and mean probabilities.
func (s *SeqGAN) discriminatorStep(real *tensor.Tensor) (loss, dReal, dFake float64) {
	return dStep(s.tape, s.D, s.OptD, s.dParams, real, s.generate(real.Dim(0)), s.Options.OutputL2)
}

// dStep is one cross-entropy step of d on real against fake tokens, with
// the L2 regularisation of its output layer of weight l2 (OutputPenalty)
// when l2 is positive; the loss includes the penalty.
func dStep(tp *autograd.Tape, d *Discriminator, opt optim.Optimizer, params []*autograd.Var, real, fake *tensor.Tensor, l2 float32) (loss, dReal, dFake float64) {
	defer tp.Reset()
	opt.ZeroGrad()
	r, f := d.Forward(tp, tp.Const(real)), d.Forward(tp, tp.Const(fake))
	l := gan.DiscriminatorLoss(tp, gan.NonSaturating, r, f, 0)
	if l2 > 0 {
		l = tp.Add(l, OutputPenalty(tp, d, l2))
	}
	tp.Backward(l, params...)
	opt.Step()
	return float64(l.Value.Item()), nn.MeanSigmoid(r.Value), nn.MeanSigmoid(f.Value)
}

// generatorStep draws n sequences, scores each prefix by roll-outs and
// takes one REINFORCE step; it returns the loss per sequence.
func (s *SeqGAN) generatorStep(n int) float64 {
	fake := s.generate(n).Clone()
	reward := s.Rewards(fake)
	tp := s.tape
	defer tp.Reset()
	s.OptG.ZeroGrad()
	// −Σ log G(y_t | y_<t)·Q_t, summed as SeqGAN sums it.
	loss := tp.Neg(tp.Sum(tp.Mul(s.G.LogProbs(tp, fake), tp.Const(reward))))
	tp.Backward(loss, s.gParams...)
	s.OptG.Step()
	gan.UpdateEMA(s.Rollout, s.G, s.Options.RolloutDelay)
	return float64(loss.Value.Item()) / float64(n)
}

// Rewards returns Q [N·Len] for the sequences x [N, Len]: for the prefix
// of t < Len tokens, D's mean probability of real over Rollouts
// completions drawn by the roll-out network; for the whole sequence, D's
// probability of x itself. D runs in evaluation mode (no dropout).
func (s *SeqGAN) Rewards(x *tensor.Tensor) *tensor.Tensor {
	n, t, r := x.Dim(0), s.G.Len, s.Options.Rollouts
	q := tensor.New(n * t)
	tp := autograd.NewTape()
	tp.SetGrad(false)
	tp.SetTraining(false)
	prefix := tensor.New(r*n, t)
	for j := range r {
		copy(prefix.Data()[j*n*t:], x.Data())
	}
	done := tensor.New(r*n, t)
	for from := 1; from <= t; from++ {
		scored := x
		if from < t {
			s.Rollout.Sample(s.uniform(r*n*t), 1, prefix.Data(), from, done.Data())
			scored = done
		}
		p := s.D.Forward(tp, tp.Const(scored)).Value.Data()
		reps := scored.Dim(0) / n
		for i := range n {
			var sum float64
			for j := range reps {
				sum += sigmoid(float64(p[j*n+i]))
			}
			q.Data()[i*t+from-1] = float32(sum / float64(reps))
		}
		tp.Reset()
	}
	return q
}

// State implements gan.Game: the steps taken and the last statistics.
func (s *SeqGAN) State() ([]byte, error) { return json.Marshal(s.progress) }

// SetState implements gan.Game.
func (s *SeqGAN) SetState(b []byte) error {
	var p seqGANProgress
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	if p.Steps < 0 || len(p.Last) != len(seqGANStats) {
		return fmt.Errorf("seq: SeqGAN state of %d steps and %d statistics, want ≥ 0 and %d", p.Steps, len(p.Last), len(seqGANStats))
	}
	s.progress = p
	return nil
}

// Generator implements gan.Game.
func (s *SeqGAN) Generator() nn.Module { return s.G }
