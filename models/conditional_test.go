package models

import (
	"math"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/internal/gradcheck"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/optim"
	"github.com/nash-gan/nash/tensor"
)

// conditionalGAN returns a conditional GAN of g and d with Adam.
func conditionalGAN(g, d nn.Module, loss gan.Loss, zDim int, lr float32) *gan.GAN {
	return gan.New(g, d, optim.NewAdam(nn.Vars(g.Parameters()), lr, 0.5, 0.999),
		optim.NewAdam(nn.Vars(d.Parameters()), lr, 0.5, 0.999), loss, zDim, tensor.NewRNG(1, "noise"))
}

// TestConditionalStateDicts checks names and shapes against the PyTorch
// modules the constructors document.
func TestConditionalStateDicts(t *testing.T) {
	rng := tensor.NewRNG(1, "init")
	for _, c := range []struct {
		name string
		m    nn.Module
		want []string
	}{
		{"mlp generator", ConditionalMLPGenerator(10, 100, []int{256, 512}, 784, rng), []string{"embed.weight[10 10]",
			"net.0.weight[256 110]", "net.0.bias[256]", "net.2.weight[512 256]", "net.2.bias[512]", "net.4.weight[784 512]", "net.4.bias[784]"}},
		{"mlp discriminator", ProjectionMLPDiscriminator(10, 784, []int{512, 256}, rng), []string{"body.0.weight[512 784]",
			"body.0.bias[512]", "body.2.weight[256 512]", "body.2.bias[256]", "head.weight[1 256]", "head.bias[1]", "embed.weight[10 256]"}},
		{"dcgan generator", ConditionalDCGANGenerator(10, 100, 1, rng), []string{"embed.weight[10 10]", "net.0.weight[6272 110]",
			"net.2.weight[128]", "net.2.bias[128]", "net.4.weight[128 64 4 4]", "net.5.weight[64]", "net.5.bias[64]",
			"net.7.weight[64 1 4 4]", "net.7.bias[1]",
			"net.2.running_mean[128]", "net.2.running_var[128]", "net.2.num_batches_tracked[]",
			"net.5.running_mean[64]", "net.5.running_var[64]", "net.5.num_batches_tracked[]"}},
		{"dcgan discriminator", ProjectionDCGANDiscriminator(10, 1, rng), []string{"body.0.weight[64 1 4 4]", "body.0.bias[64]",
			"body.2.weight[128 64 4 4]", "body.2.bias[128]", "head.weight[1 6272]", "head.bias[1]", "embed.weight[10 6272]"}},
		{"rgb dcgan generator", ConditionalDCGANGenerator(100, 100, 3, rng), []string{"embed.weight[100 100]", "net.0.weight[6272 200]",
			"net.2.weight[128]", "net.2.bias[128]", "net.4.weight[128 64 4 4]", "net.5.weight[64]", "net.5.bias[64]",
			"net.7.weight[64 3 4 4]", "net.7.bias[3]",
			"net.2.running_mean[128]", "net.2.running_var[128]", "net.2.num_batches_tracked[]",
			"net.5.running_mean[64]", "net.5.running_var[64]", "net.5.num_batches_tracked[]"}},
		{"rgb dcgan discriminator", ProjectionDCGANDiscriminator(100, 3, rng), []string{"body.0.weight[64 3 4 4]", "body.0.bias[64]",
			"body.2.weight[128 64 4 4]", "body.2.bias[128]", "head.weight[1 6272]", "head.bias[1]", "embed.weight[100 6272]"}},
		{"radford 32 discriminator", ProjectionRadfordDiscriminator(5, 32, 3, 8, rng), []string{"body.0.weight[8 3 4 4]",
			"body.2.weight[16 8 4 4]", "body.3.weight[16]", "body.3.bias[16]", "body.5.weight[32 16 4 4]", "body.6.weight[32]",
			"body.6.bias[32]", "head.0.weight[1 32 4 4]", "embed.weight[5 512]",
			"body.3.running_mean[16]", "body.3.running_var[16]", "body.3.num_batches_tracked[]",
			"body.6.running_mean[32]", "body.6.running_var[32]", "body.6.num_batches_tracked[]"}},
	} {
		if got := stateShapes(c.m); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s state dict\n%v, want\n%v", c.name, got, c.want)
		}
	}
}

