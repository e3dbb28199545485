package evaluate

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/nash-gan/nash/metrics"
	"github.com/nash-gan/nash/tensor"
)

// PixelMetrics are the metrics computed on the images themselves, with no
// feature network, so they measure images of any size and any dataset:
// the sliced Wasserstein distance on Laplacian pyramids (swd) and the mean
// MS-SSIM between random pairs of a set's images (ms-ssim, a diversity).
var PixelMetrics = []string{"swd", "ms-ssim"}

// NoNetworkMetrics are the metrics of a run that no feature network can
// score: the pixel metrics, and mmd and c2st on random projections of the
// pixels (ProjectionDim values).
var NoNetworkMetrics = slices.Concat(PixelMetrics, []string{"mmd", "c2st"})

// NeedNetwork returns the metrics of names that need a feature network:
// those not in NoNetworkMetrics.
func NeedNetwork(names []string) []string {
	return slices.DeleteFunc(slices.Clone(names), func(m string) bool { return slices.Contains(NoNetworkMetrics, m) })
}

// Projected compares the images real and fake [N, C, H, W] in [−1, 1], of
// one shape, without a feature network: the pixel metrics of o, and mmd
// and c2st on random projections of the pixels (ProjectionDim values,
// seeded by o.Seed). o must ask only for NoNetworkMetrics.
func Projected(real, fake *tensor.Tensor, o Options, timings io.Writer) (Report, error) {
	if bad := NeedNetwork(o.Metrics); len(bad) > 0 {
		return Report{}, fmt.Errorf("%s need a feature network", strings.Join(bad, ", "))
	}
	r, err := project("real pixels", real, o.Seed)
	if err != nil {
		return Report{}, err
	}
	f, err := project("fake pixels", fake, o.Seed)
	if err != nil {
		return Report{}, err
	}
	rep, err := Images(r, f, o, timings)
	if err != nil {
		return rep, err
	}
	return rep, Pixels(&rep, real, fake, o, timings)
}

// ProjectionDim is the number of random projections of the pixels that
// stand in for features where there is no feature network.
const ProjectionDim = 256

// ProjectionFeatures describes the features of runs without a feature
// network, for reports.
var ProjectionFeatures = fmt.Sprintf("pixels, randomly projected to %d values (no feature network)", ProjectionDim)

// MSSSIMReport is the mean MS-SSIM between random pairs of the generated
// (Fake) and of the real images: lower is more varied; a generator that
// collapses approaches 1.
type MSSSIMReport struct {
	Fake  metrics.Estimate `json:"fake"`
	Real  metrics.Estimate `json:"real"`
	Pairs int              `json:"pairs"`
}

// Pixels computes the pixel metrics of o on the images real and fake
// [N, C, H, W] in [−1, 1] into rep: swd on at most o.MaxSamples images of
// each set, ms-ssim over o.MaxSamples random pairs of each. It writes how
// long each took to timings.
func Pixels(rep *Report, real, fake *tensor.Tensor, o Options, timings io.Writer) error {
	if !slices.Equal(real.Shape()[1:], fake.Shape()[1:]) {
		return fmt.Errorf("images of shape %v and %v: the pixel metrics compare images of one shape", real.Shape()[1:], fake.Shape()[1:])
	}
	rng := func(name string) *tensor.RNG { return tensor.NewRNG(o.Seed, "eval/"+name) }
	if slices.Contains(o.Metrics, "swd") {
		start := time.Now()
		r := rng("swd")
		v, err := metrics.SWD(SubsampleImages(real, o.MaxSamples, r), SubsampleImages(fake, o.MaxSamples, r), metrics.SWDOptions{}, r)
		if err != nil {
			return err
		}
		rep.SWD = &v
		fmt.Fprintf(timings, "swd: %.1f s\n", time.Since(start).Seconds())
	}
	if slices.Contains(o.Metrics, "ms-ssim") {
		start := time.Now()
		r := rng("ms-ssim")
		f, err := metrics.MeanMSSSIM(fake, o.MaxSamples, r)
		if err != nil {
			return err
		}
		re, err := metrics.MeanMSSSIM(real, o.MaxSamples, r)
		if err != nil {
			return err
		}
		rep.MSSSIM = &MSSSIMReport{Fake: f, Real: re, Pairs: o.MaxSamples}
		fmt.Fprintf(timings, "ms-ssim: %.1f s\n", time.Since(start).Seconds())
	}
	return nil
}

// SubsampleImages returns n of the images x [N, …] drawn without
// replacement by rng, in random order, or x itself when it has at most n.
func SubsampleImages(x *tensor.Tensor, n int, rng *tensor.RNG) *tensor.Tensor {
	if x.Dim(0) <= n {
		return x
	}
	idx := make([]int, x.Dim(0))
	for i := range idx {
		idx[i] = i
	}
	rng.Perm(idx)
	return rows(x, idx[:n])
}

// rows returns the images of x [N, …] at idx.
func rows(x *tensor.Tensor, idx []int) *tensor.Tensor {
	size := x.Len() / x.Dim(0)
	shape := slices.Clone(x.Shape())
	shape[0] = len(idx)
	out := tensor.New(shape...)
	for k, i := range idx {
		copy(out.Data()[k*size:(k+1)*size], x.Data()[i*size:(i+1)*size])
	}
	return out
}
