package classifier

import (
	"math"
	"runtime"
	"slices"
	"testing"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/tensor"
)

// evalNet returns a network with PyTorch's initialisation whose BatchNorms
// have running statistics away from their initial values and some
// negative scales, so that every branch of the evaluation-mode pass runs.
func evalNet(seed uint64) *Net {
	net := New(tensor.NewRNG(seed, "init"), tensor.NewRNG(seed, "dropout"))
	rng := tensor.NewRNG(seed, "stats")
	for _, l := range net.Seq.Layers {
		b, ok := l.(*nn.BatchNorm)
		if !ok {
			continue
		}
		rng.Uniform(b.Weight.Value, -2, 2)
		rng.Uniform(b.Bias.Value, -0.5, 0.5)
		rng.Uniform(b.RunningMean, -0.3, 0.3)
		rng.Uniform(b.RunningVar, 0.05, 0.5)
	}
	return net
}

// tapeForward returns Net.Forward's features and logits in evaluation mode.
func tapeForward(net *Net, x *tensor.Tensor) (features, logits []float32) {
	tp := autograd.NewTape()
	tp.SetTraining(false)
	tp.SetGrad(false)
	f, l := net.Forward(tp, tp.Const(x))
	return f.Value.Data(), l.Value.Data()
}

// closeTo reports the largest difference between got and want relative to
// the largest magnitude in want.
func closeTo(got, want []float32) float64 {
	var scale, diff float64
	for i, w := range want {
		scale = max(scale, math.Abs(float64(w)))
		diff = max(diff, math.Abs(float64(got[i])-float64(w)))
	}
	return diff / scale
}

// TestExtractMatchesForward checks that Extract computes what Net.Forward
// computes in evaluation mode, within float rounding, on random images,
// on MNIST digits with the embedded network, and with negative BatchNorm
// scales.
func TestExtractMatchesForward(t *testing.T) {
	test, err := data.Load("mnist", "", "test")
	if err != nil {
		t.Fatal(err)
	}
	digits := tensor.FromSlice(Images(test).Data()[:20*Side*Side], 20, 1, Side, Side)
	embedded, err := Embedded("mnist")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		net  *Net
		x    *tensor.Tensor
	}{
		{"initial weights, random images", New(tensor.NewRNG(7, "init"), tensor.NewRNG(7, "dropout")), randomImages(13, 7)},
		{"moved statistics, random images", evalNet(8), randomImages(13, 8)},
		{"embedded weights, digits", embedded.Net, digits},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := Extract(c.net, c.x)
			if err != nil {
				t.Fatal(err)
			}
			f, l := tapeForward(c.net, c.x)
			if d := closeTo(out.Features, f); d > 1e-5 {
				t.Errorf("features differ from Net.Forward's by %.3g of their largest magnitude", d)
			}
			if d := closeTo(out.Logits, l); d > 1e-5 {
				t.Errorf("logits differ from Net.Forward's by %.3g of their largest magnitude", d)
			}
		})
	}
}

// TestExtractThreads checks that the features and logits are bit-identical
// on one thread and on several, for a number of images that is not a
// multiple of either chunk.
func TestExtractThreads(t *testing.T) {
	net := evalNet(9)
	x := randomImages(linearChunk+inferChunk+3, 9)
	var want *Output
	for _, threads := range []int{1, 2, 3} {
		prev := runtime.GOMAXPROCS(threads)
		got, err := Extract(net, x)
		runtime.GOMAXPROCS(prev)
		if err != nil {
			t.Fatal(err)
		}
		if want == nil {
			want = got
			continue
		}
		if !slices.Equal(got.Features, want.Features) || !slices.Equal(got.Logits, want.Logits) {
			t.Errorf("%d threads: results differ from one thread's", threads)
		}
	}
}

// TestExtractRejectsOtherNetworks checks that a network without the layers
// of New is refused with an error, not computed wrongly.
func TestExtractRejectsOtherNetworks(t *testing.T) {
	net := New(tensor.NewRNG(1, "init"), tensor.NewRNG(1, "dropout"))
	net.Seq.Layers = net.Seq.Layers[:12]
	if _, err := Extract(net, randomImages(1, 1)); err == nil {
		t.Error("a network of 12 layers: no error")
	}
}