// TestConditionalShapes runs every conditional network on a small batch:
// the generators give images of the dataset's shape, the discriminators one
// output per sample.
func TestConditionalShapes(t *testing.T) {
	rng := tensor.NewRNG(1, "init")
	for _, c := range []struct {
		name   string
		g, d   gan.Conditional
		zDim   int
		sample []int
	}{
		{"mlp", ConditionalMLPGenerator(10, 16, []int{32}, 784, rng), ProjectionMLPDiscriminator(10, 784, []int{32, 16}, rng), 16, []int{3, 784}},
		{"dcgan", ConditionalDCGANGenerator(10, 16, 1, rng), ProjectionDCGANDiscriminator(10, 1, rng), 16, []int{3, 1, 28, 28}},
		{"radford 32", ConditionalRadfordGenerator(4, 32, 16, 3, 8, rng), ProjectionRadfordDiscriminator(4, 32, 3, 8, rng), 16, []int{3, 3, 32, 32}},
		{"radford 64", ConditionalRadfordGenerator(4, 64, 16, 1, 4, rng), ProjectionRadfordDiscriminator(4, 64, 1, 4, rng), 16, []int{3, 1, 64, 64}},
	} {
		t.Run(c.name, func(t *testing.T) {
			tp := autograd.NewTape()
			z := tensor.New(c.sample[0], c.zDim)
			tensor.NewRNG(1, "z").Normal(z, 0, 1)
			y := autograd.Const(tensor.FromSlice([]float32{0, 3, 1}, 3))
			x := c.g.ForwardClasses(tp, autograd.Const(z), y)
			if !reflect.DeepEqual(x.Shape(), c.sample) {
				t.Fatalf("generator output %v, want %v", x.Shape(), c.sample)
			}
			if got := c.d.ForwardClasses(tp, x, y).Shape(); !reflect.DeepEqual(got, []int{3, 1}) {
				t.Fatalf("discriminator output %v, want [3 1]", got)
			}
		})
	}
}

// TestProjectionByHand computes D(x, y) = ψ(φ(x)) + ⟨embed(y), φ(x)⟩ of a
// tiny projection discriminator in float64 from its weights and compares.
func TestProjectionByHand(t *testing.T) {
	rng := tensor.NewRNG(3, "init")
	d := ProjectionMLPDiscriminator(3, 2, []int{4}, rng)
	x := tensor.FromSlice([]float32{0.5, -1, 2, 0.25}, 2, 2)
	y := tensor.FromSlice([]float32{2, 0}, 2)
	got := d.ForwardClasses(autograd.NewTape(), autograd.Const(x), autograd.Const(y)).Value.Data()
	sd := nn.StateDict(d)
	w1, b1, w2, b2, e := sd["body.0.weight"].Data(), sd["body.0.bias"].Data(), sd["head.weight"].Data(), sd["head.bias"].Data(), sd["embed.weight"].Data()
	for n := range 2 {
		want := float64(b2[0])
		for j := range 4 {
			h := float64(b1[j]) + float64(w1[2*j])*float64(x.Data()[2*n]) + float64(w1[2*j+1])*float64(x.Data()[2*n+1])
			if h < 0 {
				h *= 0.2
			}
			want += float64(w2[j])*h + float64(e[4*int(y.Data()[n])+j])*h
		}
		if math.Abs(float64(got[n])-want) > 1e-5 {
			t.Errorf("D(x%d, y%d) = %.7g, want %.7g", n, n, got[n], want)
		}
	}
}

