package nn

import (
	"fmt"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/tensor"
)

// BatchNorm normalises every channel of its input by the mean and variance
// of that channel, then scales by Weight (γ) and shifts by Bias (β), as
// torch.nn.BatchNorm1d (inputs [N, C] or [N, C, L]) and BatchNorm2d (inputs
// [N, C, H, W]) with affine weights and tracked running statistics.
//
// The tape's mode (autograd.Tape.SetTraining) chooses the behaviour. In
// training mode it normalises by the batch's statistics with the biased
// variance and moves the running statistics towards them:
// running = (1 − Momentum)·running + Momentum·batch, with the unbiased
// variance for RunningVar, and counts the batch in NumBatchesTracked. In
// evaluation mode it normalises by the running statistics and writes
// nothing, so that evaluation-mode forwards may run concurrently.
//
// The state dict names are PyTorch's: weight, bias, running_mean,
// running_var and num_batches_tracked. PyTorch stores num_batches_tracked
// as an int64 scalar; nash keeps it as a float32 scalar, exact up to 2²⁴
// batches. A checkpoint that PyTorch should read back with its own dtype
// stores it with checkpoint.File.SetInt64(name, []int64{int64(v)}) (empty
// shape), and File.StateDict converts it back.
type BatchNorm struct {
	// Features is the number of channels C.
	Features int
	// Eps is added to the variance for stability (PyTorch's default 1e-5).
	Eps float32
	// Momentum is the weight of the batch in the running statistics
	// (PyTorch's default 0.1).
	Momentum float32
	// Weight (γ) and Bias (β) are [C], initially ones and zeros.
	Weight, Bias *autograd.Var
	// RunningMean and RunningVar are [C], initially zeros and ones.
	RunningMean, RunningVar *tensor.Tensor
	// NumBatchesTracked is a scalar counting the training-mode batches.
	NumBatchesTracked *tensor.Tensor

	spatial bool // BatchNorm2d
}

// NewBatchNorm1d returns a BatchNorm for inputs [N, C] or [N, C, L] with
// PyTorch's defaults.
func NewBatchNorm1d(features int) *BatchNorm { return newBatchNorm(features, false) }

// NewBatchNorm2d returns a BatchNorm for inputs [N, C, H, W] with PyTorch's
// defaults.
func NewBatchNorm2d(features int) *BatchNorm { return newBatchNorm(features, true) }

func newBatchNorm(c int, spatial bool) *BatchNorm {
	b := &BatchNorm{
		Features: c, Eps: 1e-5, Momentum: 0.1,
		Weight: autograd.NewVar(tensor.New(c), true), Bias: autograd.NewVar(tensor.New(c), true),
		RunningMean: tensor.New(c), RunningVar: tensor.New(c), NumBatchesTracked: tensor.New(),
		spatial: spatial,
	}
	b.Weight.Value.Fill(1)
	b.RunningVar.Fill(1)
	return b
}

// name returns the PyTorch class name for messages.
func (b *BatchNorm) name() string {
	if b.spatial {
		return "BatchNorm2d"
	}
	return "BatchNorm1d"
}

