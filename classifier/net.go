// Package classifier is nash's own feature network: a LeNet-style
// convolutional classifier of 28×28 grey images, trained by nash classifier
// train on MNIST or Fashion-MNIST, whose penultimate layer gives the
// features of FID, KID, precision/recall and the two-sample tests and whose
// softmax gives the class probabilities of the Inception score and the
// class histograms. Inception weights cannot be fetched here; like TF-GAN's
// MNIST example, nash measures generated digits with a classifier of the
// same data. The weights trained for both datasets are embedded in the
// binary (Embedded), and every report names them by their SHA-256.
package classifier

import (
	"fmt"
	"math"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/tensor"
)

// Image geometry and the network's widths.
const (
	// Side is the height and width of the images the network takes.
	Side = 28
	// FeatureDim is the length of a feature vector, the width of the
	// penultimate layer.
	FeatureDim = 128
	// Classes is the number of classes.
	Classes = 10
)

// Architecture names the network in reports and in the weights' metadata.
const Architecture = "nash-lenet/1: Conv2d(1,32,5,p2) BN ReLU MaxPool2 Conv2d(32,64,5,p2) BN ReLU MaxPool2 Linear(3136,128) ReLU Dropout(0.3) Linear(128,10)"

// Net is the feature network, equal in names and shapes to the
// torch.nn.Sequential
//
//	Conv2d(1, 32, 5, padding=2, bias=False), BatchNorm2d(32), ReLU(), MaxPool2d(2),
//	Conv2d(32, 64, 5, padding=2, bias=False), BatchNorm2d(64), ReLU(), MaxPool2d(2),
//	Flatten(), Linear(3136, 128), ReLU(), Dropout(0.3), Linear(128, 10)
//
// Its input is images [N, 1, 28, 28] scaled to [−1, 1], as the GANs
// generate them; its features are the output of the ReLU after
// Linear(3136, 128).
type Net struct {
	// Seq holds the layers; Seq.Layers[:featureLayers] compute the
	// features, the rest the logits.
	Seq *nn.Sequential
}

// featureLayers is the number of layers up to and including the ReLU whose
// output is the feature vector.
const featureLayers = 11

// New returns a network with PyTorch's default initialisation drawn from
// rng; dropout draws from dropout.
func New(rng, dropout *tensor.RNG) *Net {
	return &Net{Seq: nn.NewSequential(
		nn.NewConv2d(1, 32, 5, 1, 2, false, rng), nn.NewBatchNorm2d(32), nn.ReLU{}, MaxPool2d{},
		nn.NewConv2d(32, 64, 5, 1, 2, false, rng), nn.NewBatchNorm2d(64), nn.ReLU{}, MaxPool2d{},
		nn.Flatten{}, nn.NewLinear(64*7*7, FeatureDim, true, rng), nn.ReLU{},
		nn.NewDropout(0.3, dropout), nn.NewLinear(FeatureDim, Classes, true, rng),
	)}
}

// Forward returns the features [N, FeatureDim] and the logits [N, Classes]
// of the images x [N, 1, 28, 28].
func (n *Net) Forward(tp *autograd.Tape, x *autograd.Var) (features, logits *autograd.Var) {
	if s := x.Shape(); len(s) != 4 || s[1] != 1 || s[2] != Side || s[3] != Side {
		panic(fmt.Sprintf("classifier: input of shape %v, want [N 1 %d %d]", s, Side, Side))
	}
	h := x
	for i, l := range n.Seq.Layers {
		h = l.Forward(tp, h)
		if i == featureLayers-1 {
			features = h
		}
	}
	return features, h
}

// MaxPool2d is torch.nn.MaxPool2d(2): the largest value of each 2×2 window
// of [N, C, H, W] with stride 2, giving [N, C, H/2, W/2] (H and W even).
// Ties go to the first value of the window in row-major order, as
// PyTorch's. It is differentiable to any order: the output is a Gather of
// the maxima's positions, whose backward is ScatterAdd.
type MaxPool2d struct{}