// TestProjectionGradients checks the gradients of a projection
// discriminator against finite differences: of D with respect to its
// input, the embedding and the body's weights (first order), and of the R1
// penalty with respect to the embedding and the body (second order, which
// R1 and WGAN-GP differentiate).
func TestProjectionGradients(t *testing.T) {
	rng := tensor.NewRNG(4, "init")
	d := ProjectionMLPDiscriminator(3, 3, []int{5, 4}, rng)
	x := tensor.New(4, 3)
	tensor.NewRNG(4, "x").Uniform(x, -1, 1)
	y := tensor.FromSlice([]float32{2, 0, 1, 2}, 4)
	bound := &labelledD{d: d, y: y}
	sd := nn.StateDict(d)
	weights := []*autograd.Var{d.Embed.Weight}
	for _, p := range d.Parameters() {
		if p.Name == "body.0.weight" {
			weights = append(weights, p.Var)
		}
	}
	weighted := tensor.FromSlice([]float32{1, -2, 0.5, 3}, 4, 1)
	// first: Σ w_n D(x_n, y_n), with respect to x and the weights.
	first := func(tp *autograd.Tape, xv *autograd.Var) *autograd.Var {
		return tp.Sum(tp.Mul(bound.Forward(tp, xv), tp.Const(weighted)))
	}
	second := func(tp *autograd.Tape, xv *autograd.Var) *autograd.Var {
		p, _ := gan.R1Penalty(tp, bound, xv.Value, 10)
		return p
	}
	// One tape throughout: the marks a differentiation leaves on the shared
	// weights must not be mistaken for another tape's.
	tp := autograd.NewTape()
	for _, c := range []struct {
		name string
		f    func(*autograd.Tape, *autograd.Var) *autograd.Var
		wrtX bool
	}{{"D", first, true}, {"R1 penalty", second, false}} {
		tp.Reset()
		eval := func() float64 {
			tp.Reset()
			return float64(c.f(tp, autograd.Const(x)).Value.Item())
		}
		xv := autograd.NewVar(x, true)
		wrt := weights
		if c.wrtX {
			wrt = append([]*autograd.Var{xv}, weights...)
		}
		grads := tp.Grad([]*autograd.Var{c.f(tp, xv)}, nil, wrt, false)
		for i := range grads {
			grads[i] = autograd.Const(grads[i].Value.Clone())
		}
		for i, v := range wrt {
			want := gradcheck.Numeric(v.Value.Data(), eval, 1e-2)
			if j := gradcheck.Mismatch(grads[i].Value.Data(), want, 2e-3, 2e-2); j >= 0 {
				t.Errorf("%s: gradient %d element %d = %g, finite differences %g", c.name, i, j, grads[i].Value.Data()[j], want[j])
			}
		}
	}
	if len(sd) != 7 {
		t.Fatalf("state dict has %d tensors", len(sd))
	}
}

// labelledD binds labels to a conditional discriminator, as the GAN step
// does, for the penalties.
type labelledD struct {
	d gan.Conditional
	y *tensor.Tensor
}

func (l *labelledD) Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
	return l.d.ForwardClasses(tp, x, tp.Const(l.y))
}

func (l *labelledD) Parameters() []nn.Parameter { return l.d.Parameters() }

// toyClassMeans are the means of the three classes of the 1-D toy data.
var toyClassMeans = []float32{-2, 0.5, 3}

// toyConditionalBatch fills x [n, 1] with N(mean of its class, 0.2²) draws
// for the classes in y, drawn uniformly.
func toyConditionalBatch(x, y *tensor.Tensor, rng *tensor.RNG) {
	for i := range y.Data() {
		c := rng.IntN(len(toyClassMeans))
		y.Data()[i] = float32(c)
		x.Data()[i] = toyClassMeans[c] + 0.2*float32(rng.Norm())
	}
}

func toyConditional(loss gan.Loss, lr float32) *gan.GAN {
	rng := tensor.NewRNG(7, "init")
	g := NewConditionalGenerator(3, 3, ToyGenerator(4+3, []int{32, 32}, rng), rng)
	g.Net.(*nn.Sequential).Layers[len(g.Net.(*nn.Sequential).Layers)-1] = nn.NewLinear(32, 1, true, rng)
	d := ProjectionMLPDiscriminator(3, 1, []int{32, 32}, rng)
	return conditionalGAN(g, d, loss, 4, lr)
}

// A tiny conditional GAN learns class-conditional means: asked for each
// class, its samples centre on that class's mean. A generator that ignored
// its label would centre every class on the mixture's mean, 0.5.
func TestConditionalLearnsClassMeans(t *testing.T) {
	r := toyConditional(gan.NonSaturating, 1e-3)
	data, noise := tensor.NewRNG(7, "data"), tensor.NewRNG(7, "noise")
	x, y := tensor.New(64, 1), tensor.New(64)
	for step := range 4000 {
		toyConditionalBatch(x, y, data)
		if s := r.Update(x, y, noise); !s.Finite() {
			t.Fatalf("step %d: %+v", step, s)
		}
	}
	for c, want := range toyClassMeans {
		out := r.SampleClasses(r.Noise(1000, tensor.NewRNG(2, "eval")), gan.ClassLabels(1000, c))
		if mean := out.Sum() / 1000; math.Abs(mean-float64(want)) > 0.3 {
			t.Errorf("class %d: sample mean %.3f, want %g ± 0.3", c, mean, want)
		}
	}
}

