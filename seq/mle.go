package seq

import (
	"encoding/json"
	"fmt"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/optim"
)

// GradClip is the bound on the global norm of the generator's gradient
// of SeqGAN's release, applied in every game's generator step by the
// generator's optimiser (optim.Clippable) after any data-parallel sum of
// the ranks' gradients.
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

// NewMLE returns the game of maximum likelihood for g with optimiser opt,
// which it makes clip the gradient at GradClip.
func NewMLE(g *Generator, opt optim.Optimizer) *MLE {
	return &MLE{G: g, OptG: clipped(opt), tape: autograd.NewTape(), params: nn.Vars(g.Parameters())}
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
	opt.Step()
	return float64(loss.Value.Item())
}

// clipped makes opt, a generator's optimiser, bound the global norm of
// the gradient at GradClip in its Step, after its GradHook, so that ranks
// training on shards of a batch clip the whole batch's gradient as one
// process would; it returns opt. It panics if opt is not optim.Clippable,
// as all of nash's optimisers are.
func clipped(opt optim.Optimizer) optim.Optimizer {
	c, ok := opt.(optim.Clippable)
	if !ok {
		panic(fmt.Sprintf("seq: the generator's optimiser %T cannot clip its gradient (not an optim.Clippable)", opt))
	}
	c.SetGradClip(GradClip)
	return opt
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
