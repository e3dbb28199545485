package models

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/optim"
	"github.com/nash-gan/nash/tensor"
)

// dcgan returns the 28×28 DCGAN with Adam as bench/torch_gan_step.py sets it up.
func dcgan(seed uint64, batchNorm bool) *gan.GAN {
	rng := tensor.NewRNG(seed, "init")
	g := DCGANGenerator(100, 1, batchNorm, rng)
	d := DCGANDiscriminator(1, batchNorm, rng)
	return gan.New(g, d, optim.NewAdam(nn.Vars(g.Parameters()), 2e-4, 0.5, 0.999),
		optim.NewAdam(nn.Vars(d.Parameters()), 2e-4, 0.5, 0.999), gan.NonSaturating, 100, tensor.NewRNG(1, "noise"))
}

// stateShapes lists a module's state dict as "name[shape]" in parameter
// then buffer order.
func stateShapes(m nn.Module) []string {
	var out []string
	for _, p := range m.Parameters() {
		out = append(out, fmt.Sprint(p.Name, p.Shape()))
	}
	if bh, ok := m.(nn.BufferHolder); ok {
		for _, b := range bh.Buffers() {
			out = append(out, fmt.Sprint(b.Name, b.Value.Shape()))
		}
	}
	return out
}

func parameterCount(m nn.Module) int {
	n := 0
	for _, p := range m.Parameters() {
		n += p.Value.Len()
	}
	return n
}

// TestDCGANStateDicts checks names and shapes against the torch.nn.Sequential
// each constructor documents.
func TestDCGANStateDicts(t *testing.T) {
	rng := tensor.NewRNG(1, "init")
	for _, c := range []struct {
		name string
		m    nn.Module
		want []string
	}{
		{"generator", DCGANGenerator(100, 1, false, rng), []string{"0.weight[6272 100]", "0.bias[6272]",
			"3.weight[128 64 4 4]", "3.bias[64]", "5.weight[64 1 4 4]", "5.bias[1]"}},
		{"discriminator", DCGANDiscriminator(1, false, rng), []string{"0.weight[64 1 4 4]", "0.bias[64]",
			"2.weight[128 64 4 4]", "2.bias[128]", "5.weight[1 6272]", "5.bias[1]"}},
		{"generator/batchnorm", DCGANGenerator(64, 1, true, rng), []string{"0.weight[6272 64]",
			"2.weight[128]", "2.bias[128]", "4.weight[128 64 4 4]", "5.weight[64]", "5.bias[64]",
			"7.weight[64 1 4 4]", "7.bias[1]",
			"2.running_mean[128]", "2.running_var[128]", "2.num_batches_tracked[]",
			"5.running_mean[64]", "5.running_var[64]", "5.num_batches_tracked[]"}},
		{"discriminator/batchnorm", DCGANDiscriminator(1, true, rng), []string{"0.weight[64 1 4 4]", "0.bias[64]",
			"2.weight[128 64 4 4]", "3.weight[128]", "3.bias[128]", "6.weight[1 6272]", "6.bias[1]",
			"3.running_mean[128]", "3.running_var[128]", "3.num_batches_tracked[]"}},
	} {
		if got := stateShapes(c.m); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s state dict\n%v, want\n%v", c.name, got, c.want)
		}
	}
}

