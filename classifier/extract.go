package classifier

import (
	"fmt"

	"github.com/nash-gan/nash/metrics"
	"github.com/nash-gan/nash/tensor"
)

// Output is what the network computes for a set of images.
type Output struct {
	// N is the number of images.
	N int
	// Features holds N rows of FeatureDim values, Logits N rows of
	// Classes.
	Features, Logits []float32
}

// Extract runs net in evaluation mode (BatchNorm's running statistics, no
// dropout) on the images x [N, 1, 28, 28] (or [N, 784]) scaled to [−1, 1].
// It records no tape and computes a few images at a time on all threads;
// the results equal Net.Forward's in evaluation mode within float
// rounding, and do not depend on the number of threads or on the other
// images. It writes nothing to net, and returns an error for images of
// another size or with non-finite values.
func Extract(net *Net, x *tensor.Tensor) (*Output, error) {
	if x.Dims() < 2 || x.Dim(0) < 1 || x.Len() != x.Dim(0)*Side*Side {
		return nil, fmt.Errorf("classifier: images of shape %v, want [N 1 %d %d] with N ≥ 1", x.Shape(), Side, Side)
	}
	if !x.AllFinite() {
		return nil, fmt.Errorf("classifier: images hold NaN or infinite values")
	}
	in, err := newInference(net)
	if err != nil {
		return nil, err
	}
	n := x.Dim(0)
	out := &Output{N: n, Features: make([]float32, n*FeatureDim), Logits: make([]float32, n*Classes)}
	in.run(x.Data(), out)
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
