package evaluate

import (
	"fmt"
	"io"

	"github.com/nash-gan/nash/classifier"
	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/metrics"
	"github.com/nash-gan/nash/tensor"
)

// StackedSamples is the number of generated images that Stacked MNIST's
// protocol scores (VEEGAN, PacGAN).
const StackedSamples = 26_000

// StackedModes reads the digit triple of each Stacked MNIST image of x
// [N, 3, 28, 28] in [−1, 1]: m, an MNIST classifier, classifies each
// channel alone, and the triple of red, green and blue digits r, g, b is
// mode 100·r + 10·g + b. It returns the histogram of the modes over all
// 1,000.
func StackedModes(m *classifier.Model, x *tensor.Tensor) (metrics.Histogram, error) {
	side := classifier.Side
	if x.Dims() != 4 || x.Dim(1) != 3 || x.Dim(2) != side || x.Dim(3) != side || x.Dim(0) < 1 {
		return metrics.Histogram{}, fmt.Errorf("evaluate: Stacked MNIST modes of images %v, want [N 3 %d %d] with N ≥ 1", x.Shape(), side, side)
	}
	n := x.Dim(0)
	// The channels of an image are consecutive grey images.
	out, err := classifier.Extract(m.Net, x.Reshape(3*n, 1, side, side))
	if err != nil {
		return metrics.Histogram{}, err
	}
	digits := out.Predictions()
	modes := make([]int, n)
	for i := range modes {
		modes[i] = 100*digits[3*i] + 10*digits[3*i+1] + digits[3*i+2]
	}
	return metrics.ClassHistogram(modes, data.StackedMNISTModes)
}

// StackedReport is the mode coverage of a generator of Stacked MNIST.
type StackedReport struct {
	Run     string `json:"run"`
	Dataset string `json:"dataset"`
	Step    int    `json:"step"`
	// Truncation describes the truncation of the noise, "" for none.
	Truncation string `json:"truncation,omitempty"`
	// N is the number of samples, Modes the digit triples seen of Of.
	N     int `json:"n"`
	Modes int `json:"modes"`
	Of    int `json:"of"`
	// KL is the KL divergence of the triples' histogram to uniform.
	KL     float64 `json:"kl"`
	Counts []int   `json:"counts"`
	// Classifier describes the network that read the digits.
	Classifier *FeatureNetwork `json:"classifier"`
}

// Stacked measures the modes of n images of g, drawn from seed's "eval"
// stream, read by the MNIST classifier m (StackedModes).
func Stacked(g Generator, info RunInfo, m *classifier.Model, n int, seed uint64) (*StackedReport, error) {
	h, err := StackedModes(m, g.Generate(n, seed))
	if err != nil {
		return nil, err
	}
	return &StackedReport{Run: info.Dir, Dataset: info.Dataset, Step: info.Step, Truncation: info.Truncation, N: n, Modes: h.Covered, Of: len(h.Counts), KL: h.KL,
		Counts: h.Counts, Classifier: Describe(m)}, nil
}

// Print writes the report as one line.
func (r *StackedReport) Print(w io.Writer) error {
	noise := ""
	if r.Truncation != "" {
		noise = ", noise truncated: " + r.Truncation
	}
	_, err := fmt.Fprintf(w, "%s (%s, step %d, %d samples%s): %d of %d modes covered, KL to uniform %.4f\n",
		r.Run, r.Dataset, r.Step, r.N, noise, r.Modes, r.Of, r.KL)
	return err
}
