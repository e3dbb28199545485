package gan

import (
	"math"
	"testing"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/optim"
	"github.com/nash-gan/nash/tensor"
)

// A CycleGAN step reports its terms with the release's weights: the cycle
// and identity terms of A's images weighed by λ_A, those of B's by λ_B
// (identity also by λ_idt), each the mean absolute difference the networks
// gave before the step, for every combination of the weights.
func TestCycleGANWeights(t *testing.T) {
	for _, w := range []struct{ a, b, idt float32 }{{10, 10, 0.5}, {10, 1, 0.5}, {3, 7, 0}, {10, 0.5, 1}} {
		rng := tensor.NewRNG(1, "cyclegan weights")
		conv := func(in, out int) nn.Module { return nn.NewConv2d(in, out, 3, 1, 1, true, rng) }
		c := NewCycleGAN(conv(3, 3), conv(3, 3), conv(3, 1), conv(3, 1), func(p []*autograd.Var, _ bool) optim.Optimizer {
			return optim.NewAdam(p, 1e-3, 0.5, 0.999)
		}, LeastSquares, w.a, w.b, w.idt, 2, []int{3, 4, 4}, tensor.NewRNG(1, CyclePoolStream))
		a, b := tensor.New(2, 3, 4, 4), tensor.New(2, 3, 4, 4)
		for i := range a.Data() {
			a.Data()[i], b.Data()[i] = float32(rng.Norm()), float32(rng.Norm())
		}
		l1 := func(g nn.Module, x, target *tensor.Tensor) float64 {
			tp := autograd.NewTape()
			var s float64
			tp.NoGrad(func() {
				y := g.Forward(tp, tp.Const(x)).Value.Data()
				for i, v := range y {
					s += math.Abs(float64(v - target.Data()[i]))
				}
			})
			return s / float64(target.Len())
		}
		twice := func(g1, g2 nn.Module, x *tensor.Tensor) float64 {
			tp := autograd.NewTape()
			var y *tensor.Tensor
			tp.NoGrad(func() { y = g1.Forward(tp, tp.Const(x)).Value.Clone() })
			return l1(g2, y, x)
		}
		want := map[string]float64{
			"loss_cycle_a": float64(w.a) * twice(c.GA, c.GB, a),
			"loss_cycle_b": float64(w.b) * twice(c.GB, c.GA, b),
			"loss_idt_a":   float64(w.b*w.idt) * l1(c.GA, b, b),
			"loss_idt_b":   float64(w.a*w.idt) * l1(c.GB, a, a),
		}
		stats := c.Step(Batch{X: a, Y: b})
		for i, s := range c.Statistics() {
			if v, ok := want[s.Key]; ok && math.Abs(stats[i]-v) > 1e-5*max(1, v) {
				t.Errorf("λ_A %g, λ_B %g, λ_idt %g: %s = %g, want %g", w.a, w.b, w.idt, s.Key, stats[i], v)
			}
		}
	}
}
