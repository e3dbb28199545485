package nn

import (
	"math"
	"reflect"
	"testing"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/tensor"
)

func TestDropoutModes(t *testing.T) {
	x := tensor.New(40, 50)
	x.Fill(2)
	d := NewDropout(0.5, tensor.NewRNG(1, "dropout"))
	y := d.Forward(autograd.NewTape(), autograd.Const(x)).Value
	zeros := 0
	for _, v := range y.Data() {
		switch v {
		case 0:
			zeros++
		case 4:
		default:
			t.Fatalf("training output %g, want 0 or 2/(1 − 0.5) = 4", v)
		}
	}
	// 2,000 fair coins: standard deviation 22.
	if zeros < 1000-120 || zeros > 1000+120 {
		t.Fatalf("%d of 2000 zeroed, want about 1000", zeros)
	}
	if y := d.Forward(evalTape(), autograd.Const(x)); y.Value != x {
		t.Fatal("evaluation mode does not pass the input through")
	}
	checkGradients(t, NewSequential(NewLinear(3, 4, true, tensor.NewRNG(1, "init")), &fixedDropout{p: 0.3}),
		randomTensor(tensor.NewRNG(2, "x"), -1, 1, 5, 3), true)
}

// fixedDropout draws the same mask at every call, so that finite
// differences see one function.
type fixedDropout struct{ p float32 }

func (f *fixedDropout) Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
	return NewDropout(f.p, tensor.NewRNG(1, "fixed")).Forward(tp, x)
}

func (*fixedDropout) Parameters() []Parameter { return nil }

func TestEmbedding(t *testing.T) {
	e := NewEmbedding(4, 3, tensor.NewRNG(1, "init"))
	copy(e.Weight.Value.Data(), []float32{0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32})
	labels := tensor.FromSlice([]float32{3, 0, 3, 1, 1, 2}, 2, 3)
	y := e.Forward(autograd.NewTape(), autograd.Const(labels))
	if want := []int{2, 3, 3}; !reflect.DeepEqual(y.Shape(), want) {
		t.Fatalf("output shape %v, want %v", y.Shape(), want)
	}
	want := []float32{30, 31, 32, 0, 1, 2, 30, 31, 32, 10, 11, 12, 10, 11, 12, 20, 21, 22}
	if !reflect.DeepEqual(y.Value.Data(), want) {
		t.Fatalf("lookup %v, want %v", y.Value.Data(), want)
	}
	if got := parameterShapes(e); !reflect.DeepEqual(got, map[string][]int{"weight": {4, 3}}) {
		t.Fatalf("parameters %v", got)
	}
	checkGradients(t, e, labels, false)
}

func TestEmbeddingInitIsStandardNormal(t *testing.T) {
	e := NewEmbedding(100, 100, tensor.NewRNG(3, "init"))
	mean, variance := meanVar(float64s(e.Weight.Value.Data()))
	if math.Abs(mean) > 0.04 || math.Abs(variance-1) > 0.06 {
		t.Fatalf("weights have mean %g and variance %g, want N(0, 1)", mean, variance)
	}
}

func float64s(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func TestFlattenUnflatten(t *testing.T) {
	x := autograd.Const(randomTensor(tensor.NewRNG(1, "x"), -1, 1, 2, 6272))
	tp := autograd.NewTape()
	img := Unflatten{Dim: 1, Shape: []int{128, 7, 7}}.Forward(tp, x)
	if want := []int{2, 128, 7, 7}; !reflect.DeepEqual(img.Shape(), want) {
		t.Fatalf("Unflatten shape %v, want %v", img.Shape(), want)
	}
	flat := Flatten{}.Forward(tp, img)
	if !reflect.DeepEqual(flat.Shape(), x.Shape()) || !reflect.DeepEqual(flat.Value.Data(), x.Value.Data()) {
		t.Fatalf("Flatten(Unflatten(x)) has shape %v and differs from x", flat.Shape())
	}
	if got := (Unflatten{Dim: 0, Shape: []int{1, 2}}).Forward(tp, x).Shape(); !reflect.DeepEqual(got, []int{1, 2, 6272}) {
		t.Fatalf("Unflatten of dimension 0 gives %v", got)
	}
	defer func() {
		want := "nn: Unflatten(1, [128 7 8]) got input of shape [2 6272]"
		if r := recover(); r != want {
			t.Fatalf("panic %v, want %q", r, want)
		}
	}()
	Unflatten{Dim: 1, Shape: []int{128, 7, 8}}.Forward(tp, x)
}

func TestInitDCGAN(t *testing.T) {
	rng := tensor.NewRNG(1, "init")
	inner := NewSequential(NewConvTranspose2d(64, 32, 4, 2, 1, 0, true, rng), NewBatchNorm2d(32))
	lin := NewLinear(10, 64*4*4, true, rng)
	sn := SpectralNorm(NewConv2d(64, 1, 4, 1, 0, false, rng), rng)
	m := NewSequential(lin, Unflatten{1, []int{64, 4, 4}}, inner, ReLU{}, NewConv2d(32, 64, 4, 2, 1, true, rng), sn)
	linBefore := lin.Weight.Value.Clone()
	biasBefore := inner.Layers[0].(*ConvTranspose2d).Bias.Value.Clone()
	var visited []string
	Walk(m, func(l Module) { visited = append(visited, reflect.TypeOf(l).String()) })
	wantOrder := []string{"*nn.Sequential", "*nn.Linear", "nn.Unflatten", "*nn.Sequential", "*nn.ConvTranspose2d",
		"*nn.BatchNorm", "nn.ReLU", "*nn.Conv2d", "*nn.Spectral", "*nn.Conv2d"}
	if !reflect.DeepEqual(visited, wantOrder) {
		t.Fatalf("Walk visits %v, want %v", visited, wantOrder)
	}

	InitDCGAN(m, tensor.NewRNG(2, "dcgan"))
	for _, c := range []struct {
		name      string
		v         *tensor.Tensor
		mean, std float64
	}{
		{"ConvTranspose2d weight", inner.Layers[0].(*ConvTranspose2d).Weight.Value, 0, 0.02},
		{"Conv2d weight", m.Layers[4].(*Conv2d).Weight.Value, 0, 0.02},
		{"spectrally normalised Conv2d weight", sn.Layer.WeightVar().Value, 0, 0.02},
		{"BatchNorm weight", inner.Layers[1].(*BatchNorm).Weight.Value, 1, 0.02},
	} {
		mean, variance := meanVar(float64s(c.v.Data()))
		n := float64(c.v.Len())
		if math.Abs(mean-c.mean) > 5*c.std/math.Sqrt(n) || math.Abs(math.Sqrt(variance)-c.std) > 0.1*c.std {
			t.Errorf("%s: mean %g, std %g, want N(%g, %g²)", c.name, mean, math.Sqrt(variance), c.mean, c.std)
		}
	}
	for _, v := range inner.Layers[1].(*BatchNorm).Bias.Value.Data() {
		if v != 0 {
			t.Fatalf("BatchNorm bias %g, want 0", v)
		}
	}
	if !reflect.DeepEqual(lin.Weight.Value.Data(), linBefore.Data()) {
		t.Error("InitDCGAN changed a Linear weight")
	}
	if !reflect.DeepEqual(inner.Layers[0].(*ConvTranspose2d).Bias.Value.Data(), biasBefore.Data()) {
		t.Error("InitDCGAN changed a convolution bias")
	}
}
