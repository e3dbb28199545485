package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nash-gan/nash/classifier"
	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/evaluate"
	"github.com/nash-gan/nash/images"
	"github.com/nash-gan/nash/infer"
	"github.com/nash-gan/nash/metrics"
	"github.com/nash-gan/nash/tensor"
)

func newEval() *cobra.Command {
	var realPath, fakePath, runDir, net, split, ckpt string
	var imageSize int
	var asJSON bool
	var n, memN int
	var temperatures []float64
	var o evaluate.Options
	var trunc infer.Truncation
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
                rate, and a picture of the closest pairs (eval-memorisation-last.png)
  swd           sliced Wasserstein distance between the Laplacian pyramids of the images, per
                resolution (ProGAN's SWD, ×10³), on at most --max-samples images of each set
  ms-ssim       mean MS-SSIM between --max-samples random pairs of each set's images (diversity)

--real and --fake are two .npy arrays of features (float32 or float64, shape (n, d)), or two sets
of images — folders of PNG/JPEG files or IDX files. 28×28 images are scored by the feature network
(--classifier); images of any other size (or with --classifier none) are measured on their pixels
by swd, ms-ssim, and mmd and c2st on random projections of the pixels. Features come from the penultimate layer of nash's own classifier
(nash classifier info names it, with its weights' SHA-256; Inception weights are not used).

With --run DIR on an MNIST or Fashion-MNIST run, nash eval samples --n images from the run's
generator (its moving average when it keeps one), compares them with the --split images of the
dataset, prints beside each number the real-data floor (the training set's images against the
test set's: the value of a perfect generator) and writes eval.json into the run. For a run on a
2-D mixture (ring8, grid25) it reports mode coverage as the papers define it: --n samples (2,500),
each assigned to its nearest mode, high quality within 3σ, a mode covered with at least one
high-quality sample, and the KL divergence of the high-quality mode histogram to uniform. For a run
on token sequences it samples --n sequences (10,000) at each of --temperatures and prints the
quality–diversity curve: NLL_oracle against NLL_test for the oracle, BLEU-2…5 against the held-out
lines beside Self-BLEU-2…5 and NLL_test for text.

mmd and c2st use at most --max-samples samples of each set. Every metric draws its random
numbers from its own stream of --seed, so the results are reproducible and do not depend on which
other metrics are asked for. Timings go to standard error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return untilCancelled(cmd.Context(), func() error {
				if err := validate(o, n, memN); err != nil {
					return err
				}
				if err := trunc.Validate(); err != nil {
					return err
				}
				if runDir == "" && !trunc.Off() {
					return fmt.Errorf("--truncation and --truncation-threshold sample a run's generator: use them with --run")
				}
				if runDir != "" {
					if realPath != "" || fakePath != "" {
						return fmt.Errorf("--run cannot be combined with --real and --fake")
					}
					return evalRun(cmd, runDir, runOptions{RunOptions: evaluate.RunOptions{Options: o, N: n, MemorisationN: memN, Split: split}, classifier: net, checkpoint: ckpt,
						metricsChanged: cmd.Flags().Changed("metrics"), asJSON: asJSON, truncation: trunc, temperatures: temperatures})
				}
				if realPath == "" || fakePath == "" {
					return fmt.Errorf("--real and --fake are required")
				}
				if !cmd.Flags().Changed("metrics") {
					o.Metrics = evaluate.FeatureMetrics
					if !strings.HasSuffix(realPath, ".npy") {
						o.Metrics = slices.Concat(evaluate.FeatureMetrics, []string{"is", "modes"})
					}
				}
				if slices.Contains(o.Metrics, "memorisation") {
					return fmt.Errorf("--metrics: memorisation needs a run's training set: use --run DIR")
				}
				rep, desc, err := evalPaths(realPath, fakePath, net, imageSize, cmd.Flags().Changed("metrics"), o, cmd.ErrOrStderr())
				if err != nil {
					return err
				}
				if asJSON {
					return json.NewEncoder(cmd.OutOrStdout()).Encode(struct {
						evaluate.Report
						FeatureNetwork *evaluate.FeatureNetwork `json:"feature_network,omitempty"`
					}{rep, desc})
				}
				if desc != nil {
					fmt.Fprintf(cmd.OutOrStdout(), "features: %s\n", desc.Description)
				}
				return rep.Print(cmd.OutOrStdout(), o)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&realPath, "real", "", "real samples: a .npy array of features (n, d), a folder of images or an IDX file")
	f.StringVar(&fakePath, "fake", "", "generated samples, as --real")
	f.StringSliceVar(&o.Metrics, "metrics", evaluate.AllMetrics, "metrics to compute: "+strings.Join(evaluate.AllMetrics, ", ")+" (default: all that apply)")
	f.IntVar(&o.K, "k", metrics.DefaultK, "nearest neighbours for prdc and c2st (Kynkäänniemi et al. use 3 for precision and recall)")
	f.Uint64Var(&o.Seed, "seed", 0, "seed of the generated samples, random subsets, permutations and splits")
	f.IntVar(&o.KIDSubsets, "kid-subsets", 100, "kid: number of random subsets")
	f.IntVar(&o.KIDSubsetSize, "kid-subset-size", 1000, "kid: samples per subset (fewer if a set is smaller)")
	f.IntVar(&o.MaxSamples, "max-samples", 1000, "mmd, c2st: samples drawn from each larger set")
	f.IntVar(&o.Permutations, "permutations", 1000, "mmd: random relabellings of the permutation test")
	f.IntVar(&o.Splits, "splits", 10, "is: splits of the samples, for the mean ± std")
	f.BoolVar(&asJSON, "json", false, "print one JSON object")
	f.StringVar(&runDir, "run", "", "evaluate this run's generator")
	f.IntVar(&n, "n", 0, "--run: generated samples (default 10000 for images, 2500 for 2-D mixtures)")
	f.StringVar(&split, "split", "test", "--run: the real images compared with: test or train")
	f.StringVar(&ckpt, "checkpoint", "last", "--run: "+checkpointUsage)
	addTruncationFlags(f, &trunc)
	f.Float64SliceVar(&temperatures, "temperatures", []float64{1}, "--run on token sequences: the sampling temperatures of the quality–diversity curve")
	f.IntVar(&memN, "memorisation-n", 2000, "--run: generated and test images searched for their nearest training image")
	f.StringVar(&net, "classifier", "", "feature network: mnist, fashion-mnist (embedded) or a weights file of nash classifier train (default: the run's dataset; mnist for 28×28 --real/--fake images), or none: the metrics on pixels (swd, ms-ssim, mmd, c2st), which other images get by default")
	f.IntVar(&imageSize, "image-size", 0, "--real/--fake folders measured on pixels: the side their images are fitted to (0: the first real image's shorter side)")
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

// maxEvalSamples bounds the samples nash eval generates or searches
// (--n, --memorisation-n): 100,000 images of 28×28 take 300 MB.
const maxEvalSamples = 100_000

// validate checks the options of the flags, and --n and --memorisation-n
// (n and memN) of --run, before any file is read: each is positive and
// within its bound.
func validate(o evaluate.Options, n, memN int) error {
	for _, m := range o.Metrics {
		if !slices.Contains(evaluate.AllMetrics, m) {
			return fmt.Errorf("--metrics: unknown metric %.40q (want some of %s)", m, strings.Join(evaluate.AllMetrics, ", "))
		}
	}
	for _, c := range []struct {
		flag   string
		v, max int
	}{{"k", o.K, 1000}, {"kid-subsets", o.KIDSubsets, 10_000}, {"kid-subset-size", o.KIDSubsetSize, maxEvalSamples},
		{"max-samples", o.MaxSamples, maxEvalSamples}, {"permutations", o.Permutations, 100_000}, {"splits", o.Splits, 1000}} {
		if c.v < 1 {
			return fmt.Errorf("--%s: must be positive, got %d", c.flag, c.v)
		}
		if c.v > c.max {
			return fmt.Errorf("--%s: must be at most %d, got %d", c.flag, c.max, c.v)
		}
	}
	for _, c := range []struct {
		flag string
		v    int
	}{{"n", n}, {"memorisation-n", memN}} {
		if c.v > maxEvalSamples {
			return fmt.Errorf("--%s: must be at most %d, got %d", c.flag, maxEvalSamples, c.v)
		}
	}
	return nil
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
func evalPaths(realPath, fakePath, net string, imageSize int, metricsGiven bool, o evaluate.Options, timings io.Writer) (evaluate.Report, *evaluate.FeatureNetwork, error) {
	realNPY, fakeNPY := strings.HasSuffix(realPath, ".npy"), strings.HasSuffix(fakePath, ".npy")
	if realNPY || fakeNPY {
		if realNPY != fakeNPY {
			return evaluate.Report{}, nil, fmt.Errorf("--real %s and --fake %s: compare two .npy feature arrays or two sets of images, not one of each", realPath, fakePath)
		}
		for _, m := range o.Metrics {
			if slices.Contains(evaluate.ImageMetrics, m) {
				return evaluate.Report{}, nil, fmt.Errorf("--metrics: %s needs images and the feature network's class probabilities, not .npy features", m)
			}
		}
		real, err := metrics.ReadNPY(realPath)
		if err != nil {
			return evaluate.Report{}, nil, fmt.Errorf("--real: %w", err)
		}
		fake, err := metrics.ReadNPY(fakePath)
		if err != nil {
			return evaluate.Report{}, nil, fmt.Errorf("--fake: %w", err)
		}
		rep, err := evaluate.Features(real, fake, o, timings)
		return rep, nil, err
	}
	if net == "none" || net == "" {
		real, err := readPixels(realPath, imageSize)
		if err != nil {
			return evaluate.Report{}, nil, fmt.Errorf("--real: %w", err)
		}
		if net == "none" || real.Dim(2) != classifier.Side || real.Dim(3) != classifier.Side {
			if !metricsGiven {
				o.Metrics = evaluate.NoNetworkMetrics
			}
			rep, err := evalPixels(real, fakePath, o, timings)
			return rep, nil, err
		}
		net = "mnist"
	}
	m, err := loadClassifier(net)
	if err != nil {
		return evaluate.Report{}, nil, err
	}
	var sets [2]*evaluate.Scored
	var pics [2]*tensor.Tensor
	for i, p := range []struct{ flag, path string }{{"--real", realPath}, {"--fake", fakePath}} {
		if pics[i], err = classifier.ReadImages(p.path); err != nil {
			return evaluate.Report{}, nil, fmt.Errorf("%s: %w", p.flag, err)
		}
		if sets[i], err = evaluate.Score(m, p.path, pics[i]); err != nil {
			return evaluate.Report{}, nil, fmt.Errorf("%s: %w", p.flag, err)
		}
	}
	rep, err := evaluate.Images(sets[0], sets[1], o, timings)
	if err != nil {
		return rep, nil, err
	}
	return rep, evaluate.Describe(m), evaluate.Pixels(&rep, pics[0], pics[1], o, timings)
}

// evalPixels compares the images real with those of fakePath, fitted to
// real's size, by the metrics that need no feature network
// (evaluate.Projected).
func evalPixels(real *tensor.Tensor, fakePath string, o evaluate.Options, timings io.Writer) (evaluate.Report, error) {
	if bad := evaluate.NeedNetwork(o.Metrics); len(bad) > 0 {
		return evaluate.Report{}, fmt.Errorf("--metrics: %s need a feature network (--classifier), which takes 28×28 images; these images are %d×%d: use %s",
			strings.Join(bad, ", "), real.Dim(2), real.Dim(3), strings.Join(evaluate.NoNetworkMetrics, ", "))
	}
	fake, err := readPixels(fakePath, real.Dim(2))
	if err != nil {
		return evaluate.Report{}, fmt.Errorf("--fake: %w", err)
	}
	if !slices.Equal(real.Shape()[1:], fake.Shape()[1:]) {
		return evaluate.Report{}, fmt.Errorf("--real images are %v, --fake images %v: compare images of one shape", real.Shape()[1:], fake.Shape()[1:])
	}
	return evaluate.Projected(real, fake, o, timings)
}

// readPixels reads the images of path at their own size for the pixel
// metrics, as [N, C, H, W] in [−1, 1]: a folder of PNG and JPEG files (as
// training reads one: class sub-folders allowed, each image's centre square
// fitted to size×size, 0 meaning the shorter side of its first image;
// grey when every image is) or an IDX file of unsigned bytes [N, H, W] or
// [N, C, H, W].
func readPixels(path string, size int) (*tensor.Tensor, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		idx, err := data.OpenIDX(path)
		if err != nil {
			return nil, fmt.Errorf("%s is neither a folder of images nor an IDX file: %w", path, err)
		}
		d := slices.Clone(idx.Dims)
		if len(d) == 3 {
			d = []int{d[0], 1, d[1], d[2]}
		}
		if len(d) != 4 || d[0] < 1 {
			return nil, fmt.Errorf("%s: IDX array of shape %v, want [N H W] or [N C H W] images", path, idx.Dims)
		}
		x := tensor.New(d...)
		images.ToValues(x.Data(), idx.Data)
		return x, nil
	}
	if size == 0 {
		if size, err = firstImageSide(path); err != nil {
			return nil, err
		}
	}
	ds, err := data.LoadFolder(path, size)
	if err != nil {
		return nil, err
	}
	return classifier.Images(ds), nil
}

// firstImageSide returns the shorter side of the first PNG or JPEG image of
// the folder dir, in name order, looking into sub-folders.
func firstImageSide(dir string) (int, error) {
	var first string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || first != "" {
			return err
		}
		if !d.IsDir() && images.IsImageName(p) {
			first = p
			return fs.SkipAll
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if first == "" {
		return 0, fmt.Errorf("%s holds no .png, .jpg or .jpeg files", dir)
	}
	img, _, err := images.Decode(first)
	if err != nil {
		return 0, err
	}
	b := img.Bounds()
	return min(b.Dx(), b.Dy()), nil
}
