package train

import (
	"fmt"

	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/optim"
)

// lrFactor returns the factor on both learning rates for the step after
// step (0-based) of a run of total steps: 1, then, over the last lr_decay
// fraction of the steps, a linear fall that reaches 0 at the end of the run.
func lrFactor(decay float64, step, total int) float64 {
	if decay <= 0 || total <= 0 {
		return 1
	}
	span := decay * float64(total)
	return min(1, float64(total-step)/span)
}

// lr returns a pointer to the learning rate of an optimiser.
func lr(o optim.Optimizer) *float32 {
	switch o := o.(type) {
	case *optim.Adam:
		return &o.LR
	case *optim.RMSprop:
		return &o.LR
	case *optim.SGD:
		return &o.LR
	}
	panic(fmt.Sprintf("train: no learning rate on %T", o))
}

// baseLRs returns the learning rates the game's optimisers were built with,
// in Optimizers' order: the rates schedule scales.
func baseLRs(g gan.Game) []float64 {
	var out []float64
	for _, o := range g.Optimizers() {
		out = append(out, float64(*lr(o.Optimizer)))
	}
	return out
}

// schedule sets every optimiser's learning rate for the next step of a run
// of total steps. It depends only on the step, so a resumed run follows the
// same schedule.
func (s *session) schedule(total int) {
	if s.cfg.LRDecay <= 0 {
		return
	}
	f := lrFactor(s.cfg.LRDecay, s.step, total)
	for i, o := range s.game.Optimizers() {
		*lr(o.Optimizer) = float32(s.baseLR[i] * f)
	}
}

// lrD returns the discriminator's learning rate: lr_d when set, lr otherwise.
func (c Config) lrD() float64 {
	if c.LRD > 0 {
		return c.LRD
	}
	return c.LR
}