// Forward implements Module.
func (b *BatchNorm) Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
	s := x.Shape()
	rankOK := len(s) == 4
	if !b.spatial {
		rankOK = len(s) == 2 || len(s) == 3
	}
	if !rankOK || s[1] != b.Features {
		want := fmt.Sprintf("[N %d] or [N %d L]", b.Features, b.Features)
		if b.spatial {
			want = fmt.Sprintf("[N %d H W]", b.Features)
		}
		panic(fmt.Sprintf("nn: %s(%d) got input of shape %v, want %s", b.name(), b.Features, s, want))
	}
	m := x.Value.Len() / b.Features
	if !tp.Training() {
		// y = (x − μ)·γ/σ + β with the running μ and σ², as one scale and
		// one shift per channel.
		std := tp.Sqrt(tp.AddScalar(autograd.Const(b.RunningVar), b.Eps))
		scale := tp.Div(b.Weight, std)
		shift := tp.Sub(b.Bias, tp.Mul(autograd.Const(b.RunningMean), scale))
		return tp.AddChannels(tp.MulChannels(x, scale), shift)
	}
	if m < 2 {
		panic(fmt.Sprintf("nn: %s(%d) in training mode needs more than one value per channel, got input of shape %v", b.name(), b.Features, s))
	}
	xc, mean, variance := moments(tp, x, m)
	b.track(mean.Value.Data(), variance.Value.Data(), m)
	scale := tp.Div(b.Weight, tp.Sqrt(tp.AddScalar(variance, b.Eps)))
	return tp.AddChannels(tp.MulChannels(xc, scale), b.Bias)
}

// moments returns x [N, C, …] less each channel's mean, the mean and the
// biased variance of each channel, whose m values x holds: the
// normalisation that BatchNorm does over a batch and InstanceNorm2d over
// each sample.
func moments(tp *autograd.Tape, x *autograd.Var, m int) (xc, mean, variance *autograd.Var) {
	mean = tp.Scale(tp.SumChannels(x), 1/float32(m))
	xc = tp.AddChannels(x, tp.Neg(mean))
	variance = tp.Scale(tp.SumChannels(tp.Square(xc)), 1/float32(m))
	return xc, mean, variance
}

// track moves the running statistics towards the batch mean and biased
// variance of m values per channel.
func (b *BatchNorm) track(mean, variance []float32, m int) {
	mom := b.Momentum
	unbias := float32(m) / float32(m-1)
	rm, rv := b.RunningMean.Data(), b.RunningVar.Data()
	for i := range rm {
		rm[i] = (1-mom)*rm[i] + mom*mean[i]
		rv[i] = (1-mom)*rv[i] + mom*variance[i]*unbias
	}
	b.NumBatchesTracked.Data()[0]++
}

// ResetRunningStats sets the running statistics to their initial values
// (mean 0, variance 1, no batches tracked), as PyTorch's
// reset_running_stats.
func (b *BatchNorm) ResetRunningStats() {
	b.RunningMean.Zero()
	b.RunningVar.Fill(1)
	b.NumBatchesTracked.Zero()
}

// StandingStats replaces the running statistics of every BatchNorm within
// m by their plain average over the training-mode forwards that forward(i)
// makes for i = 0 … batches−1 (BigGAN's "standing statistics"; in PyTorch,
// reset_running_stats and then forwards with momentum=None). A network
// whose weights are not those its statistics were tracked with, such as a
// moving average of a generator's weights, normalises by statistics of its
// own activations after it. Each BatchNorm's Momentum is restored. It
// returns the number of BatchNorms; with none, forward is not called.
func StandingStats(m Module, batches int, forward func(i int)) int {
	var bns []*BatchNorm
	Walk(m, func(l Module) {
		if b, ok := l.(*BatchNorm); ok {
			bns = append(bns, b)
		}
	})
	if len(bns) == 0 {
		return 0
	}
	momentum := make([]float32, len(bns))
	for j, b := range bns {
		momentum[j] = b.Momentum
		b.ResetRunningStats()
	}
	for i := range batches {
		for _, b := range bns {
			b.Momentum = 1 / float32(i+1)
		}
		forward(i)
	}
	for j, b := range bns {
		b.Momentum = momentum[j]
	}
	return len(bns)
}

// Parameters implements Module.
func (b *BatchNorm) Parameters() []Parameter {
	return []Parameter{{"weight", b.Weight}, {"bias", b.Bias}}
}

// Buffers implements BufferHolder.
func (b *BatchNorm) Buffers() []Buffer {
	return []Buffer{{"running_mean", b.RunningMean}, {"running_var", b.RunningVar},
		{"num_batches_tracked", b.NumBatchesTracked}}
}
