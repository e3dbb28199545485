package classifier

import (
	"fmt"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/metrics"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/tensor"
)

// extractBatch is the number of images Extract passes through the network
// at once.
const extractBatch = 500

// Output is what the network computes for a set of images.
type Output struct {
	// N is the number of images.
	N int
	// Features holds N rows of FeatureDim values, Logits N rows of
	// Classes.
	Features, Logits []float32
}

// Extract runs net in evaluation mode on the images x [N, 1, 28, 28] (or
// [N, 784]) scaled to [−1, 1], in batches of 500. It returns an error for
// images of another size or with non-finite values.
func Extract(net *Net, x *tensor.Tensor) (*Output, error) {
	if x.Dims() < 2 || x.Dim(0) < 1 || x.Len() != x.Dim(0)*Side*Side {
		return nil, fmt.Errorf("classifier: images of shape %v, want [N 1 %d %d] with N ≥ 1", x.Shape(), Side, Side)
	}
	if !x.AllFinite() {
		return nil, fmt.Errorf("classifier: images hold NaN or infinite values")
	}
	n := x.Dim(0)
	nn.SetTraining(net.Seq, false)
	out := &Output{N: n, Features: make([]float32, 0, n*FeatureDim), Logits: make([]float32, 0, n*Classes)}
	tp := autograd.NewTape()
	tp.SetGrad(false)
	for lo := 0; lo < n; lo += extractBatch {
		hi := min(n, lo+extractBatch)
		batch := tensor.FromSlice(x.Data()[lo*Side*Side:hi*Side*Side], hi-lo, 1, Side, Side)
		f, l := net.Forward(tp, tp.Const(batch))
		out.Features = append(out.Features, f.Value.Data()...)
		out.Logits = append(out.Logits, l.Value.Data()...)
		tp.Reset()
	}
	return out, nil
}

// Predictions returns the most probable class of every image (the first
// of equal logits).
func (o *Output) Predictions() []int {
	pred := make([]int, o.N)
	for i := range pred {
		row := o.Logits[i*Classes : (i+1)*Classes]
		for j, z := range row {
			if z > row[pred[i]] {
				pred[i] = j
			}
		}
	}
	return pred
}

// FeatureSet returns the features as metrics.Features named name.
func (o *Output) FeatureSet(name string) (*metrics.Features, error) {
	data := make([]float64, len(o.Features))
	for i, v := range o.Features {
		data[i] = float64(v)
	}
	return metrics.NewFeatures(name, data, o.N, FeatureDim)
}

// Probabilities returns the softmax of the logits as metrics.Features
// named name, for the Inception score.
func (o *Output) Probabilities(name string) (*metrics.Features, error) {
	return metrics.NewFeatures(name, Softmax(o.Logits, Classes), o.N, Classes)
}
