package nn

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"reflect"
	"slices"
	"testing"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/internal/atomicfile"
	"github.com/nash-gan/nash/internal/gradcheck"
	"github.com/nash-gan/nash/tensor"
)

// stateNames returns m's parameter names and then its buffer names, the
// order of PyTorch's state_dict.
func stateNames(m Module) []string {
	var names []string
	for _, p := range m.Parameters() {
		names = append(names, p.Name)
	}
	if bh, ok := m.(BufferHolder); ok {
		for _, b := range bh.Buffers() {
			names = append(names, b.Name)
		}
	}
	return names
}

func TestSpectralNormStateDictNames(t *testing.T) {
	rng := tensor.NewRNG(1, "init")
	for _, c := range []struct {
		name   string
		layer  func() Weighted
		names  []string
		shapes map[string][]int
	}{
		{"Linear", func() Weighted { return NewLinear(3, 2, true, rng) },
			[]string{"0.bias", "0.weight_orig", "0.weight_u", "0.weight_v"},
			map[string][]int{"0.bias": {2}, "0.weight_orig": {2, 3}, "0.weight_u": {2}, "0.weight_v": {3}}},
		{"Linear without bias", func() Weighted { return NewLinear(3, 2, false, rng) },
			[]string{"0.weight_orig", "0.weight_u", "0.weight_v"},
			map[string][]int{"0.weight_orig": {2, 3}, "0.weight_u": {2}, "0.weight_v": {3}}},
		{"Conv2d", func() Weighted { return NewConv2d(3, 4, 3, 1, 1, true, rng) },
			[]string{"0.bias", "0.weight_orig", "0.weight_u", "0.weight_v"},
			map[string][]int{"0.bias": {4}, "0.weight_orig": {4, 3, 3, 3}, "0.weight_u": {4}, "0.weight_v": {27}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := NewSequential(SpectralNorm(c.layer(), rng), LeakyReLU{0.2})
			if got := stateNames(m); !reflect.DeepEqual(got, c.names) {
				t.Fatalf("state names %v, want PyTorch's %v", got, c.names)
			}
			sd := StateDict(m)
			if len(sd) != len(c.shapes) {
				t.Fatalf("state dict has %d tensors, want %d", len(sd), len(c.shapes))
			}
			for name, shape := range c.shapes {
				if got := sd[name].Shape(); !reflect.DeepEqual(got, shape) {
					t.Errorf("%s has shape %v, want %v", name, got, shape)
				}
			}
			other := NewSequential(SpectralNorm(c.layer(), rng), LeakyReLU{0.2})
			if err := LoadStateDict(other, sd); err != nil {
				t.Fatal(err)
			}
			for name, v := range StateDict(other) {
				if !reflect.DeepEqual(v.Data(), sd[name].Data()) {
					t.Errorf("%s not loaded", name)
				}
			}
			for name, v := range map[string]*tensor.Tensor{"0.weight_u": sd["0.weight_u"], "0.weight_v": sd["0.weight_v"]} {
				if n := norm(v); math.Abs(n-1) > 1e-6 {
					t.Errorf("initial %s has squared norm %g, want 1", name, n)
				}
			}
		})
	}
}

// normalized64 returns x/‖x‖ in float64.
func normalized64(x []float64) []float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = v / math.Sqrt(s)
	}
	return out
}

