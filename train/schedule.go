package train

import (
	"fmt"

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

// setLR sets the learning rate of an optimiser.
func setLR(o optim.Optimizer, lr float32) {
	switch o := o.(type) {
	case *optim.Adam:
		o.LR = lr
	case *optim.RMSprop:
		o.LR = lr
	case *optim.SGD:
		o.LR = lr
	default:
		panic(fmt.Sprintf("train: no learning rate to set on %T", o))
	}
}

// schedule sets both optimisers' learning rates for the next step of a run
// of total steps. It depends only on the step, so a resumed run follows the
// same schedule.
func (s *session) schedule(total int) {
	if s.cfg.LRDecay <= 0 {
		return
	}
	f := lrFactor(s.cfg.LRDecay, s.step, total)
	setLR(s.gan.OptG, float32(s.cfg.LR*f))
	setLR(s.gan.OptD, float32(s.cfg.lrD()*f))
}

// lrD returns the discriminator's learning rate: lr_d when set, lr otherwise.
func (c Config) lrD() float64 {
	if c.LRD > 0 {
		return c.LRD
	}
	return c.LR
}
