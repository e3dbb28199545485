package nn

import (
	"fmt"
	"math"
	"reflect"
	"testing"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/internal/gradcheck"
	"github.com/nash-gan/nash/tensor"
)

// channelValues returns, for an input of shape [N, C, …], the values of
// channel c.
func channelValues(x *tensor.Tensor, c int) []float64 {
	s := x.Shape()
	inner := x.Len() / (s[0] * s[1])
	var out []float64
	for n := 0; n < s[0]; n++ {
		for _, v := range x.Data()[(n*s[1]+c)*inner : (n*s[1]+c+1)*inner] {
			out = append(out, float64(v))
		}
	}
	return out
}

func meanVar(v []float64) (mean, biased float64) {
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	for _, x := range v {
		biased += (x - mean) * (x - mean)
	}
	return mean, biased / float64(len(v))
}

// TestBatchNormModes checks every layout against the definitions: training
// mode normalises by the batch's mean and biased variance and moves the
// running statistics by momentum 0.1 with the unbiased variance; evaluation
// mode normalises by the running statistics.
func TestBatchNormModes(t *testing.T) {
	for _, c := range []struct {
		name string
		bn   *BatchNorm
		in   []int
	}{
		{"BatchNorm1d/[N C]", NewBatchNorm1d(3), []int{6, 3}},
		{"BatchNorm1d/[N C L]", NewBatchNorm1d(2), []int{3, 2, 4}},
		{"BatchNorm2d", NewBatchNorm2d(3), []int{4, 3, 2, 3}},
	} {
		t.Run(c.name, func(t *testing.T) {
			rng := tensor.NewRNG(1, c.name)
			bn := c.bn
			rng.Uniform(bn.Weight.Value, 0.5, 2)
			rng.Uniform(bn.Bias.Value, -1, 1)
			x := randomTensor(rng, -2, 3, c.in...)
			y := bn.Forward(autograd.NewTape(), autograd.Const(x)).Value
			if !reflect.DeepEqual(y.Shape(), c.in) {
				t.Fatalf("output shape %v, want %v", y.Shape(), c.in)
			}
			for ch := 0; ch < bn.Features; ch++ {
				xs := channelValues(x, ch)
				mean, biased := meanVar(xs)
				gamma, beta := float64(bn.Weight.Value.Data()[ch]), float64(bn.Bias.Value.Data()[ch])
				for i, v := range channelValues(y, ch) {
					want := (xs[i]-mean)/math.Sqrt(biased+1e-5)*gamma + beta
					if math.Abs(v-want) > 1e-5 {
						t.Fatalf("training channel %d value %d = %g, want %g", ch, i, v, want)
					}
				}
				unbiased := biased * float64(len(xs)) / float64(len(xs)-1)
				if got, want := float64(bn.RunningMean.Data()[ch]), 0.1*mean; math.Abs(got-want) > 1e-6 {
					t.Errorf("running_mean[%d] = %g, want %g", ch, got, want)
				}
				if got, want := float64(bn.RunningVar.Data()[ch]), 0.9+0.1*unbiased; math.Abs(got-want) > 1e-6 {
					t.Errorf("running_var[%d] = %g, want %g", ch, got, want)
				}
			}
			if n := bn.NumBatchesTracked.Item(); n != 1 {
				t.Errorf("num_batches_tracked = %g, want 1", n)
			}

			ye := bn.Forward(evalTape(), autograd.Const(x)).Value
			for ch := 0; ch < bn.Features; ch++ {
				rm, rv := float64(bn.RunningMean.Data()[ch]), float64(bn.RunningVar.Data()[ch])
				gamma, beta := float64(bn.Weight.Value.Data()[ch]), float64(bn.Bias.Value.Data()[ch])
				xs := channelValues(x, ch)
				for i, v := range channelValues(ye, ch) {
					want := (xs[i]-rm)/math.Sqrt(rv+1e-5)*gamma + beta
					if math.Abs(v-want) > 1e-5 {
						t.Fatalf("evaluation channel %d value %d = %g, want %g", ch, i, v, want)
					}
				}
			}
			if n := bn.NumBatchesTracked.Item(); n != 1 {
				t.Errorf("evaluation changed num_batches_tracked to %g", n)
			}
		})
	}
}

