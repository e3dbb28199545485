package classifier

import (
	"fmt"
	"testing"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/data"
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

// BenchmarkExtract times the features and logits of the embedded MNIST
// network for the first 2,000 and all 10,000 MNIST test images: the sizes
// of the evaluation during training (generated samples, and the test set's
// Gaussian at the first evaluation).
func BenchmarkExtract(b *testing.B) {
	m, err := Embedded("mnist")
	if err != nil {
		b.Fatal(err)
	}
	test, err := data.Load("mnist", "", "test")
	if err != nil {
		b.Fatal(err)
	}
	all := Images(test)
	for _, n := range []int{2000, 10000} {
		x := tensor.FromSlice(all.Data()[:n*Side*Side], n, 1, Side, Side)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := Extract(m.Net, x); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
