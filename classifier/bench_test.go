package classifier

import (
	"testing"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/optim"
	"github.com/nash-gan/nash/tensor"
)

// BenchmarkTrainStep times one training step of batch 64.
func BenchmarkTrainStep(b *testing.B) {
	net := New(tensor.NewRNG(1, "init"), tensor.NewRNG(1, "dropout"))
	params := nn.Vars(net.Seq.Parameters())
	opt := optim.NewAdam(params, 1e-3, 0.9, 0.999)
	x := tensor.New(64, 1, Side, Side)
	tensor.NewRNG(1, "x").Uniform(x, -1, 1)
	labels := make([]int, 64)
	for i := range labels {
		labels[i] = i % Classes
	}
	tp := autograd.NewTape()
	for b.Loop() {
		_, logits := net.Forward(tp, tp.Const(x))
		loss := CrossEntropy(tp, logits, labels)
		opt.ZeroGrad()
		tp.Backward(loss, params...)
		opt.Step()
		tp.Reset()
	}
}

// BenchmarkExtract times the features of 500 images.
func BenchmarkExtract(b *testing.B) {
	net := New(tensor.NewRNG(1, "init"), tensor.NewRNG(1, "dropout"))
	x := tensor.New(500, 1, Side, Side)
	tensor.NewRNG(1, "x").Uniform(x, -1, 1)
	for b.Loop() {
		if _, err := Extract(net, x); err != nil {
			b.Fatal(err)
		}
	}
}