func TestBatchNormGradients(t *testing.T) {
	for _, c := range []struct {
		name     string
		bn       *BatchNorm
		in       []int
		training bool
	}{
		{"BatchNorm1d/[N C]/training", NewBatchNorm1d(3), []int{5, 3}, true},
		{"BatchNorm1d/[N C L]/training", NewBatchNorm1d(2), []int{3, 2, 3}, true},
		{"BatchNorm2d/training", NewBatchNorm2d(2), []int{3, 2, 2, 3}, true},
		{"BatchNorm2d/evaluation", NewBatchNorm2d(2), []int{3, 2, 2, 3}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			rng := tensor.NewRNG(2, c.name)
			rng.Uniform(c.bn.Weight.Value, 0.5, 2)
			rng.Uniform(c.bn.Bias.Value, -1, 1)
			rng.Uniform(c.bn.RunningMean, -1, 1)
			rng.Uniform(c.bn.RunningVar, 0.5, 2)
			var m Module = c.bn
			if !c.training {
				m = inEvaluation{m}
			}
			checkGradients(t, m, randomTensor(rng, -2, 2, c.in...), true)
		})
	}
}

func TestBatchNormStateDict(t *testing.T) {
	rng := tensor.NewRNG(1, "init")
	m := NewSequential(NewConv2d(1, 4, 3, 1, 1, false, rng), NewBatchNorm2d(4), LeakyReLU{0.2})
	var params []string
	for _, p := range m.Parameters() {
		params = append(params, p.Name)
	}
	if want := []string{"0.weight", "1.weight", "1.bias"}; !reflect.DeepEqual(params, want) {
		t.Fatalf("parameters %v, want %v", params, want)
	}
	var buffers []string
	for _, b := range m.Buffers() {
		buffers = append(buffers, fmt.Sprint(b.Name, b.Value.Shape()))
	}
	if want := []string{"1.running_mean[4]", "1.running_var[4]", "1.num_batches_tracked[]"}; !reflect.DeepEqual(buffers, want) {
		t.Fatalf("buffers %v, want %v", buffers, want)
	}
	other := NewSequential(NewConv2d(1, 4, 3, 1, 1, false, rng), NewBatchNorm2d(4), LeakyReLU{0.2})
	m.Forward(autograd.NewTape(), autograd.Const(randomTensor(rng, -1, 1, 2, 1, 3, 3)))
	if err := LoadStateDict(other, StateDict(m)); err != nil {
		t.Fatal(err)
	}
	bn := other.Layers[1].(*BatchNorm)
	if bn.NumBatchesTracked.Item() != 1 || !reflect.DeepEqual(bn.RunningMean.Data(), m.Layers[1].(*BatchNorm).RunningMean.Data()) {
		t.Fatal("LoadStateDict did not copy the running statistics")
	}
}

func TestBatchNormPanics(t *testing.T) {
	for _, c := range []struct {
		bn   *BatchNorm
		in   []int
		want string
	}{
		{NewBatchNorm2d(3), []int{2, 3, 4}, "nn: BatchNorm2d(3) got input of shape [2 3 4], want [N 3 H W]"},
		{NewBatchNorm1d(3), []int{2, 4}, "nn: BatchNorm1d(3) got input of shape [2 4], want [N 3] or [N 3 L]"},
		{NewBatchNorm1d(3), []int{1, 3}, "nn: BatchNorm1d(3) in training mode needs more than one value per channel, got input of shape [1 3]"},
	} {
		func() {
			defer func() {
				if r := fmt.Sprint(recover()); r != c.want {
					t.Errorf("panic %q, want %q", r, c.want)
				}
			}()
			c.bn.Forward(autograd.NewTape(), autograd.Const(tensor.New(c.in...)))
		}()
	}
}

