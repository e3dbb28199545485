// Package evaluate measures generated samples against real ones: the
// metrics of nash eval (FID, KID, precision/recall/density/coverage, the
// two-sample tests, the Inception-style score, class modes and
// memorisation) on feature arrays, on images scored by nash's feature
// network and on a trained generator (eval.json's report), the mode
// coverage of a generator of 2-D mixtures, and the quick evaluation run
// during training. It owns the reports' types, their JSON form and their
// text.
package evaluate

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/nash-gan/nash/classifier"
	"github.com/nash-gan/nash/metrics"
	"github.com/nash-gan/nash/tensor"
)

// Generator is a trained generator that evaluation samples from.
type Generator interface {
	// Generate returns n images [n, C, H, W] in [−1, 1] drawn from the
	// noise of seed's "eval" stream; for a conditional generator, image i
	// is of class i mod the number of classes.
	Generate(n int, seed uint64) *tensor.Tensor
	// GenerateLabels returns those classes, nil for an unconditional
	// generator.
	GenerateLabels(n int) []int
}

// FeatureMetrics are the metrics of two sets of feature vectors, in the
// order reports give them.
var FeatureMetrics = []string{"fid", "kid", "prdc", "mmd", "c2st"}

// ImageMetrics are the metrics that need images and the feature network's
// class probabilities, or a run's training set (memorisation).
var ImageMetrics = []string{"is", "modes", "memorisation"}

// AllMetrics is every metric: FeatureMetrics, ImageMetrics, then
// PixelMetrics.
var AllMetrics = slices.Concat(FeatureMetrics, ImageMetrics, PixelMetrics)

// Options are the settings that shape the metrics.
type Options struct {
	// Metrics names the metrics computed, some of AllMetrics.
	Metrics []string
	// K is the number of nearest neighbours of prdc and c2st.
	K int
	// Seed seeds every metric's random numbers, each metric its own
	// stream, so that a metric's result does not depend on the others.
	Seed uint64
	// KIDSubsets and KIDSubsetSize are the number and size of kid's random
	// subsets.
	KIDSubsets, KIDSubsetSize int
	// MaxSamples bounds the samples of each set that mmd, c2st and the
	// diversity of modes use.
	MaxSamples int
	// Permutations is the number of random relabellings of mmd's test.
	Permutations int
	// Splits is the number of splits of is, for its mean ± std.
	Splits int
}

// Report is the comparison of one set with a reference set; metrics not
// asked for are left out.
type Report struct {
	Real  string                 `json:"real"`
	Fake  string                 `json:"fake"`
	NReal int                    `json:"n_real"`
	NFake int                    `json:"n_fake"`
	Dim   int                    `json:"dim"`
	FID   *float64               `json:"fid,omitempty"`
	KID   *metrics.Estimate      `json:"kid,omitempty"`
	PRDC  *metrics.PRDCScores    `json:"prdc,omitempty"`
	K     int                    `json:"k,omitempty"`
	MMD   *metrics.MMDTestResult `json:"mmd,omitempty"`
	C2ST  *metrics.C2STResult    `json:"c2st,omitempty"`
	IS    *metrics.Estimate      `json:"inception_score,omitempty"`
	Modes *ClassModes            `json:"modes,omitempty"`
	// SWD and MSSSIM are the pixel metrics (PixelMetrics).
	SWD    *metrics.SWDResult `json:"swd,omitempty"`
	MSSSIM *MSSSIMReport      `json:"ms_ssim,omitempty"`
}

// ClassModes is mode collapse measured on images: the feature network's
// class histogram of the set and the diversity of its features.
type ClassModes struct {
	metrics.Histogram
	// ClassAccuracy is, for a conditional run on the feature network's own
	// dataset, the fraction of generated images that the network classifies
	// as the class they were generated for (for the real-data floor: as
	// their label).
	ClassAccuracy *float64 `json:"class_accuracy,omitempty"`
	// Diversity is the mean feature distance between two samples of the
	// set, RealDiversity the same for the reference set.
	Diversity     float64 `json:"diversity"`
	RealDiversity float64 `json:"real_diversity"`
}

// FeatureNetwork names the feature network in reports.
type FeatureNetwork struct {
	Description string  `json:"description"`
	Dataset     string  `json:"dataset"`
	Accuracy    float64 `json:"test_accuracy"`
	SHA256      string  `json:"sha256"`
}