func float64Of(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

// TestSpectralNormForward checks one training-mode Forward against the
// definition in float64: u and v after one round of power iteration from
// their previous values, σ = uᵀWv and y = x(W/σ)ᵀ + b; and that evaluation
// mode, switched through a Sequential, leaves u and v alone.
func TestSpectralNormForward(t *testing.T) {
	const in, out, batch = 5, 4, 3
	rng := tensor.NewRNG(2, "spectral forward")
	lin := NewLinear(in, out, true, rng)
	sn := SpectralNorm(lin, rng)
	w := float64Of(lin.Weight.Value.Data())
	u0 := float64Of(sn.U.Data())
	x := randomTensor(rng, -1, 1, batch, in)

	v1 := make([]float64, in)
	for i := range out {
		for j := range in {
			v1[j] += w[i*in+j] * u0[i]
		}
	}
	v1 = normalized64(v1)
	u1 := make([]float64, out)
	for i := range out {
		for j := range in {
			u1[i] += w[i*in+j] * v1[j]
		}
	}
	sigma := 0.0
	for i := range out {
		sigma += u1[i] * u1[i]
	}
	sigma = math.Sqrt(sigma) // uᵀWv with u = Wv/‖Wv‖ is ‖Wv‖
	u1 = normalized64(u1)
	want := make([]float64, batch*out)
	for n := range batch {
		for i := range out {
			y := float64(lin.Bias.Value.Data()[i])
			for j := range in {
				y += float64(x.Data()[n*in+j]) * w[i*in+j] / sigma
			}
			want[n*out+i] = y
		}
	}
	check := func(what string, got []float32, want []float64) {
		t.Helper()
		for i := range want {
			if math.Abs(float64(got[i])-want[i]) > 1e-6 {
				t.Fatalf("%s[%d] = %.7g, want %.7g", what, i, got[i], want[i])
			}
		}
	}

	seq := NewSequential(sn)
	y := seq.Forward(autograd.NewTape(), autograd.Const(x))
	check("u", sn.U.Data(), u1)
	check("v", sn.V.Data(), v1)
	check("y", y.Value.Data(), want)

	u, v := slices.Clone(sn.U.Data()), slices.Clone(sn.V.Data())
	y = seq.Forward(evalTape(), autograd.Const(x))
	if !slices.Equal(sn.U.Data(), u) || !slices.Equal(sn.V.Data(), v) {
		t.Fatal("an evaluation-mode Forward changed u or v")
	}
	check("eval y", y.Value.Data(), want)
	seq.Forward(autograd.NewTape(), autograd.Const(x))
	if slices.Equal(sn.V.Data(), v) {
		t.Fatal("back in training mode, Forward left v unchanged")
	}
}

// TestSpectralNormConverges wraps a Linear whose weight has the known
// singular values 3, 2, 1 and 0.5 (one entry per row, in distinct columns) and
// checks that after a few dozen training-mode passes the layer applies W/3:
// fed the identity without bias it outputs (W/3)ᵀ, whose largest entry is 1.
func TestSpectralNormConverges(t *testing.T) {
	const in, out = 6, 4
	rng := tensor.NewRNG(3, "spectral converges")
	lin := NewLinear(in, out, false, rng)
	w := lin.Weight.Value.Data()
	clear(w)
	cols, values := []int{2, 0, 5, 3}, []float32{0.5, -3, 2, 1}
	for i := range out {
		w[i*in+cols[i]] = values[i]
	}
	sn := SpectralNorm(lin, rng)
	eye := tensor.New(in, in)
	for i := range in {
		eye.Data()[i*in+i] = 1
	}
	var y *tensor.Tensor
	for range 40 {
		y = sn.Forward(autograd.NewTape(), autograd.Const(eye)).Value
	}
	for j := range in {
		for i := range out {
			want := float64(w[i*in+j]) / 3
			if got := float64(y.Data()[j*out+i]); math.Abs(got-want) > 1e-6 {
				t.Errorf("normalised weight [%d, %d] = %.7g, want %.7g", i, j, got, want)
			}
		}
	}
}

// warmedUp returns m after passes training-mode forwards on x, so that its
// u and v approximate the singular vectors, wrapped to run in evaluation
// mode so that u and v stay fixed for finite differences.
func warmedUp(m Module, x *tensor.Tensor, passes int) Module {
	for range passes {
		m.Forward(autograd.NewTape(), autograd.Const(x))
	}
	return inEvaluation{m}
}

// TestSpectralNormGradients compares the gradients through the
// normalisation, σ included, with respect to weight_orig, the bias and the
// input, against finite differences, with u and v fixed (evaluation mode).
func TestSpectralNormGradients(t *testing.T) {
	for _, c := range []struct {
		name  string
		layer func(*tensor.RNG) Weighted
		x     []int
	}{
		{"Linear", func(rng *tensor.RNG) Weighted { return NewLinear(5, 4, true, rng) }, []int{3, 5}},
		{"Conv2d", func(rng *tensor.RNG) Weighted { return NewConv2d(2, 3, 3, 1, 1, true, rng) }, []int{2, 2, 4, 4}},
	} {
		t.Run(c.name, func(t *testing.T) {
			rng := tensor.NewRNG(4, c.name)
			x := randomTensor(rng, -1, 1, c.x...)
			sn := SpectralNorm(c.layer(rng), rng)
			m := warmedUp(sn, x, 5)
			u, v := slices.Clone(sn.U.Data()), slices.Clone(sn.V.Data())
			checkGradients(t, m, x, true)
			if !slices.Equal(sn.U.Data(), u) || !slices.Equal(sn.V.Data(), v) {
				t.Fatal("u or v changed during the check")
			}
		})
	}
}

// TestSpectralNormGradientPenalty differentiates a gradient penalty through
// a critic with spectrally normalised layers, as WGAN-GP with spectral
// normalisation does: for D = SN(Conv2d) → Tanh → Flatten → SN(Linear), the
// gradient of ‖∇ₓ D(x)‖² with respect to every parameter against finite
// differences of the first-order gradient.
func TestSpectralNormGradientPenalty(t *testing.T) {
	rng := tensor.NewRNG(5, "spectral gp")
	xt := randomTensor(rng, -1, 1, 3, 2, 5, 5)
	d := NewSequential(SpectralNorm(NewConv2d(2, 2, 3, 2, 1, true, rng), rng), Tanh{}, Flatten{},
		SpectralNorm(NewLinear(2*3*3, 1, true, rng), rng))
	m := warmedUp(d, xt, 5)
	params := Vars(m.Parameters())
	penalty := func(tp *autograd.Tape, createGraph bool) *autograd.Var {
		x := autograd.NewVar(xt, true)
		gx := tp.Grad([]*autograd.Var{tp.Sum(m.Forward(tp, x))}, nil, []*autograd.Var{x}, createGraph)[0]
		return tp.Sum(tp.Square(gx))
	}
	tp := autograd.NewTape()
	tp.Backward(penalty(tp, true), params...)
	const eps = 1e-2
	for i, p := range params {
		if p.Grad == nil {
			// Only the output bias leaves ∇ₓD unchanged.
			if i != len(params)-2 {
				t.Fatalf("parameter %d got no gradient", i)
			}
			continue
		}
		want := gradcheck.Numeric(p.Value.Data(), func() float64 { return penalty(autograd.NewTape(), false).Value.Sum() }, eps)
		if j := gradcheck.Mismatch(p.Grad.Data(), want, 2e-3, 5e-3); j >= 0 {
			t.Fatalf("parameter %d element %d: analytic %.6g, numeric %.6g", i, j, p.Grad.Data()[j], want[j])
		}
	}
}

// TestSpectralNormTwoForwardsOneBackward runs two training-mode forwards on
// one tape before a single backward, as a discriminator loss
// D(real) + D(fake) does. The second forward's power iteration updates u and
// v in place; the first forward's backward must still use the values it
// ran with, so the gradient must equal the sum of the two forwards'
// gradients taken separately with the same sequence of u and v.
func TestSpectralNormTwoForwardsOneBackward(t *testing.T) {
	rng := tensor.NewRNG(6, "spectral two forwards")
	sn := SpectralNorm(NewLinear(4, 3, true, rng), rng)
	x1, x2 := randomTensor(rng, -1, 1, 2, 4), randomTensor(rng, -1, 1, 2, 4)
	g := randomTensor(rng, -1, 1, 2, 3)
	u0, v0 := sn.U.Clone(), sn.V.Clone()
	w := sn.Layer.WeightVar()
	loss := func(tp *autograd.Tape, x *tensor.Tensor) *autograd.Var {
		return tp.Sum(tp.Mul(sn.Forward(tp, autograd.Const(x)), autograd.Const(g)))
	}
	tp := autograd.NewTape()
	both := tp.Grad([]*autograd.Var{tp.Add(loss(tp, x1), loss(tp, x2))}, nil, []*autograd.Var{w}, false)[0].Value

	sn.U.CopyFrom(u0)
	sn.V.CopyFrom(v0)
	tp1 := autograd.NewTape()
	g1 := tp1.Grad([]*autograd.Var{loss(tp1, x1)}, nil, []*autograd.Var{w}, false)[0].Value
	tp2 := autograd.NewTape()
	g2 := tp2.Grad([]*autograd.Var{loss(tp2, x2)}, nil, []*autograd.Var{w}, false)[0].Value
	for i, got := range both.Data() {
		if want := g1.Data()[i] + g2.Data()[i]; math.Abs(float64(got-want)) > 1e-6 {
			t.Fatalf("element %d of the gradient: %g from one tape, %g from two", i, got, want)
		}
	}
}

// The exchange format of scripts/torch_spectral_check.py.
type (
	torchTensor struct {
		Shape []int     `json:"shape"`
		Data  []float32 `json:"data"`
	}
	torchStep struct {
		X              *torchTensor `json:"x,omitempty"`
		GradOutput     *torchTensor `json:"grad_output,omitempty"`
		Output         *torchTensor `json:"output"`
		Sigma          float64      `json:"sigma"`
		WeightU        *torchTensor `json:"weight_u,omitempty"`
		WeightV        *torchTensor `json:"weight_v,omitempty"`
		WeightOrigGrad *torchTensor `json:"weight_orig_grad,omitempty"`
		BiasGrad       *torchTensor `json:"bias_grad,omitempty"`
	}
	torchCase struct {
		Name  string `json:"name"`
		Layer struct {
			Kind    string `json:"kind"`
			In      int    `json:"in"`
			Out     int    `json:"out"`
			Kernel  int    `json:"kernel"`
			Stride  int    `json:"stride"`
			Padding int    `json:"padding"`
			Bias    bool   `json:"bias"`
		} `json:"layer"`
		StateDictNames []string                `json:"state_dict_names"`
		Init           map[string]*torchTensor `json:"init,omitempty"`
		Steps          []*torchStep            `json:"steps"`
		Eval           *torchStep              `json:"eval"`
	}
	torchFile struct {
		TorchVersion string       `json:"torch_version"`
		Seed         int          `json:"seed"`
		LR           float32      `json:"lr"`
		Cases        []*torchCase `json:"cases"`
	}
)

func (t *torchTensor) tensor() *tensor.Tensor {
	return tensor.FromSlice(slices.Clone(t.Data), t.Shape...)
}

func newTorchTensor(t *tensor.Tensor) *torchTensor {
	return &torchTensor{Shape: slices.Clone(t.Shape()), Data: slices.Clone(t.Data())}
}

// spectralSigma returns uᵀWv in float64 for s's weight and buffers.
func spectralSigma(s *Spectral) float64 {
	w := s.Layer.WeightVar().Value.Data()
	u, v := s.U.Data(), s.V.Data()
	var sigma float64
	for i, ui := range u {
		var wv float64
		for j, vj := range v {
			wv += float64(w[i*len(v)+j]) * float64(vj)
		}
		sigma += float64(ui) * wv
	}
	return sigma
}

// TestSpectralNormMatchesTorch replays PyTorch's spectral_norm: from the
// initial state recorded by scripts/torch_spectral_check.py (testdata, or
// the file NASH_SPECTRAL_TORCH names), training steps with plain SGD and an
// evaluation-mode forward, comparing outputs, σ, u, v and gradients to
// PyTorch's within 1e-5. With NASH_SPECTRAL_OUT set it also writes nash's
// values there, in the same format, for the script to compare.
func TestSpectralNormMatchesTorch(t *testing.T) {
	const tol = 1e-5
	path := os.Getenv("NASH_SPECTRAL_TORCH")
	if path == "" {
		path = "testdata/spectral_torch.json"
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ref torchFile
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	got := torchFile{TorchVersion: ref.TorchVersion, Seed: ref.Seed, LR: ref.LR}
	worst := make(map[string]float64)
	compare := func(what string, got, want *torchTensor) {
		t.Helper()
		if !reflect.DeepEqual(got.Shape, want.Shape) {
			t.Fatalf("%s: shape %v, PyTorch's %v", what, got.Shape, want.Shape)
		}
		for i := range want.Data {
			d := math.Abs(float64(got.Data[i]) - float64(want.Data[i]))
			worst[what] = max(worst[what], d)
			if d > tol {
				t.Errorf("%s[%d] = %.7g, PyTorch's %.7g", what, i, got.Data[i], want.Data[i])
				return
			}
		}
	}
	compareSigma := func(what string, got, want float64) {
		t.Helper()
		d := math.Abs(got - want)
		worst[what] = max(worst[what], d)
		if d > tol {
			t.Errorf("%s = %.7g, PyTorch's %.7g", what, got, want)
		}
	}
	for _, c := range ref.Cases {
		rng := tensor.NewRNG(1, c.Name)
		var layer Weighted
		switch l := c.Layer; l.Kind {
		case "linear":
			layer = NewLinear(l.In, l.Out, l.Bias, rng)
		case "conv2d":
			layer = NewConv2d(l.In, l.Out, l.Kernel, l.Stride, l.Padding, l.Bias, rng)
		default:
			t.Fatalf("%s: case %s: unknown layer kind %q", path, c.Name, l.Kind)
		}
		sn := SpectralNorm(layer, rng)
		if names := stateNames(sn); !reflect.DeepEqual(names, c.StateDictNames) {
			t.Fatalf("%s: state names %v, PyTorch's %v", c.Name, names, c.StateDictNames)
		}
		init := make(map[string]*tensor.Tensor)
		for name, v := range c.Init {
			init[name] = v.tensor()
		}
		if err := LoadStateDict(sn, init); err != nil {
			t.Fatalf("%s: loading PyTorch's initial state: %v", c.Name, err)
		}
		params := sn.Parameters()
		out := &torchCase{Name: c.Name, Layer: c.Layer, StateDictNames: stateNames(sn)}
		for k, step := range c.Steps {
			for _, p := range params {
				p.ZeroGrad()
			}
			tp := autograd.NewTape()
			y := sn.Forward(tp, autograd.Const(step.X.tensor()))
			tp.Backward(tp.Sum(tp.Mul(y, autograd.Const(step.GradOutput.tensor()))))
			mine := &torchStep{
				Output:         newTorchTensor(y.Value),
				Sigma:          spectralSigma(sn),
				WeightU:        newTorchTensor(sn.U),
				WeightV:        newTorchTensor(sn.V),
				WeightOrigGrad: newTorchTensor(sn.Layer.WeightVar().Grad),
			}
			for _, p := range params {
				if p.Name == "bias" {
					mine.BiasGrad = newTorchTensor(p.Grad)
				}
			}
			what := fmt.Sprintf("%s step %d ", c.Name, k)
			compare(what+"output", mine.Output, step.Output)
			compareSigma(what+"σ", mine.Sigma, step.Sigma)
			compare(what+"weight_u", mine.WeightU, step.WeightU)
			compare(what+"weight_v", mine.WeightV, step.WeightV)
			compare(what+"weight_orig grad", mine.WeightOrigGrad, step.WeightOrigGrad)
			compare(what+"bias grad", mine.BiasGrad, step.BiasGrad)
			out.Steps = append(out.Steps, mine)
			for _, p := range params {
				for i, g := range p.Grad.Data() {
					p.Value.Data()[i] -= ref.LR * g
				}
			}
		}
		y := sn.Forward(evalTape(), autograd.Const(c.Eval.X.tensor()))
		out.Eval = &torchStep{Output: newTorchTensor(y.Value), Sigma: spectralSigma(sn)}
		compare(c.Name+" eval output", out.Eval.Output, c.Eval.Output)
		compareSigma(c.Name+" eval σ", out.Eval.Sigma, c.Eval.Sigma)
		got.Cases = append(got.Cases, out)
	}
	overall := 0.0
	for _, d := range worst {
		overall = max(overall, d)
	}
	t.Logf("PyTorch %s, seed %d: %d quantities, max |PyTorch − nash| = %.3g", ref.TorchVersion, ref.Seed, len(worst), overall)
	if dst := os.Getenv("NASH_SPECTRAL_OUT"); dst != "" {
		b, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		if err := atomicfile.WriteFile(dst, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// BenchmarkSpectralNormLinear measures one training-mode forward and
// backward of the reference discriminator's first layer, Linear(784, 512)
// on a batch of 64, with spectral normalisation; BenchmarkLinear784 is the
// same without, for comparison.
func BenchmarkSpectralNormLinear(b *testing.B) {
	rng := tensor.NewRNG(1, "bench")
	benchmarkLayer(b, SpectralNorm(NewLinear(784, 512, true, rng), rng), randomTensor(rng, -1, 1, 64, 784))
}

// BenchmarkLinear784 is BenchmarkSpectralNormLinear without normalisation.
func BenchmarkLinear784(b *testing.B) {
	rng := tensor.NewRNG(1, "bench")
	benchmarkLayer(b, NewLinear(784, 512, true, rng), randomTensor(rng, -1, 1, 64, 784))
}

func benchmarkLayer(b *testing.B, m Module, x *tensor.Tensor) {
	tp := autograd.NewTape()
	xv := autograd.Const(x)
	for b.Loop() {
		tp.Reset()
		tp.Backward(tp.Sum(m.Forward(tp, xv)))
	}
}
