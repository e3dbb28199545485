package nn

import (
	"math"
	"reflect"
	"testing"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/tensor"
)

func TestLinearForward(t *testing.T) {
	l := NewLinear(3, 2, true, tensor.NewRNG(1, "init"))
	copy(l.Weight.Value.Data(), []float32{1, 2, 3, -1, 0, 1})
	copy(l.Bias.Value.Data(), []float32{0.5, -0.5})
	x := autograd.Const(tensor.FromSlice([]float32{1, 1, 1, 2, 0, -1}, 2, 3))
	y := l.Forward(autograd.NewTape(), x)
	want := []float32{6.5, -0.5, -0.5, -3.5}
	if !reflect.DeepEqual(y.Value.Data(), want) {
		t.Fatalf("Linear forward = %v, want %v", y.Value.Data(), want)
	}
}

func TestLinearInitMatchesPyTorchBounds(t *testing.T) {
	const in, out = 400, 300
	l := NewLinear(in, out, true, tensor.NewRNG(7, "init"))
	bound := 1 / math.Sqrt(in)
	for name, v := range map[string]*tensor.Tensor{"weight": l.Weight.Value, "bias": l.Bias.Value} {
		var sum, sq float64
		for _, x := range v.Data() {
			if math.Abs(float64(x)) > bound {
				t.Fatalf("%s value %g outside ±%g", name, x, bound)
			}
			sum += float64(x)
			sq += float64(x) * float64(x)
		}
		n := float64(v.Len())
		// U(−b, b) has mean 0 and variance b²/3.
		if mean := sum / n; math.Abs(mean) > 4*bound/math.Sqrt(3*n) {
			t.Errorf("%s mean %g too far from 0", name, mean)
		}
		if variance := sq / n; math.Abs(variance-bound*bound/3) > 0.1*bound*bound/3 {
			t.Errorf("%s variance %g, want %g", name, variance, bound*bound/3)
		}
	}
}

func TestSequentialStateDictNames(t *testing.T) {
	rng := tensor.NewRNG(1, "init")
	d := NewSequential(NewLinear(784, 512, true, rng), LeakyReLU{0.2}, NewLinear(512, 256, true, rng),
		LeakyReLU{0.2}, NewLinear(256, 1, true, rng))
	var names []string
	for _, p := range d.Parameters() {
		names = append(names, p.Name)
	}
	want := []string{"0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("parameter names %v, want %v", names, want)
	}
	sd := StateDict(d)
	if got := sd["2.weight"].Shape(); !reflect.DeepEqual(got, []int{256, 512}) {
		t.Fatalf("2.weight shape %v, want PyTorch's [out, in] = [256 512]", got)
	}
}

func TestBCEWithLogits(t *testing.T) {
	logits := []float32{-30, -1, 0, 2, 40}
	tp := autograd.NewTape()
	x := autograd.NewVar(tensor.FromSlice(append([]float32(nil), logits...), 5), true)
	for _, target := range []float32{0, 1, 0.9} {
		loss := BCEWithLogits(tp, x, target)
		var want float64
		for _, v := range logits {
			// log σ(x) and log(1−σ(x)) computed stably for the extreme logits.
			logP := -math.Log1p(math.Exp(-float64(v)))
			log1mP := -float64(v) - math.Log1p(math.Exp(-float64(v)))
			if v < 0 {
				logP = float64(v) - math.Log1p(math.Exp(float64(v)))
				log1mP = -math.Log1p(math.Exp(float64(v)))
			}
			want -= float64(target)*logP + (1-float64(target))*log1mP
		}
		want /= float64(len(logits))
		if got := float64(loss.Value.Item()); math.Abs(got-want) > 1e-5*math.Max(1, math.Abs(want)) {
			t.Errorf("target %g: BCEWithLogits = %.7g, want %.7g", target, got, want)
		}
		g := tp.Grad([]*autograd.Var{loss}, nil, []*autograd.Var{x}, false)[0]
		for i, v := range logits {
			want := (1/(1+math.Exp(-float64(v))) - float64(target)) / float64(len(logits))
			if got := float64(g.Value.Data()[i]); math.Abs(got-want) > 1e-6 {
				t.Errorf("target %g: d/dx[%d] = %g, want (σ(x) − t)/n = %g", target, i, got, want)
			}
		}
	}
}

func TestLoadStateDict(t *testing.T) {
	rng := tensor.NewRNG(1, "init")
	a := NewSequential(NewLinear(3, 2, true, rng), Tanh{})
	b := NewSequential(NewLinear(3, 2, true, rng), Tanh{})
	if err := LoadStateDict(b, StateDict(a)); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(StateDict(a)["0.weight"].Data(), StateDict(b)["0.weight"].Data()) {
		t.Fatal("weights not copied")
	}
	for _, c := range []struct {
		name string
		sd   map[string]*tensor.Tensor
		want string
	}{
		{"missing", map[string]*tensor.Tensor{"0.weight": tensor.New(2, 3)}, `missing tensor "0.bias"`},
		{"shape", map[string]*tensor.Tensor{"0.weight": tensor.New(3, 2), "0.bias": tensor.New(2)}, `tensor "0.weight" has shape [3 2], the model needs [2 3]`},
		{"extra", map[string]*tensor.Tensor{"0.weight": tensor.New(2, 3), "0.bias": tensor.New(2), "1.weight": tensor.New(1)}, `unexpected tensor "1.weight"`},
	} {
		if err := LoadStateDict(b, c.sd); err == nil || err.Error() != c.want {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}
