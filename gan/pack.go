package gan

import (
	"fmt"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/nn"
)

// packed is a discriminator that judges m samples at once (PacGAN, Lin et
// al. 2018): a batch of n samples [n, C, …] becomes n/m packed samples
// [n/m, m·C, …], each the concatenation of m consecutive samples along
// their channels (or, for flat samples [n, d], their values), which in
// row-major order is a reshape. Every objective and penalty sees D through
// it unchanged; D's output has one row per packed sample.
type packed struct {
	d     nn.Module
	m     int
	shape []int // Forward's packed shape, reused
}

func (p *packed) Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
	s := x.Shape()
	if len(s) < 2 || s[0]%p.m != 0 {
		panic(fmt.Sprintf("gan: packing %d samples: a batch of shape %v is not a multiple of %d samples", p.m, s, p.m))
	}
	p.shape = append(append(p.shape[:0], s[0]/p.m, p.m*s[1]), s[2:]...)
	return p.d.Forward(tp, tp.Reshape(x, p.shape...))
}

func (p *packed) Parameters() []nn.Parameter { return p.d.Parameters() }