// Describe returns the report's description of the feature network m.
func Describe(m *classifier.Model) *FeatureNetwork {
	return &FeatureNetwork{Description: m.Describe(), Dataset: m.Dataset, Accuracy: m.Accuracy, SHA256: m.SHA256}
}

// Scored is a set of images passed through the feature network. labels,
// when set, are the classes the images should show: a conditional run's
// requested classes, or real images' own labels.
type Scored struct {
	name     string
	features *metrics.Features
	out      *classifier.Output
	labels   []int
}

// Score passes the images x [N, 1, 28, 28] through the feature network of
// m; name names the set in reports and errors.
func Score(m *classifier.Model, name string, x *tensor.Tensor) (*Scored, error) {
	out, err := classifier.Extract(m.Net, x)
	if err != nil {
		return nil, err
	}
	f, err := out.FeatureSet(name)
	if err != nil {
		return nil, err
	}
	return &Scored{name: name, features: f, out: out}, nil
}

// Images computes the metrics of o on two sets of scored images: the
// feature metrics on their features, is and modes on fake. It writes how
// long each metric took to timings.
func Images(real, fake *Scored, o Options, timings io.Writer) (Report, error) {
	rep, err := Features(real.features, fake.features, o, timings)
	if err != nil {
		return rep, err
	}
	if slices.Contains(o.Metrics, "is") {
		start := time.Now()
		p, err := fake.out.Probabilities(fake.name)
		if err != nil {
			return rep, err
		}
		v, err := metrics.InceptionScore(p, o.Splits)
		if err != nil {
			return rep, err
		}
		rep.IS = &v
		fmt.Fprintf(timings, "is: %.1f s\n", time.Since(start).Seconds())
	}
	if slices.Contains(o.Metrics, "modes") {
		start := time.Now()
		h, acc, err := classes(fake.out, fake.labels)
		if err != nil {
			return rep, err
		}
		rng := tensor.NewRNG(o.Seed, "eval/diversity")
		div, err := metrics.Diversity(metrics.Subsample(fake.features, o.MaxSamples, rng))
		if err != nil {
			return rep, err
		}
		realDiv, err := metrics.Diversity(metrics.Subsample(real.features, o.MaxSamples, rng))
		if err != nil {
			return rep, err
		}
		rep.Modes = &ClassModes{Histogram: h, ClassAccuracy: acc, Diversity: div, RealDiversity: realDiv}
		fmt.Fprintf(timings, "modes: %.1f s\n", time.Since(start).Seconds())
	}
	return rep, nil
}

// classes returns the histogram of the feature network's classes of the
// images of out and, when labels is not nil, the fraction of images
// classified as their label.
func classes(out *classifier.Output, labels []int) (metrics.Histogram, *float64, error) {
	pred := out.Predictions()
	h, err := metrics.ClassHistogram(pred, classifier.Classes)
	if err != nil {
		return metrics.Histogram{}, nil, err
	}
	if labels == nil {
		return h, nil, nil
	}
	acc, err := metrics.ClassAccuracy(pred, labels)
	if err != nil {
		return metrics.Histogram{}, nil, err
	}
	return h, &acc, nil
}

// Features computes the feature metrics of o on real and fake, writing how
// long each took to timings.
func Features(real, fake *metrics.Features, o Options, timings io.Writer) (Report, error) {
	rep := Report{Real: real.Name(), Fake: fake.Name(), NReal: real.Len(), NFake: fake.Len(), Dim: real.Dim()}
	if real.Dim() != fake.Dim() {
		return rep, fmt.Errorf("%s has %d values per sample, %s has %d", real.Name(), real.Dim(), fake.Name(), fake.Dim())
	}
	rng := func(name string) *tensor.RNG { return tensor.NewRNG(o.Seed, "eval/"+name) }
	for _, name := range FeatureMetrics {
		if !slices.Contains(o.Metrics, name) {
			continue
		}
		start := time.Now()
		var err error
		switch name {
		case "fid":
			var v float64
			v, err = metrics.FID(real, fake)
			rep.FID = &v
		case "kid":
			var v metrics.Estimate
			v, err = metrics.KID(real, fake, o.KIDSubsets, o.KIDSubsetSize, rng(name))
			rep.KID = &v
		case "prdc":
			var v metrics.PRDCScores
			v, err = metrics.PRDC(real, fake, o.K)
			rep.PRDC, rep.K = &v, o.K
		case "mmd":
			r := rng(name)
			var v metrics.MMDTestResult
			v, err = metrics.MMDTest(metrics.Subsample(real, o.MaxSamples, r), metrics.Subsample(fake, o.MaxSamples, r), o.Permutations, r)
			rep.MMD = &v
		case "c2st":
			r := rng(name)
			var v metrics.C2STResult
			v, err = metrics.C2ST(metrics.Subsample(real, o.MaxSamples, r), metrics.Subsample(fake, o.MaxSamples, r), o.K, r)
			rep.C2ST, rep.K = &v, o.K
		}
		if err != nil {
			return rep, err
		}
		fmt.Fprintf(timings, "%s: %.1f s\n", name, time.Since(start).Seconds())
	}
	return rep, nil
}

