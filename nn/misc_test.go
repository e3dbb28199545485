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

// residual is a composite module defined outside nn, a residual block
// x + Conv(x) with a padded 3×3 convolution: Walk, InitDCGAN and
// SpectralNormAll must reach its convolution through Container.
type residual struct{ Conv Module }

func (r *residual) Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
	return tp.Add(x, r.Conv.Forward(tp, x))
}

func (r *residual) Parameters() []Parameter {
	var ps []Parameter
	for _, p := range r.Conv.Parameters() {
		ps = append(ps, Parameter{"conv." + p.Name, p.Var})
	}
	return ps
}

func (r *residual) Buffers() []Buffer {
	var bs []Buffer
	if bh, ok := r.Conv.(BufferHolder); ok {
		for _, b := range bh.Buffers() {
			bs = append(bs, Buffer{"conv." + b.Name, b.Value})
		}
	}
	return bs
}

func (r *residual) Children() []Child { return []Child{{"conv", r.Conv}} }

func (r *residual) SetChild(_ int, m Module) { r.Conv = m }

// residualNet returns Linear → Unflatten → residual block → Flatten →
// Linear, with the block's convolution.
func residualNet(rng *tensor.RNG) (*Sequential, *Conv2d) {
	conv := NewConv2d(4, 4, 3, 1, 1, true, rng)
	return NewSequential(NewLinear(3, 4*5*5, true, rng), Unflatten{1, []int{4, 5, 5}}, &residual{conv},
		Flatten{}, NewLinear(4*5*5, 1, true, rng)), conv
}

func TestWalkReachesContainers(t *testing.T) {
	m, conv := residualNet(tensor.NewRNG(1, "init"))
	var visited []string
	reached := false
	Walk(m, func(l Module) {
		visited = append(visited, reflect.TypeOf(l).String())
		reached = reached || l == Module(conv)
	})
	want := []string{"*nn.Sequential", "*nn.Linear", "nn.Unflatten", "*nn.residual", "*nn.Conv2d", "nn.Flatten", "*nn.Linear"}
	if !reflect.DeepEqual(visited, want) || !reached {
		t.Fatalf("Walk visits %v (the block's convolution: %v), want %v", visited, reached, want)
	}
}

func TestInitDCGANReachesContainers(t *testing.T) {
	m, conv := residualNet(tensor.NewRNG(1, "init"))
	bias := conv.Bias.Value.Clone()
	InitDCGAN(m, tensor.NewRNG(2, "dcgan"))
	want := tensor.New(conv.Weight.Shape()...)
	tensor.NewRNG(2, "dcgan").Normal(want, 0, 0.02)
	if !reflect.DeepEqual(conv.Weight.Value.Data(), want.Data()) {
		t.Error("the residual block's convolution weight is not the first N(0, 0.02²) draw")
	}
	if !reflect.DeepEqual(conv.Bias.Value.Data(), bias.Data()) {
		t.Error("InitDCGAN changed the residual block's convolution bias")
	}
}

func TestSpectralNormAll(t *testing.T) {
	m, conv := residualNet(tensor.NewRNG(1, "init"))
	first, last := m.Layers[0].(*Linear), m.Layers[4].(*Linear)
	SpectralNormAll(m, tensor.NewRNG(3, "spectral"))
	wantNames := []string{"0.bias", "0.weight_orig", "2.conv.bias", "2.conv.weight_orig", "4.bias", "4.weight_orig",
		"0.weight_u", "0.weight_v", "2.conv.weight_u", "2.conv.weight_v", "4.weight_u", "4.weight_v"}
	if got := stateNames(m); !reflect.DeepEqual(got, wantNames) {
		t.Fatalf("state names %v, want %v", got, wantNames)
	}
	// The vectors are drawn in Walk's order, as wrapping each layer in turn
	// draws them.
	rng := tensor.NewRNG(3, "spectral")
	wrapped := []*Spectral{m.Layers[0].(*Spectral), m.Layers[2].(*residual).Conv.(*Spectral), m.Layers[4].(*Spectral)}
	for i, w := range []Weighted{first, conv, last} {
		want, got := SpectralNorm(w, rng), wrapped[i]
		if got.Layer != w || !reflect.DeepEqual(got.U.Data(), want.U.Data()) || !reflect.DeepEqual(got.V.Data(), want.V.Data()) {
			t.Fatalf("layer %d: wrapped %T with u and v differing from the draws in order", i, got.Layer)
		}
	}
	before := stateNames(m)
	SpectralNormAll(m, rng)
	if got := stateNames(m); !reflect.DeepEqual(got, before) {
		t.Fatalf("a second SpectralNormAll changed the names to %v", got)
	}
	lin := NewLinear(2, 2, true, rng)
	SpectralNormAll(lin, rng)
	if got := stateNames(lin); !reflect.DeepEqual(got, []string{"weight", "bias"}) {
		t.Fatalf("SpectralNormAll of a lone layer changed its names to %v", got)
	}
}

func TestContainerChildren(t *testing.T) {
	rng := tensor.NewRNG(1, "init")
	lin := NewLinear(2, 3, true, rng)
	sn := SpectralNorm(NewLinear(3, 1, true, rng), rng)
	seq := NewSequential(lin, ReLU{}, sn)
	for _, c := range []struct {
		name string
		c    Container
		want []Child
	}{
		{"Sequential", seq, []Child{{"0", lin}, {"1", ReLU{}}, {"2", sn}}},
		{"Spectral", sn, []Child{{"", sn.Layer}}},
	} {
		if got := c.c.Children(); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: children %v, want %v", c.name, got, c.want)
		}
	}
	other := NewLinear(2, 3, false, rng)
	seq.SetChild(0, other)
	if seq.Layers[0] != Module(other) {
		t.Error("Sequential.SetChild did not replace the layer")
	}
	for _, c := range []struct {
		name string
		i    int
		m    Module
	}{
		{"not a Weighted layer", 0, ReLU{}},
		{"a weight of another shape", 0, NewLinear(4, 1, true, rng)},
		{"index 1", 1, NewLinear(3, 1, true, rng)},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("Spectral.SetChild did not panic")
				}
			}()
			sn.SetChild(c.i, c.m)
		})
	}
	same := NewLinear(3, 1, false, rng)
	sn.SetChild(0, same)
	if sn.Layer != Weighted(same) {
		t.Error("Spectral.SetChild did not replace the layer")
	}
}