// Every objective and penalty trains a conditional GAN: losses stay
// finite and both networks, embeddings included, move.
func TestConditionalEveryObjective(t *testing.T) {
	for _, c := range []struct {
		loss gan.Loss
		opt  gan.Options
	}{
		{gan.Minimax, gan.Options{NCritic: 1, LabelSmoothing: 0.1}},
		{gan.NonSaturating, gan.Options{NCritic: 1, R1: 1}},
		{gan.LeastSquares, gan.Options{NCritic: 1}},
		{gan.WGAN, gan.Options{NCritic: 2, Clip: 0.05}},
		{gan.WGANGP, gan.Options{NCritic: 2, GP: 10}},
		{gan.Hinge, gan.Options{NCritic: 1, R1: 0.5}},
	} {
		r := toyConditional(c.loss, 1e-2)
		r.Options = c.opt
		g0, d0 := snapshotModule(r.G), snapshotModule(r.D)
		data, noise := tensor.NewRNG(8, "data"), tensor.NewRNG(8, "noise")
		x, y := tensor.New(16, 1), tensor.New(16)
		for range 4 {
			toyConditionalBatch(x, y, data)
			if s := r.Update(x, y, noise); !s.Finite() {
				t.Fatalf("%s: %+v", c.loss, s)
			}
		}
		// The Wasserstein objectives leave the head's bias alone, which
		// they cannot see; the weights all move.
		for _, m := range []struct {
			name   string
			before map[string][]float32
			now    nn.Module
		}{{"generator", g0, r.G}, {"discriminator", d0, r.D}} {
			for name, v := range snapshotModule(m.now) {
				if strings.HasSuffix(name, "weight") && reflect.DeepEqual(v, m.before[name]) {
					t.Errorf("%s: %s %s did not move", c.loss, m.name, name)
				}
			}
		}
	}
}

func snapshotModule(m nn.Module) map[string][]float32 {
	out := make(map[string][]float32)
	for _, p := range m.Parameters() {
		out[p.Name] = append([]float32(nil), p.Value.Data()...)
	}
	return out
}

// A conditional GAN is refused the unconditional step, labels out of
// range are refused, and an unconditional generator cannot be paired with
// a conditional discriminator.
func TestConditionalMisuse(t *testing.T) {
	r := toyConditional(gan.NonSaturating, 1e-3)
	rng := tensor.NewRNG(1, "init")
	for name, f := range map[string]func(){
		"Step":        func() { r.Update(tensor.New(4, 1), nil, tensor.NewRNG(1, "n")) },
		"label count": func() { r.Update(tensor.New(4, 1), tensor.New(3), tensor.NewRNG(1, "n")) },
		"label range": func() { r.SampleClasses(r.Noise(2, rng), tensor.FromSlice([]float32{0, 3}, 2)) },
		"no labels":   func() { r.SampleClasses(r.Noise(2, rng), nil) },
		"mixed networks": func() {
			conditionalGAN(ToyGenerator(4, []int{8}, rng), ProjectionMLPDiscriminator(3, 2, []int{8}, rng), gan.Hinge, 4, 1)
		},
		"forward no labels": func() { r.G.Forward(autograd.NewTape(), autograd.Const(r.Noise(2, rng))) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: did not panic", name)
				}
			}()
			f()
		}()
	}
	// Sample gives row i class i mod Classes.
	z := r.Noise(6, rng)
	if got, want := r.Sample(z).Data(), r.SampleClasses(z, gan.CycleLabels(6, 3)).Data(); !reflect.DeepEqual(got, want) {
		t.Errorf("Sample %v, SampleClasses with labels 0, 1, 2, 0, 1, 2 %v", got, want)
	}
}

// A conditional DCGAN step, with its sampled labels and embeddings, is
// bit-identical at any thread count.
func TestConditionalDeterministicAcrossThreads(t *testing.T) {
	var ref map[string][]float32
	for _, threads := range []int{1, 2, 3} {
		prev := runtime.GOMAXPROCS(threads)
		rng := tensor.NewRNG(6, "init")
		r := conditionalGAN(ConditionalDCGANGenerator(10, 16, 1, rng), ProjectionDCGANDiscriminator(10, 1, rng), gan.Hinge, 16, 2e-4)
		r.Options.R1 = 1
		x := tensor.New(8, 1, 28, 28)
		tensor.NewRNG(6, "data").Uniform(x, -1, 1)
		y := tensor.FromSlice([]float32{0, 1, 2, 3, 4, 5, 6, 9}, 8)
		noise := tensor.NewRNG(6, "noise")
		for range 2 {
			r.Update(x, y, noise)
		}
		runtime.GOMAXPROCS(prev)
		w := snapshotModule(r.G)
		for name, v := range snapshotModule(r.D) {
			w["D."+name] = v
		}
		if ref == nil {
			ref = w
			continue
		}
		for name, v := range w {
			if !reflect.DeepEqual(v, ref[name]) {
				t.Fatalf("%d threads: %s differs from 1 thread's", threads, name)
			}
		}
	}
}
