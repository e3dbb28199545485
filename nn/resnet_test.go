package nn

import (
	"math"
	"reflect"
	"testing"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/tensor"
)

// TestInstanceNorm2dNormalisesEachPlane checks that every channel of every
// sample comes out with mean 0 and biased variance 1/(1 + ε/σ²), in
// training and in evaluation mode alike, then scaled and shifted by the
// affine parameters.
func TestInstanceNorm2dNormalisesEachPlane(t *testing.T) {
	rng := tensor.NewRNG(1, "instance")
	x := randomTensor(rng, -2, 3, 2, 3, 4, 5)
	for _, affine := range []bool{false, true} {
		n := NewInstanceNorm2d(3, affine)
		if affine {
			rng.Uniform(n.Weight.Value, 0.5, 2)
			rng.Uniform(n.Bias.Value, -1, 1)
		}
		train := n.Forward(autograd.NewTape(), autograd.Const(x)).Value
		eval := n.Forward(evalTape(), autograd.Const(x)).Value
		if !reflect.DeepEqual(train.Data(), eval.Data()) {
			t.Fatalf("affine %v: evaluation mode differs from training mode", affine)
		}
		for s := range 2 {
			for c := range 3 {
				in := x.Data()[(s*3+c)*20 : (s*3+c+1)*20]
				out := train.Data()[(s*3+c)*20 : (s*3+c+1)*20]
				var xs, ys []float64
				for i := range in {
					xs, ys = append(xs, float64(in[i])), append(ys, float64(out[i]))
				}
				mx, vx := meanVar(xs)
				w, b := 1.0, 0.0
				if affine {
					w, b = float64(n.Weight.Value.Data()[c]), float64(n.Bias.Value.Data()[c])
				}
				for i := range xs {
					want := (xs[i]-mx)/math.Sqrt(vx+1e-5)*w + b
					if math.Abs(ys[i]-want) > 1e-5 {
						t.Fatalf("affine %v sample %d channel %d value %d: %v, want %v", affine, s, c, i, ys[i], want)
					}
				}
			}
		}
	}
}

// TestInstanceNorm2dGradients checks the gradients with respect to the
// input and the affine parameters by finite differences.
func TestInstanceNorm2dGradients(t *testing.T) {
	rng := tensor.NewRNG(2, "instance")
	checkGradients(t, NewInstanceNorm2d(2, false), randomTensor(rng, -2, 2, 2, 2, 3, 3), true)
	n := NewInstanceNorm2d(2, true)
	rng.Uniform(n.Weight.Value, 0.5, 2)
	rng.Uniform(n.Bias.Value, -1, 1)
	checkGradients(t, n, randomTensor(rng, -2, 2, 2, 2, 3, 2), true)
}

// TestReflectionPad2dGradients checks the padding's gradient by finite
// differences.
func TestReflectionPad2dGradients(t *testing.T) {
	rng := tensor.NewRNG(3, "pad")
	checkGradients(t, ReflectionPad2d{2}, randomTensor(rng, -1, 1, 2, 1, 3, 4), true)
}

// TestResnetBlock checks the block's PyTorch names, that it adds its
// input to its branch, and its gradients by finite differences: with
// weights of order 1, since instance normalisation makes the output
// invariant to a weight's scale and so curved at the scale of small ones,
// and with the ReLU (whose kinks finite differences cannot cross, and whose
// gradient nn's tests check) replaced by Tanh.
func TestResnetBlock(t *testing.T) {
	rng := tensor.NewRNG(4, "block")
	r := NewResnetBlock(2, rng)
	var names []string
	for _, p := range r.Parameters() {
		names = append(names, p.Name)
	}
	want := []string{"conv_block.1.weight", "conv_block.1.bias", "conv_block.5.weight", "conv_block.5.bias"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("parameters %v, want %v", names, want)
	}
	x := randomTensor(rng, -1, 1, 1, 2, 4, 4)
	tp := autograd.NewTape()
	y := r.Forward(tp, autograd.Const(x)).Value
	branch := r.ConvBlock.Forward(tp, autograd.Const(x)).Value
	for i, v := range y.Data() {
		if d := v - x.Data()[i] - branch.Data()[i]; d > 1e-6 || d < -1e-6 {
			t.Fatalf("value %d: %v, want x + conv_block(x) = %v", i, v, x.Data()[i]+branch.Data()[i])
		}
	}
	for _, p := range r.Parameters() {
		rng.Uniform(p.Value, -1, 1)
	}
	r.ConvBlock.Layers[3] = Tanh{}
	checkGradients(t, r, x, true)
}