// TestGradientPenaltyBatchNorm differentiates a gradient penalty through a
// convolutional critic with BatchNorm in training mode, which couples the
// samples of the batch: for D = Conv2d → BatchNorm2d → LeakyReLU(0.2) →
// Flatten → Linear, the gradient of ‖∇ₓ D(x)‖² with respect to every
// parameter against finite differences of the first-order gradient.
func TestGradientPenaltyBatchNorm(t *testing.T) {
	rng := tensor.NewRNG(4, "gp bn")
	const n = 3
	conv, bn := NewConv2d(2, 2, 3, 2, 1, true, rng), NewBatchNorm2d(2)
	rng.Uniform(bn.Weight.Value, 0.5, 1.5)
	rng.Uniform(bn.Bias.Value, -0.5, 0.5)
	d := NewSequential(conv, bn, LeakyReLU{0.2}, Flatten{}, NewLinear(2*3*3, 1, true, rng))
	params := Vars(d.Parameters())
	xt := randomTensor(rng, -1, 1, n, 2, 5, 5)
	penalty := func(tp *autograd.Tape, createGraph bool) *autograd.Var {
		x := autograd.NewVar(xt, true)
		gx := tp.Grad([]*autograd.Var{tp.Sum(d.Forward(tp, x))}, nil, []*autograd.Var{x}, createGraph)[0]
		return tp.Sum(tp.Square(gx))
	}
	// Piecewise-linear LeakyReLU: finite differences are exact only if no
	// step moves a pre-activation across 0, so every evaluation checks that
	// the pre-activations keep their signs.
	const eps = 1e-3
	preSigns := func() []bool {
		tp := autograd.NewTape()
		tp.SetGrad(false)
		var s []bool
		for _, v := range NewSequential(conv, bn).Forward(tp, autograd.Const(xt)).Value.Data() {
			s = append(s, v > 0)
		}
		return s
	}
	signs := preSigns()
	evaluate := func() float64 {
		if !reflect.DeepEqual(preSigns(), signs) {
			t.Fatal("a finite-difference step crosses LeakyReLU's kink: choose another seed")
		}
		return penalty(autograd.NewTape(), false).Value.Sum()
	}
	tp := autograd.NewTape()
	tp.Backward(penalty(tp, true), params...)
	for i, p := range params {
		want := gradcheck.Numeric(p.Value.Data(), evaluate, eps)
		got := make([]float32, len(want))
		if p.Grad != nil {
			got = p.Grad.Data()
		}
		if j := gradcheck.Mismatch(got, want, 2e-3, 2e-3); j >= 0 {
			t.Fatalf("parameter %d element %d: analytic %.6g, numeric %.6g", i, j, got[j], want[j])
		}
	}
	// ∇ₓD grows with γ, so the penalty's gradient must reach it.
	if bn.Weight.Grad == nil || norm(bn.Weight.Grad) == 0 {
		t.Fatal("no penalty gradient reached BatchNorm's weight")
	}
}

func norm(t *tensor.Tensor) float64 {
	var s float64
	for _, v := range t.Data() {
		s += float64(v) * float64(v)
	}
	return s
}

// StandingStats leaves in every BatchNorm of a network the plain average of
// its batches' means and unbiased variances, restores Momentum, and leaves
// a network without BatchNorm alone.
func TestStandingStats(t *testing.T) {
	rng := tensor.NewRNG(1, "standing")
	bn := NewBatchNorm2d(2)
	bn.Momentum = 0.3
	bn.RunningMean.Fill(7)
	net := NewSequential(Tanh{}, bn)
	const batches = 5
	xs := make([]*tensor.Tensor, batches)
	for i := range xs {
		xs[i] = randomTensor(rng, -float32(i+1), float32(i+2), 3, 2, 2, 2)
	}
	if n := StandingStats(net, batches, func(i int) { net.Forward(autograd.NewTape(), autograd.Const(xs[i])) }); n != 1 {
		t.Fatalf("StandingStats found %d BatchNorms, want 1", n)
	}
	for ch := range 2 {
		var mean, variance float64
		for _, x := range xs {
			v := channelValues(x, ch)
			for j := range v {
				v[j] = math.Tanh(v[j])
			}
			m, biased := meanVar(v)
			mean += m / batches
			variance += biased * float64(len(v)) / float64(len(v)-1) / batches
		}
		if got := float64(bn.RunningMean.Data()[ch]); math.Abs(got-mean) > 1e-5 {
			t.Errorf("channel %d: running mean %g, want the average of the batch means %g", ch, got, mean)
		}
		if got := float64(bn.RunningVar.Data()[ch]); math.Abs(got-variance) > 1e-5 {
			t.Errorf("channel %d: running variance %g, want the average of the unbiased variances %g", ch, got, variance)
		}
	}
	if bn.Momentum != 0.3 || bn.NumBatchesTracked.Item() != batches {
		t.Errorf("Momentum %g and batches tracked %g after, want 0.3 and %d", bn.Momentum, bn.NumBatchesTracked.Item(), batches)
	}
	calls := 0
	if n := StandingStats(NewSequential(Tanh{}), 3, func(int) { calls++ }); n != 0 || calls != 0 {
		t.Errorf("without BatchNorm: %d found, forward called %d times; want 0 and 0", n, calls)
	}
}