func TestDCGANShapes(t *testing.T) {
	rng := tensor.NewRNG(1, "init")
	for _, c := range []struct {
		name   string
		g, d   nn.Module
		zDim   int
		sample []int
		// params are the parameter counts of the generator and the
		// discriminator, as PyTorch counts them for the documented
		// torch.nn.Sequential (for size 64, PyTorch's DCGAN tutorial).
		params [2]int
	}{
		{"28x28", DCGANGenerator(100, 1, false, rng), DCGANDiscriminator(1, false, rng), 100, []int{3, 1, 28, 28}, [2]int{765_633, 138_561}},
		{"28x28/batchnorm", DCGANGenerator(100, 1, true, rng), DCGANDiscriminator(1, true, rng), 100, []int{3, 1, 28, 28}, [2]int{759_681, 138_689}},
		{"32x32", RadfordGenerator(32, 100, 3, 64, rng), RadfordDiscriminator(32, 3, 64, rng), 100, []int{3, 3, 32, 32}, [2]int{1_068_928, 663_296}},
		{"64x64", RadfordGenerator(64, 100, 3, 64, rng), RadfordDiscriminator(64, 3, 64, rng), 100, []int{3, 3, 64, 64}, [2]int{3_576_704, 2_765_568}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if g, d := parameterCount(c.g), parameterCount(c.d); g != c.params[0] || d != c.params[1] {
				t.Errorf("parameters: generator %d, discriminator %d, want %d and %d", g, d, c.params[0], c.params[1])
			}
			tp := autograd.NewTape()
			z := tensor.New(c.sample[0], c.zDim)
			tensor.NewRNG(1, "z").Normal(z, 0, 1)
			x := c.g.Forward(tp, autograd.Const(z))
			if !reflect.DeepEqual(x.Shape(), c.sample) {
				t.Fatalf("generator output %v, want %v", x.Shape(), c.sample)
			}
			for _, v := range x.Value.Data() {
				if v < -1 || v > 1 {
					t.Fatalf("tanh output %g outside [-1, 1]", v)
				}
			}
			if got := c.d.Forward(tp, x).Shape(); !reflect.DeepEqual(got, []int{c.sample[0], 1}) {
				t.Fatalf("discriminator output %v, want [%d 1]", got, c.sample[0])
			}
		})
	}
	defer func() {
		if recover() == nil {
			t.Fatal("RadfordGenerator(48, …) did not panic")
		}
	}()
	RadfordGenerator(48, 100, 3, 64, rng)
}

// TestDCGANTrainsWithBatchNorm runs training steps of the BatchNorm DCGAN:
// the losses stay finite, every parameter moves, the running statistics are
// updated once per forward pass (D sees three batches a step), and sampling
// uses evaluation mode without touching them.
func TestDCGANTrainsWithBatchNorm(t *testing.T) {
	r := dcgan(2, true)
	nn.InitDCGAN(r.G, tensor.NewRNG(2, "dcgan init"))
	nn.InitDCGAN(r.D, tensor.NewRNG(2, "dcgan init"))
	before := make(map[string]*tensor.Tensor)
	for name, v := range nn.StateDict(r.D) {
		before[name] = v.Clone()
	}
	real := tensor.New(16, 1, 28, 28)
	tensor.NewRNG(2, "data").Uniform(real, -1, 1)
	noise := tensor.NewRNG(2, "noise")
	const steps = 2
	for range steps {
		if s := r.Update(real, nil, noise); !s.Finite() {
			t.Fatalf("step stats %+v", s)
		}
	}
	for name, v := range nn.StateDict(r.D) {
		if reflect.DeepEqual(v.Data(), before[name].Data()) {
			t.Errorf("discriminator %s did not change", name)
		}
	}
	bn := r.D.(*nn.Sequential).Layers[3].(*nn.BatchNorm)
	if n := bn.NumBatchesTracked.Item(); n != 3*steps {
		t.Errorf("discriminator BatchNorm tracked %g batches, want %d", n, 3*steps)
	}
	gbn := r.G.(*nn.Sequential).Layers[2].(*nn.BatchNorm)
	tracked, mean := gbn.NumBatchesTracked.Item(), gbn.RunningMean.Clone()
	out := r.Sample(r.Noise(4, tensor.NewRNG(1, "z")))
	if gbn.NumBatchesTracked.Item() != tracked || !reflect.DeepEqual(gbn.RunningMean.Data(), mean.Data()) {
		t.Error("sampling changed the generator's running statistics")
	}
	if !reflect.DeepEqual(out.Shape(), []int{4, 1, 28, 28}) {
		t.Fatalf("sample shape %v", out.Shape())
	}
}

// The convolutions split their work among goroutines; training is still
// bit-identical at any thread count.
func TestDCGANDeterministicAcrossThreads(t *testing.T) {
	checkDeterministic(t, func() *gan.GAN { return dcgan(5, true) }, []int{8, 1, 28, 28}, 2)
}

// packedDCGAN returns the 28×28 RGB DCGAN of Stacked MNIST whose
// discriminator judges pack samples at once.
func packedDCGAN(t *testing.T, pack int) *gan.GAN {
	t.Helper()
	nets, err := Build(Spec{Family: "dcgan", Data: data.Images, Sample: Shape{C: 3, H: 28, W: 28}, ZDim: 100, Pack: pack}, tensor.NewRNG(3, "init"))
	if err != nil {
		t.Fatal(err)
	}
	g, d := nets["generator"], nets["discriminator"]
	r := gan.New(g, d, optim.NewAdam(nn.Vars(g.Parameters()), 2e-4, 0.5, 0.999),
		optim.NewAdam(nn.Vars(d.Parameters()), 2e-4, 0.5, 0.999), gan.NonSaturating, 100, tensor.NewRNG(1, "noise"))
	r.Options.Pack = pack
	return r
}