// maxGatherElements bounds the elements of a pooled input whose positions
// Gather takes: positions travel as float32, exact below 2^24.
const maxGatherElements = 1 << 24

// Forward implements nn.Module.
func (MaxPool2d) Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
	s := x.Shape()
	if len(s) != 4 || s[2]%2 != 0 || s[3]%2 != 0 {
		panic(fmt.Sprintf("classifier: MaxPool2d(2) of shape %v, want [N C H W] with H and W even", s))
	}
	n, c, h, w := s[0], s[1], s[2], s[3]
	oh, ow := h/2, w/2
	src := x.Value.Data()
	out := tensor.New(n, c, oh, ow)
	dst := out.Data()
	var pos []float32
	record := tp.GradEnabled() && x.RequiresGrad()
	if record {
		if x.Value.Len() > maxGatherElements {
			panic(fmt.Sprintf("classifier: MaxPool2d(2) of shape %v: more than 2^24 elements in one batch", s))
		}
		pos = make([]float32, len(dst))
	}
	for p := range n * c {
		plane := p * h * w
		for i := range oh {
			for j := range ow {
				at := plane + 2*i*w + 2*j
				best := at
				for _, q := range [3]int{at + 1, at + w, at + w + 1} {
					if src[q] > src[best] {
						best = q
					}
				}
				o := (p*oh+i)*ow + j
				dst[o] = src[best]
				if record {
					pos[o] = float32(best)
				}
			}
		}
	}
	if !record {
		return tp.Const(out)
	}
	idx := tp.Const(tensor.FromSlice(pos, len(pos)))
	return tp.Reshape(tp.Gather(tp.Reshape(x, x.Value.Len(), 1), idx), n, c, oh, ow)
}

// Parameters implements nn.Module.
func (MaxPool2d) Parameters() []nn.Parameter { return nil }

// CrossEntropy returns torch.nn.functional.cross_entropy of logits
// [N, Classes] against the integer labels, the mean over the batch of
// log Σ exp(logits) − logits[label], computed with each row's maximum
// subtracted first (a constant, so the gradient is unchanged).
func CrossEntropy(tp *autograd.Tape, logits *autograd.Var, labels []int) *autograd.Var {
	s := logits.Shape()
	if len(s) != 2 || s[0] != len(labels) {
		panic(fmt.Sprintf("classifier: CrossEntropy of logits %v and %d labels", s, len(labels)))
	}
	n, k := s[0], s[1]
	rowMax := tensor.New(n, 1)
	oneHot := tensor.New(n, k)
	v := logits.Value.Data()
	for i, y := range labels {
		if y < 0 || y >= k {
			panic(fmt.Sprintf("classifier: CrossEntropy: label %d of sample %d outside [0, %d)", y, i, k))
		}
		m := v[i*k]
		for _, z := range v[i*k : (i+1)*k] {
			m = max(m, z)
		}
		rowMax.Data()[i] = m
		oneHot.Data()[i*k+y] = 1
	}
	shifted := tp.Sub(logits, tp.Const(rowMax))
	lse := tp.Log(tp.SumRows(tp.Exp(shifted)))
	picked := tp.Mul(shifted, tp.Const(oneHot))
	return tp.Scale(tp.Sub(tp.Sum(lse), tp.Sum(picked)), 1/float32(n))
}

// Softmax returns the row-wise softmax of logits [N, K] in float64.
func Softmax(logits []float32, k int) []float64 {
	out := make([]float64, len(logits))
	for i := 0; i < len(logits); i += k {
		row := logits[i : i+k]
		m := row[0]
		for _, z := range row {
			m = max(m, z)
		}
		var sum float64
		for j, z := range row {
			e := math.Exp(float64(z - m))
			out[i+j] = e
			sum += e
		}
		for j := range row {
			out[i+j] /= sum
		}
	}
	return out
}
