package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/nash-gan/nash/classifier"
	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/infer"
	"github.com/nash-gan/nash/metrics"
	"github.com/nash-gan/nash/tensor"
)

// featureMetrics are the metrics of two sets of feature vectors, in the
// order nash eval reports them.
var featureMetrics = []string{"fid", "kid", "prdc", "mmd", "c2st"}

// imageMetrics are the metrics that need images and the feature network's
// class probabilities, or a run's training set (memorisation).
var imageMetrics = []string{"is", "modes", "memorisation"}

// allMetrics is every metric nash eval knows.
var allMetrics = slices.Concat(featureMetrics, imageMetrics)

// evalOptions are the settings of nash eval that shape the metrics.
type evalOptions struct {
	metrics       []string
	k             int
	seed          uint64
	kidSubsets    int
	kidSubsetSize int
	maxSamples    int
	permutations  int
	splits        int
}

// evalReport is the comparison of one set with a reference set; metrics not
// asked for are left out.
type evalReport struct {
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
	Modes *classModes            `json:"modes,omitempty"`
}

// classModes is mode collapse measured on images: the feature network's
// class histogram of the set and the diversity of its features.
type classModes struct {
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

// scored is a set of images passed through the feature network. labels,
// when set, are the classes the images should show: a conditional run's
// requested classes, or real images' own labels.
type scored struct {
	name     string
	features *metrics.Features
	out      *classifier.Output
	labels   []int
}

func newEval() *cobra.Command {
	var realPath, fakePath, runDir, net, split, ckpt string
	var asJSON bool
	var n, memN int
	var o evalOptions
	cmd := &cobra.Command{
		Use:   "eval --real A --fake B | --run DIR",
		Short: "Measure generated samples against real ones: FID, KID, IS, precision/recall/density/coverage, two-sample tests, memorisation, modes",
		Long: `Compare generated samples with real ones.

  fid           Fréchet distance of the Gaussians fitted to the features (needs n > d in both)
  kid           kernel distance, mean ± std over --kid-subsets subsets of --kid-subset-size
  prdc          precision, recall, density and coverage with --k nearest neighbours
  mmd           MMD permutation test (Gaussian kernel, median heuristic) with a p-value
  c2st          classifier two-sample test (k-NN, --k neighbours) with a binomial p-value
  is            Inception-style score of the feature network's class probabilities (--splits)
  modes         class histogram of the generated images (classes covered, KL to uniform) and the
                mean feature distance between two images, beside the real images'; for a
                conditional run, how often the feature network sees the class asked for
  memorisation  (--run) nearest training image of --memorisation-n generated images in feature
                and pixel space against held-out test images': C_T of Meehan et al. and the copy
                rate, and a picture of the closest pairs (eval-memorisation.png)

--real and --fake are two .npy arrays of features (float32 or float64, shape (n, d)), or two sets
of 28×28 grey images — folders of PNG/JPEG files or IDX files — whose features the feature network
(--classifier) computes. Features come from the penultimate layer of nash's own classifier
(nash classifier info names it, with its weights' SHA-256; Inception weights are not used).

With --run DIR on an MNIST or Fashion-MNIST run, nash eval samples --n images from the run's
generator (its moving average when it keeps one), compares them with the --split images of the
dataset, prints beside each number the real-data floor (the training set's images against the
test set's: the value of a perfect generator) and writes eval.json into the run. For a run on a
2-D mixture (ring8, grid25) it reports mode coverage as the papers define it: --n samples (2,500),
each assigned to its nearest mode, high quality within 3σ, a mode covered with at least one
high-quality sample, and the KL divergence of the high-quality mode histogram to uniform.

mmd and c2st use at most --max-samples samples of each set. Every metric draws its random
numbers from its own stream of --seed, so the results are reproducible and do not depend on which
other metrics are asked for. Timings go to standard error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return untilCancelled(cmd.Context(), func() error {
				if err := o.validate(); err != nil {
					return err
				}
				if runDir != "" {
					if realPath != "" || fakePath != "" {
						return fmt.Errorf("--run cannot be combined with --real and --fake")
					}
					return evalRun(cmd, runDir, runOptions{evalOptions: o, n: n, memN: memN, split: split, classifier: net, checkpoint: ckpt,
						metricsChanged: cmd.Flags().Changed("metrics"), asJSON: asJSON})
				}
				if realPath == "" || fakePath == "" {
					return fmt.Errorf("--real and --fake are required")
				}
				if !cmd.Flags().Changed("metrics") {
					o.metrics = featureMetrics
					if !strings.HasSuffix(realPath, ".npy") {
						o.metrics = slices.Concat(featureMetrics, []string{"is", "modes"})
					}
				}
				if slices.Contains(o.metrics, "memorisation") {
					return fmt.Errorf("--metrics: memorisation needs a run's training set: use --run DIR")
				}
				rep, desc, err := evalPaths(realPath, fakePath, net, o, cmd.ErrOrStderr())
				if err != nil {
					return err
				}
				if asJSON {
					return json.NewEncoder(cmd.OutOrStdout()).Encode(struct {
						evalReport
						FeatureNetwork *featureNetwork `json:"feature_network,omitempty"`
					}{rep, desc})
				}
				if desc != nil {
					fmt.Fprintf(cmd.OutOrStdout(), "features: %s\n", desc.Description)
				}
				return rep.print(cmd.OutOrStdout(), o)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&realPath, "real", "", "real samples: a .npy array of features (n, d), a folder of images or an IDX file")
	f.StringVar(&fakePath, "fake", "", "generated samples, as --real")
	f.StringSliceVar(&o.metrics, "metrics", allMetrics, "metrics to compute: "+strings.Join(allMetrics, ", ")+" (default: all that apply)")
	f.IntVar(&o.k, "k", metrics.DefaultK, "nearest neighbours for prdc and c2st (Kynkäänniemi et al. use 3 for precision and recall)")
	f.Uint64Var(&o.seed, "seed", 0, "seed of the generated samples, random subsets, permutations and splits")
	f.IntVar(&o.kidSubsets, "kid-subsets", 100, "kid: number of random subsets")
	f.IntVar(&o.kidSubsetSize, "kid-subset-size", 1000, "kid: samples per subset (fewer if a set is smaller)")
	f.IntVar(&o.maxSamples, "max-samples", 1000, "mmd, c2st: samples drawn from each larger set")
	f.IntVar(&o.permutations, "permutations", 1000, "mmd: random relabellings of the permutation test")
	f.IntVar(&o.splits, "splits", 10, "is: splits of the samples, for the mean ± std")
	f.BoolVar(&asJSON, "json", false, "print one JSON object")
	f.StringVar(&runDir, "run", "", "evaluate this run's generator")
	f.IntVar(&n, "n", 0, "--run: generated samples (default 10000 for images, 2500 for 2-D mixtures)")
	f.StringVar(&split, "split", "test", "--run: the real images compared with: test or train")
	f.StringVar(&ckpt, "checkpoint", "last", "--run: the checkpoint evaluated: last, or best (the lowest FID of the evaluation during training)")
	f.IntVar(&memN, "memorisation-n", 2000, "--run: generated and test images searched for their nearest training image")
	f.StringVar(&net, "classifier", "", "feature network: mnist, fashion-mnist (embedded) or a weights file of nash classifier train (default: the run's dataset; mnist for --real/--fake images)")
	return cmd
}

// untilCancelled runs f and returns its error, or ctx's as soon as ctx is
// cancelled (Ctrl-C): nash eval and nash classifier train have nothing to
// save on the way out, and every file they write is renamed into place
// whole, so stopping mid-way leaves nothing half-written.
func untilCancelled(ctx context.Context, f func() error) error {
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("interrupted: %w", ctx.Err())
	}
}

// validate checks the options before any file is read.
func (o evalOptions) validate() error {
	for _, m := range o.metrics {
		if !slices.Contains(allMetrics, m) {
			return fmt.Errorf("--metrics: unknown metric %q (want some of %s)", m, strings.Join(allMetrics, ", "))
		}
	}
	for _, c := range []struct {
		flag string
		v    int
	}{{"k", o.k}, {"kid-subsets", o.kidSubsets}, {"kid-subset-size", o.kidSubsetSize}, {"max-samples", o.maxSamples},
		{"permutations", o.permutations}, {"splits", o.splits}} {
		if c.v < 1 {
			return fmt.Errorf("--%s: must be positive, got %d", c.flag, c.v)
		}
	}
	return nil
}

// featureNetwork names the feature network in reports.
type featureNetwork struct {
	Description string  `json:"description"`
	Dataset     string  `json:"dataset"`
	Accuracy    float64 `json:"test_accuracy"`
	SHA256      string  `json:"sha256"`
}

func describe(m *classifier.Model) *featureNetwork {
	return &featureNetwork{Description: m.Describe(), Dataset: m.Dataset, Accuracy: m.Accuracy, SHA256: m.SHA256}
}

// loadClassifier returns the feature network named by flag: an embedded
// one by dataset, or a weights file.
func loadClassifier(flag string) (*classifier.Model, error) {
	if slices.Contains(classifier.EmbeddedDatasets, flag) {
		return classifier.Embedded(flag)
	}
	m, err := classifier.Load(flag)
	if err != nil {
		return nil, fmt.Errorf("--classifier: %w", err)
	}
	return m, nil
}

// evalPaths compares --real and --fake: two .npy feature arrays, or two
// sets of images scored by the feature network, whose description it
// returns.
func evalPaths(realPath, fakePath, net string, o evalOptions, timings io.Writer) (evalReport, *featureNetwork, error) {
	realNPY, fakeNPY := strings.HasSuffix(realPath, ".npy"), strings.HasSuffix(fakePath, ".npy")
	if realNPY || fakeNPY {
		if realNPY != fakeNPY {
			return evalReport{}, nil, fmt.Errorf("--real %s and --fake %s: compare two .npy feature arrays or two sets of images, not one of each", realPath, fakePath)
		}
		for _, m := range o.metrics {
			if slices.Contains(imageMetrics, m) {
				return evalReport{}, nil, fmt.Errorf("--metrics: %s needs images and the feature network's class probabilities, not .npy features", m)
			}
		}
		real, err := metrics.ReadNPY(realPath)
		if err != nil {
			return evalReport{}, nil, fmt.Errorf("--real: %w", err)
		}
		fake, err := metrics.ReadNPY(fakePath)
		if err != nil {
			return evalReport{}, nil, fmt.Errorf("--fake: %w", err)
		}
		rep, err := evaluate(real, fake, o, timings)
		return rep, nil, err
	}
	if net == "" {
		net = "mnist"
	}
	m, err := loadClassifier(net)
	if err != nil {
		return evalReport{}, nil, err
	}
	var sets [2]*scored
	for i, p := range []struct{ flag, path string }{{"--real", realPath}, {"--fake", fakePath}} {
		x, err := classifier.ReadImages(p.path)
		if err != nil {
			return evalReport{}, nil, fmt.Errorf("%s: %w", p.flag, err)
		}
		if sets[i], err = score(m, p.path, x); err != nil {
			return evalReport{}, nil, fmt.Errorf("%s: %w", p.flag, err)
		}
	}
	rep, err := evaluateImages(sets[0], sets[1], o, timings)
	return rep, describe(m), err
}

// score passes the images x through the feature network.
func score(m *classifier.Model, name string, x *tensor.Tensor) (*scored, error) {
	out, err := classifier.Extract(m.Net, x)
	if err != nil {
		return nil, err
	}
	f, err := out.FeatureSet(name)
	if err != nil {
		return nil, err
	}
	return &scored{name: name, features: f, out: out}, nil
}

// evaluateImages computes the metrics of o on two sets of scored images:
// the feature metrics on their features, is and modes on fake.
func evaluateImages(real, fake *scored, o evalOptions, timings io.Writer) (evalReport, error) {
	rep, err := evaluate(real.features, fake.features, o, timings)
	if err != nil {
		return rep, err
	}
	if slices.Contains(o.metrics, "is") {
		start := time.Now()
		p, err := fake.out.Probabilities(fake.name)
		if err != nil {
			return rep, err
		}
		v, err := metrics.InceptionScore(p, o.splits)
		if err != nil {
			return rep, err
		}
		rep.IS = &v
		fmt.Fprintf(timings, "is: %.1f s\n", time.Since(start).Seconds())
	}
	if slices.Contains(o.metrics, "modes") {
		start := time.Now()
		pred := fake.out.Predictions()
		h, err := metrics.ClassHistogram(pred, classifier.Classes)
		if err != nil {
			return rep, err
		}
		rng := tensor.NewRNG(o.seed, "eval/diversity")
		div, err := metrics.Diversity(metrics.Subsample(fake.features, o.maxSamples, rng))
		if err != nil {
			return rep, err
		}
		realDiv, err := metrics.Diversity(metrics.Subsample(real.features, o.maxSamples, rng))
		if err != nil {
			return rep, err
		}
		rep.Modes = &classModes{Histogram: h, Diversity: div, RealDiversity: realDiv}
		if fake.labels != nil {
			acc, err := metrics.ClassAccuracy(pred, fake.labels)
			if err != nil {
				return rep, err
			}
			rep.Modes.ClassAccuracy = &acc
		}
		fmt.Fprintf(timings, "modes: %.1f s\n", time.Since(start).Seconds())
	}
	return rep, nil
}

// evaluate computes the feature metrics of o on real and fake, writing how
// long each took to timings.
func evaluate(real, fake *metrics.Features, o evalOptions, timings io.Writer) (evalReport, error) {
	rep := evalReport{Real: real.Name(), Fake: fake.Name(), NReal: real.Len(), NFake: fake.Len(), Dim: real.Dim()}
	if real.Dim() != fake.Dim() {
		return rep, fmt.Errorf("%s has %d values per sample, %s has %d", real.Name(), real.Dim(), fake.Name(), fake.Dim())
	}
	rng := func(name string) *tensor.RNG { return tensor.NewRNG(o.seed, "eval/"+name) }
	for _, name := range featureMetrics {
		if !slices.Contains(o.metrics, name) {
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
			v, err = metrics.KID(real, fake, o.kidSubsets, o.kidSubsetSize, rng(name))
			rep.KID = &v
		case "prdc":
			var v metrics.PRDCScores
			v, err = metrics.PRDC(real, fake, o.k)
			rep.PRDC, rep.K = &v, o.k
		case "mmd":
			r := rng(name)
			var v metrics.MMDTestResult
			v, err = metrics.MMDTest(metrics.Subsample(real, o.maxSamples, r), metrics.Subsample(fake, o.maxSamples, r), o.permutations, r)
			rep.MMD = &v
		case "c2st":
			r := rng(name)
			var v metrics.C2STResult
			v, err = metrics.C2ST(metrics.Subsample(real, o.maxSamples, r), metrics.Subsample(fake, o.maxSamples, r), o.k, r)
			rep.C2ST, rep.K = &v, o.k
		}
		if err != nil {
			return rep, err
		}
		fmt.Fprintf(timings, "%s: %.1f s\n", name, time.Since(start).Seconds())
	}
	return rep, nil
}

// print writes the report as text, one metric to a line.
func (r evalReport) print(w io.Writer, o evalOptions) error {
	var b strings.Builder
	fmt.Fprintf(&b, "real %s: %d × %d   fake %s: %d × %d\n", r.Real, r.NReal, r.Dim, r.Fake, r.NFake, r.Dim)
	if r.FID != nil {
		fmt.Fprintf(&b, "fid   %.6g\n", *r.FID)
	}
	if r.KID != nil {
		fmt.Fprintf(&b, "kid   %.6g ± %.3g  (%d subsets of %d)\n", r.KID.Mean, r.KID.Std, o.kidSubsets, min(o.kidSubsetSize, r.NReal, r.NFake))
	}
	if r.PRDC != nil {
		fmt.Fprintf(&b, "prdc  precision %.4f  recall %.4f  density %.4f  coverage %.4f  (k = %d)\n",
			r.PRDC.Precision, r.PRDC.Recall, r.PRDC.Density, r.PRDC.Coverage, r.K)
	}
	if r.MMD != nil {
		fmt.Fprintf(&b, "mmd   MMD² %.6g  σ %.4g  p = %.4g  (%d permutations, ≤ %d samples of each)\n",
			r.MMD.MMD2, r.MMD.Bandwidth, r.MMD.PValue, r.MMD.Permutations, o.maxSamples)
	}
	if r.C2ST != nil {
		fmt.Fprintf(&b, "c2st  accuracy %.4f (%d of %d)  p = %.4g  (k = %d)\n",
			r.C2ST.Accuracy, r.C2ST.Correct, r.C2ST.Tested, r.C2ST.PValue, r.K)
	}
	if r.IS != nil {
		fmt.Fprintf(&b, "is    %.4f ± %.3g  (%d splits)\n", r.IS.Mean, r.IS.Std, o.splits)
	}
	if r.Modes != nil {
		fmt.Fprintf(&b, "modes %d of %d classes covered  KL to uniform %.4f  diversity %.4g (real %.4g)  counts %v\n",
			r.Modes.Covered, len(r.Modes.Counts), r.Modes.KL, r.Modes.Diversity, r.Modes.RealDiversity, r.Modes.Counts)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// evalToy reports the mode coverage of a run on a 2-D mixture.
func evalToy(cmd *cobra.Command, dir string, t *infer.Generator, n int, seed uint64, asJSON bool) error {
	m, err := modeCoverage(t, n, seed)
	if err != nil {
		return fmt.Errorf("--run %s: %w", dir, err)
	}
	rep := struct {
		Run     string   `json:"run"`
		Dataset string   `json:"dataset"`
		Step    int      `json:"step"`
		N       int      `json:"n"`
		Modes   int      `json:"modes"`
		Of      int      `json:"of"`
		HQ      float64  `json:"high_quality"`
		KL      *float64 `json:"kl,omitempty"`
		Counts  []int    `json:"counts"`
	}{Run: dir, Dataset: t.Dataset, Step: t.Step, N: n, Modes: m.Covered, Of: len(m.Counts), HQ: m.HighQuality, Counts: m.Counts}
	if !math.IsInf(m.KL, 0) {
		rep.KL = &m.KL
	}
	if asJSON {
		return json.NewEncoder(cmd.OutOrStdout()).Encode(rep)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s (%s, step %d, %d samples): %d of %d modes covered, %.1f%% high quality, KL to uniform %.4f\n",
		dir, rep.Dataset, rep.Step, n, rep.Modes, rep.Of, 100*rep.HQ, m.KL)
	return nil
}

// modeCoverage scores n points of the generator, with noise from seed's
// "eval" stream, against the modes of the 2-D mixture it was trained on.
func modeCoverage(g *infer.Generator, n int, seed uint64) (metrics.Modes, error) {
	m, err := data.Toy(g.Dataset)
	if err != nil {
		return metrics.Modes{}, err
	}
	x, err := g.Sample(g.Noise(n, tensor.NewRNG(seed, "eval")), nil)
	if err != nil {
		return metrics.Modes{}, err
	}
	return metrics.MixtureModes(x.Reshape(n, 2), m)
}
