package evaluate

import (
	"github.com/nash-gan/nash/classifier"
	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/images"
	"github.com/nash-gan/nash/metrics"
	"github.com/nash-gan/nash/tensor"
)

// Quick is the cheap evaluation run during training: the FID of a
// generator's images against the Gaussian of a test set's features, the
// feature network's class histogram of the images, the diversity of their
// features relative to the test images' and, for a conditional generator,
// its class accuracy.
type Quick struct {
	model         *classifier.Model
	real          metrics.Gaussian
	realDiversity float64
}

// NewQuick scores the first realImages images of test (all of them if
// there are fewer) with the feature network of model and fits the Gaussian
// of their features; the diversity of the first samples of those features
// is the real diversity that Score's diversity is relative to.
func NewQuick(model *classifier.Model, test *data.Dataset, realImages, samples int) (*Quick, error) {
	n := min(realImages, test.N)
	x := tensor.New(n, test.C, test.H, test.W)
	images.ToValues(x.Data(), test.Pixels[:n*test.ImageSize()])
	s, err := Score(model, test.Name+" test features", x)
	if err != nil {
		return nil, err
	}
	real, err := metrics.FitGaussian(s.features)
	if err != nil {
		return nil, err
	}
	div, err := metrics.Diversity(metrics.Head(s.features, samples))
	if err != nil {
		return nil, err
	}
	return &Quick{model: model, real: real, realDiversity: div}, nil
}

// QuickScore is one quick evaluation.
type QuickScore struct {
	// FID is the Fréchet distance to the test images' Gaussian.
	FID float64
	// Classes is the number of classes covered, ClassKL the KL divergence
	// of the class histogram to uniform.
	Classes int
	ClassKL float64
	// Diversity is the images' feature diversity divided by the test
	// images'.
	Diversity float64
	// ClassAccuracy is the fraction of images classified as their label,
	// nil when Score was given no labels.
	ClassAccuracy *float64
}

// Score evaluates the images x [N, 1, 28, 28] in [−1, 1] (or [N, 784]);
// labels, nil for an unconditional generator, are the classes the images
// were generated for.
func (q *Quick) Score(x *tensor.Tensor, labels []int) (QuickScore, error) {
	s, err := Score(q.model, "generated features", x)
	if err != nil {
		return QuickScore{}, err
	}
	gen, err := metrics.FitGaussian(s.features)
	if err != nil {
		return QuickScore{}, err
	}
	fid, err := metrics.FrechetDistance(q.real, gen)
	if err != nil {
		return QuickScore{}, err
	}
	h, acc, err := classes(s.out, labels)
	if err != nil {
		return QuickScore{}, err
	}
	div, err := metrics.Diversity(s.features)
	if err != nil {
		return QuickScore{}, err
	}
	return QuickScore{FID: fid, Classes: h.Covered, ClassKL: h.KL, Diversity: div / q.realDiversity, ClassAccuracy: acc}, nil
}
