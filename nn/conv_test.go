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

func randomTensor(rng *tensor.RNG, lo, hi float32, shape ...int) *tensor.Tensor {
	t := tensor.New(shape...)
	rng.Uniform(t, lo, hi)
	return t
}

// evalTape returns a new tape in evaluation mode that records.
func evalTape() *autograd.Tape {
	tp := autograd.NewTape()
	tp.SetTraining(false)
	return tp
}

// inEvaluation runs its module in evaluation mode on whatever tape it is
// given, for checks such as checkGradients that make their own tapes.
type inEvaluation struct{ Module }

func (e inEvaluation) Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
	previous := tp.SetTraining(false)
	defer tp.SetTraining(previous)
	return e.Module.Forward(tp, x)
}

// checkGradients compares the gradients of L = Σ w ⊙ m(x), for a fixed
// random w, with respect to every parameter of m (and x when wrtInput)
// against central differences of L in float64.
func checkGradients(t *testing.T, m Module, x *tensor.Tensor, wrtInput bool) {
	t.Helper()
	const eps, atol, rtol = 1e-2, 3e-3, 3e-3
	xv := autograd.NewVar(x, wrtInput)
	vars := Vars(m.Parameters())
	if wrtInput {
		vars = append(vars, xv)
	}
	tp := autograd.NewTape()
	y := m.Forward(tp, xv)
	w := randomTensor(tensor.NewRNG(1, "weights of the sum"), -1, 1, y.Shape()...)
	loss := func(tp *autograd.Tape) *autograd.Var {
		return tp.Sum(tp.Mul(m.Forward(tp, xv), autograd.Const(w)))
	}
	grads := tp.Grad([]*autograd.Var{loss(tp)}, nil, vars, false)
	for i, v := range vars {
		want := gradcheck.Numeric(v.Value.Data(), func() float64 { return noGradLoss(loss) }, eps)
		got := grads[i].Value.Data()
		if j := gradcheck.Mismatch(got, want, atol, rtol); j >= 0 {
			t.Fatalf("variable %d (shape %v) element %d: analytic %.6g, numeric %.6g", i, v.Shape(), j, got[j], want[j])
		}
	}
}

func noGradLoss(loss func(*autograd.Tape) *autograd.Var) float64 {
	tp := autograd.NewTape()
	tp.SetGrad(false)
	return loss(tp).Value.Sum()
}

func parameterShapes(m Module) map[string][]int {
	out := make(map[string][]int)
	for _, p := range m.Parameters() {
		out[p.Name] = p.Shape()
	}
	return out
}

func TestConvLayers(t *testing.T) {
	rng := tensor.NewRNG(1, "init")
	for _, c := range []struct {
		name   string
		m      Module
		in     []int
		out    []int
		params map[string][]int
	}{
		{"Conv2d", NewConv2d(2, 3, 4, 2, 1, true, rng), []int{2, 2, 6, 6}, []int{2, 3, 3, 3},
			map[string][]int{"weight": {3, 2, 4, 4}, "bias": {3}}},
		{"Conv2d/no bias", NewConv2d(3, 2, 3, 1, 1, false, rng), []int{1, 3, 4, 5}, []int{1, 2, 4, 5},
			map[string][]int{"weight": {2, 3, 3, 3}}},
		{"ConvTranspose2d", NewConvTranspose2d(3, 2, 4, 2, 1, 0, true, rng), []int{2, 3, 3, 3}, []int{2, 2, 6, 6},
			map[string][]int{"weight": {3, 2, 4, 4}, "bias": {2}}},
		{"ConvTranspose2d/output padding", NewConvTranspose2d(2, 3, 3, 2, 1, 1, false, rng), []int{1, 2, 3, 2}, []int{1, 3, 6, 4},
			map[string][]int{"weight": {2, 3, 3, 3}}},
		{"ConvTranspose2d/projection", NewConvTranspose2d(4, 3, 4, 1, 0, 0, false, rng), []int{2, 4, 1, 1}, []int{2, 3, 4, 4},
			map[string][]int{"weight": {4, 3, 4, 4}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := parameterShapes(c.m); !reflect.DeepEqual(got, c.params) {
				t.Fatalf("parameters %v, want %v", got, c.params)
			}
			x := randomTensor(tensor.NewRNG(2, c.name), -1, 1, c.in...)
			y := c.m.Forward(autograd.NewTape(), autograd.Const(x))
			if !reflect.DeepEqual(y.Shape(), c.out) {
				t.Fatalf("output shape %v, want %v", y.Shape(), c.out)
			}
			checkGradients(t, c.m, x, true)
		})
	}
}

// PyTorch's convolutions draw weight and bias from U(−1/√fanIn, 1/√fanIn),
// where fanIn is the weight's second dimension times the kernel area: In·k²
// for Conv2d and Out·k² for ConvTranspose2d.
func TestConvInitMatchesPyTorchBounds(t *testing.T) {
	rng := tensor.NewRNG(7, "init")
	for _, c := range []struct {
		name   string
		params []Parameter
		fanIn  int
	}{
		{"Conv2d(64, 128, 4)", NewConv2d(64, 128, 4, 2, 1, true, rng).Parameters(), 64 * 16},
		{"ConvTranspose2d(128, 32, 4)", NewConvTranspose2d(128, 32, 4, 2, 1, 0, true, rng).Parameters(), 32 * 16},
	} {
		bound := 1 / math.Sqrt(float64(c.fanIn))
		for _, p := range c.params {
			var sq float64
			for _, v := range p.Value.Data() {
				if math.Abs(float64(v)) > bound {
					t.Fatalf("%s %s value %g outside ±%g", c.name, p.Name, v, bound)
				}
				sq += float64(v) * float64(v)
			}
			n := float64(p.Value.Len())
			// U(−b, b) has variance b²/3; the bias is small, so allow more.
			if variance := sq / n; math.Abs(variance-bound*bound/3) > 6/math.Sqrt(n)*bound*bound/3 {
				t.Errorf("%s %s variance %g, want %g", c.name, p.Name, variance, bound*bound/3)
			}
		}
	}
}

func TestConvInputShapePanics(t *testing.T) {
	rng := tensor.NewRNG(1, "init")
	for _, c := range []struct {
		m    Module
		in   []int
		want string
	}{
		{NewConv2d(3, 4, 3, 1, 1, true, rng), []int{2, 2, 5, 5}, "nn: Conv2d(3, 4) got input of shape [2 2 5 5], want [N 3 H W]"},
		{NewConv2d(3, 4, 3, 1, 1, true, rng), []int{2, 75}, "nn: Conv2d(3, 4) got input of shape [2 75], want [N 3 H W]"},
		{NewConvTranspose2d(3, 4, 3, 1, 1, 0, true, rng), []int{2, 4, 5, 5}, "nn: ConvTranspose2d(3, 4) got input of shape [2 4 5 5], want [N 3 H W]"},
	} {
		func() {
			defer func() {
				if r := fmt.Sprint(recover()); r != c.want {
					t.Errorf("panic %q, want %q", r, c.want)
				}
			}()
			c.m.Forward(autograd.NewTape(), autograd.Const(tensor.New(c.in...)))
		}()
	}
}
