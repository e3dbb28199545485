package seq

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/optim"
)

// GradClip is the bound on the global norm of the generator's gradient
// of SeqGAN's release, applied in every game's generator step.
const GradClip = 5

// MLE is maximum-likelihood training of the generator (teacher forcing):
// each step lowers the mean negative log-likelihood per token of the real
// batch. It is the baseline of the sequence GANs and their pre-training.
type MLE struct {
	G      *Generator
	OptG   optim.Optimizer
	tape   *autograd.Tape
	params []*autograd.Var
	stats  []float64
}

// NewMLE returns the game of maximum likelihood for g with optimiser opt.
func NewMLE(g *Generator, opt optim.Optimizer) *MLE {
	return &MLE{G: g, OptG: opt, tape: autograd.NewTape(), params: nn.Vars(g.Parameters())}
}

// Networks implements gan.Game: generator.
func (m *MLE) Networks() []gan.Network { return []gan.Network{{Name: gan.GeneratorName, Module: m.G}} }

// Optimizers implements gan.Game: optim_g.
func (m *MLE) Optimizers() []gan.Optimizer {
	return []gan.Optimizer{{Name: "optim_g", Optimizer: m.OptG}}
}

// Streams implements gan.Game: none, teacher forcing draws nothing.
func (m *MLE) Streams() []gan.Stream { return nil }

// Statistics implements gan.Game: nll, the batch's negative log-likelihood
// per token before the step.
func (m *MLE) Statistics() []gan.Statistic { return []gan.Statistic{{Key: "nll", Label: "nll"}} }

// Step implements gan.Game.
func (m *MLE) Step(b gan.Batch) []float64 {
	m.stats = append(m.stats[:0], mleStep(m.tape, m.G, m.OptG, m.params, b))
	return m.stats
}

// mleStep takes one maximum-likelihood step of g on the tokens of b and
// returns the batch's mean negative log-likelihood per token.
func mleStep(tp *autograd.Tape, g *Generator, opt optim.Optimizer, params []*autograd.Var, b gan.Batch) float64 {
	defer tp.Reset()
	opt.ZeroGrad()
	loss := tp.Neg(tp.Mean(g.LogProbs(tp, b.X)))
	tp.Backward(loss, params...)
	clipGradNorm(params, GradClip)
	opt.Step()
	return float64(loss.Value.Item())
}

// clipGradNorm scales the gradients of params so that their global L2
// norm is at most bound, as torch.nn.utils.clip_grad_norm_.
func clipGradNorm(params []*autograd.Var, bound float64) {
	var sq float64
	for _, p := range params {
		if p.Grad == nil {
			continue
		}
		for _, v := range p.Grad.Data() {
			sq += float64(v) * float64(v)
		}
	}
	norm := math.Sqrt(sq)
	if norm <= bound {
		return
	}
	scale := float32(bound / (norm + 1e-6))
	for _, p := range params {
		if p.Grad == nil {
			continue
		}
		for i := range p.Grad.Data() {
			p.Grad.Data()[i] *= scale
		}
	}
}

// State implements gan.Game: MLE keeps nothing beyond its weights and
// optimiser.
func (m *MLE) State() ([]byte, error) { return []byte("{}"), nil }

// SetState implements gan.Game.
func (m *MLE) SetState(b []byte) error {
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if len(v) != 0 {
		return fmt.Errorf("seq: MLE keeps no state, got %d keys", len(v))
	}
	return nil
}

// Generator implements gan.Game.
func (m *MLE) Generator() nn.Module { return m.G }