// A warm DCGAN step allocates nothing, with or without BatchNorm, and with
// packing: the convolution jobs come from a pool, their outputs from the
// tape's arena.
func TestDCGANStepAllocatesNothing(t *testing.T) {
	if raceEnabled() {
		t.Skip("the race detector makes sync.Pool drop items, so the GEMM workspaces are reallocated")
	}
	for _, c := range []struct {
		name      string
		batchNorm bool
		pack      int
	}{{"plain", false, 0}, {"batchnorm", true, 0}, {"packed", false, 2}} {
		t.Run(c.name, func(t *testing.T) {
			r, channels := dcgan(3, c.batchNorm), 1
			if c.pack > 0 {
				r, channels = packedDCGAN(t, c.pack), 3
			}
			real := tensor.New(8, channels, 28, 28)
			tensor.NewRNG(3, "data").Uniform(real, -1, 1)
			noise := tensor.NewRNG(3, "noise")
			for range 2 {
				r.Update(real, nil, noise)
			}
			if n := testing.AllocsPerRun(3, func() { r.Update(real, nil, noise) }); n != 0 {
				t.Errorf("a warm step allocates %v times, want 0", n)
			}
		})
	}
}

// BenchmarkDCGANStep times one training step (D update, then G update) of
// bench/torch_gan_step.py --model dcgan: the 28×28 DCGAN without
// BatchNorm, batch 64, Adam 2e-4 (0.5, 0.999).
func BenchmarkDCGANStep(b *testing.B) { benchmarkStep(b, dcgan(1, false), 64, 1, 28, 28) }

// BenchmarkDCGANStepGP times bench/torch_gan_step.py --model gp-dcgan: the
// same networks with the WGAN critic loss and a gradient penalty of weight
// 10 (one critic step per generator step), whose double backward runs
// through both convolutions.
func BenchmarkDCGANStepGP(b *testing.B) {
	r := dcgan(1, false)
	r.Loss, r.Options.GP = gan.WGANGP, 10
	benchmarkStep(b, r, 64, 1, 28, 28)
}

// With packing m the families build a discriminator of m samples: m times
// the channels of a convolutional one's first layer, m times the values of
// a flat one's; a conditional model refuses packing.
func TestPackedDiscriminators(t *testing.T) {
	for _, c := range []struct {
		spec  Spec
		first string
	}{
		{Spec{Family: "dcgan", Data: data.Images, Sample: Shape{C: 3, H: 28, W: 28}, ZDim: 8, Pack: 2}, "0.weight[64 6 4 4]"},
		{Spec{Family: "dcgan", Data: data.Images, Sample: Shape{C: 3, H: 32, W: 32}, ZDim: 8, Pack: 4}, "0.weight[64 12 4 4]"},
		{Spec{Family: "mlp", Data: data.Images, Sample: Shape{C: 1, H: 28, W: 28}, ZDim: 8, Pack: 2}, "0.weight[512 1568]"},
		{Spec{Family: "mlp", Data: data.Points, Sample: Shape{C: 1, H: 1, W: 2}, ZDim: 8, Pack: 3}, "0.weight[128 6]"},
	} {
		nets, err := Build(c.spec, tensor.NewRNG(1, "init"))
		if err != nil {
			t.Fatal(err)
		}
		if got := stateShapes(nets["discriminator"])[0]; got != c.first {
			t.Errorf("%s %v packing %d: first tensor %s, want %s", c.spec.Family, c.spec.Sample, c.spec.Pack, got, c.first)
		}
	}
	_, err := Build(Spec{Family: "dcgan", Data: data.Images, Sample: Shape{C: 1, H: 28, W: 28}, ZDim: 8, Classes: 10, Pack: 2}, tensor.NewRNG(1, "init"))
	if err == nil || !strings.Contains(err.Error(), "not for a conditional model") {
		t.Errorf("conditional packing: error %v", err)
	}
}