// Print writes the report as text, one metric to a line; o gives the
// settings the lines mention.
func (r Report) Print(w io.Writer, o Options) error {
	var b strings.Builder
	fmt.Fprintf(&b, "real %s: %d × %d   fake %s: %d × %d\n", r.Real, r.NReal, r.Dim, r.Fake, r.NFake, r.Dim)
	if r.FID != nil {
		fmt.Fprintf(&b, "fid   %.6g\n", *r.FID)
	}
	if r.KID != nil {
		if m := min(o.KIDSubsetSize, r.NReal, r.NFake); m == r.NReal && m == r.NFake {
			fmt.Fprintf(&b, "kid   %.6g  (one subset: both whole sets of %d)\n", r.KID.Mean, m)
		} else {
			fmt.Fprintf(&b, "kid   %.6g ± %.3g  (%d subsets of %d)\n", r.KID.Mean, r.KID.Std, o.KIDSubsets, m)
		}
	}
	if r.PRDC != nil {
		fmt.Fprintf(&b, "prdc  precision %.4f  recall %.4f  density %.4f  coverage %.4f  (k = %d)\n",
			r.PRDC.Precision, r.PRDC.Recall, r.PRDC.Density, r.PRDC.Coverage, r.K)
	}
	if r.MMD != nil {
		fmt.Fprintf(&b, "mmd   MMD² %.6g  σ %.4g  p = %.4g  (%d permutations, ≤ %d samples of each)\n",
			r.MMD.MMD2, r.MMD.Bandwidth, r.MMD.PValue, r.MMD.Permutations, o.MaxSamples)
	}
	if r.C2ST != nil {
		fmt.Fprintf(&b, "c2st  accuracy %.4f (%d of %d)  p = %.4g  (k = %d)\n",
			r.C2ST.Accuracy, r.C2ST.Correct, r.C2ST.Tested, r.C2ST.PValue, r.K)
	}
	if r.IS != nil {
		fmt.Fprintf(&b, "is    %.4f ± %.3g  (%d splits)\n", r.IS.Mean, r.IS.Std, o.Splits)
	}
	if r.SWD != nil {
		fmt.Fprintf(&b, "swd   ×10³ mean %.4g ", 1e3*r.SWD.Mean)
		for _, l := range r.SWD.Levels {
			fmt.Fprintf(&b, " %d×%d %.4g", l.Side, l.Side, 1e3*l.Distance)
		}
		fmt.Fprintf(&b, "  (%d neighbourhoods per level)\n", r.SWD.Descriptors)
	}
	if r.MSSSIM != nil {
		fmt.Fprintf(&b, "ms-ssim  fake %.4f ± %.3g  real %.4f ± %.3g  (%d random pairs of each)\n",
			r.MSSSIM.Fake.Mean, r.MSSSIM.Fake.Std, r.MSSSIM.Real.Mean, r.MSSSIM.Real.Std, r.MSSSIM.Pairs)
	}
	if r.Modes != nil {
		fmt.Fprintf(&b, "modes %d of %d classes covered  KL to uniform %.4f  diversity %.4g (real %.4g)  counts %v\n",
			r.Modes.Covered, len(r.Modes.Counts), r.Modes.KL, r.Modes.Diversity, r.Modes.RealDiversity, r.Modes.Counts)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
