package evaluate

import (
	"fmt"

	"github.com/nash-gan/nash/classifier"
	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/images"
	"github.com/nash-gan/nash/metrics"
	"github.com/nash-gan/nash/tensor"
)

// Quick is the cheap evaluation run during training. With a feature
// network (NewQuick): the FID of a generator's images against the Gaussian
// of a test set's features, the feature network's class histogram of the
// images, the diversity of their features relative to the test images'
// and, for a conditional generator, its class accuracy. Without one
// (NewQuickPixels): the sliced Wasserstein distance of the images to real
// ones and their mean MS-SSIM. On Stacked MNIST (NewQuickStacked): the
// digit triples covered and their KL divergence to uniform.
type Quick struct {
	model         *classifier.Model
	stacked       bool
	real          metrics.Gaussian
	realDiversity float64
	// pixels are the real images of a pixel evaluation, seed its random
	// numbers' seed, and realMSSSIM their mean MS-SSIM.
	pixels     *tensor.Tensor
	seed       uint64
	realMSSSIM float64
}

// quickSWD are the settings of the quick evaluation's sliced Wasserstein
// distance: fewer neighbourhoods and directions than nash eval's, for a
// cost of a fraction of a second.
var quickSWD = metrics.SWDOptions{PatchesPerImage: 32, Repeats: 2, Directions: 64}

// quickPairs is the number of random pairs of the quick MS-SSIM.
const quickPairs = 200

// NewQuickPixels returns the quick evaluation of a run that no feature
// network scores, against the real images [N, C, H, W] in [−1, 1]; seed
// fixes the neighbourhoods, directions and pairs it draws, the same at
// every evaluation so that evaluations compare over time.
func NewQuickPixels(real *tensor.Tensor, seed uint64) (*Quick, error) {
	m, err := metrics.MeanMSSSIM(real, quickPairs, tensor.NewRNG(seed, "eval/ms-ssim"))
	if err != nil {
		return nil, err
	}
	return &Quick{pixels: real, seed: seed, realMSSSIM: m.Mean}, nil
}

// NewQuickStacked returns the quick evaluation of a Stacked MNIST run,
// whose channels the MNIST classifier m reads (StackedModes).
func NewQuickStacked(m *classifier.Model) *Quick { return &Quick{model: m, stacked: true} }

// Stacked reports whether q counts Stacked MNIST's modes
// (NewQuickStacked).
func (q *Quick) Stacked() bool { return q.stacked }

// Pixels reports whether q measures pixels (NewQuickPixels) rather than a
// feature network's features.
func (q *Quick) Pixels() bool { return q.model == nil }

// Describe names what q measures, for the log.
func (q *Quick) Describe() string {
	if q.Pixels() {
		return fmt.Sprintf("the sliced Wasserstein distance to %d real images and MS-SSIM (no feature network for this data)", q.pixels.Dim(0))
	}
	if q.stacked {
		return "the digit triples covered of 1,000, each channel read by " + q.model.Describe()
	}
	return q.model.Describe()
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

// QuickScore is one quick evaluation: FID, the classes, Diversity and
// ClassAccuracy with a feature network, SWD and MSSSIM without, Modes and
// ModeKL on Stacked MNIST.
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
	// SWD is the mean over the pyramid's levels of the sliced Wasserstein
	// distance to the real images; MSSSIM and RealMSSSIM are the mean
	// MS-SSIM of the images and of the real ones.
	SWD, MSSSIM, RealMSSSIM float64
	// Modes is the number of Stacked MNIST's digit triples seen, ModeKL
	// the KL divergence of their histogram to uniform (StackedModes).
	Modes  int
	ModeKL float64
}

// Score evaluates the images x [N, 1, 28, 28] in [−1, 1] (or [N, 784];
// for pixels, [N, C, H, W] of the real images' shape; [N, 3, 28, 28] on
// Stacked MNIST);
// labels, nil for an unconditional generator, are the classes the images
// were generated for.
func (q *Quick) Score(x *tensor.Tensor, labels []int) (QuickScore, error) {
	if q.Pixels() {
		return q.scorePixels(x)
	}
	if q.stacked {
		h, err := StackedModes(q.model, x)
		if err != nil {
			return QuickScore{}, err
		}
		return QuickScore{Modes: h.Covered, ModeKL: h.KL}, nil
	}
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

// scorePixels is Score without a feature network.
func (q *Quick) scorePixels(x *tensor.Tensor) (QuickScore, error) {
	swd, err := metrics.SWD(q.pixels, x, quickSWD, tensor.NewRNG(q.seed, "eval/swd"))
	if err != nil {
		return QuickScore{}, err
	}
	m, err := metrics.MeanMSSSIM(x, quickPairs, tensor.NewRNG(q.seed, "eval/ms-ssim"))
	if err != nil {
		return QuickScore{}, err
	}
	return QuickScore{SWD: swd.Mean, MSSSIM: m.Mean, RealMSSSIM: q.realMSSSIM}, nil
}
