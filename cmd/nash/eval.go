package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nash-gan/nash/classifier"
	"github.com/nash-gan/nash/evaluate"
	"github.com/nash-gan/nash/metrics"
)

func newEval() *cobra.Command {
	var realPath, fakePath, runDir, net, split, ckpt string
	var asJSON bool
	var n, memN int
	var o evaluate.Options
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
				if err := validate(o, n, memN); err != nil {
					return err
				}
				if runDir != "" {
					if realPath != "" || fakePath != "" {
						return fmt.Errorf("--run cannot be combined with --real and --fake")
					}
					return evalRun(cmd, runDir, runOptions{RunOptions: evaluate.RunOptions{Options: o, N: n, MemorisationN: memN, Split: split}, classifier: net, checkpoint: ckpt,
						metricsChanged: cmd.Flags().Changed("metrics"), asJSON: asJSON})
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
				rep, desc, err := evalPaths(realPath, fakePath, net, o, cmd.ErrOrStderr())
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
func evalPaths(realPath, fakePath, net string, o evaluate.Options, timings io.Writer) (evaluate.Report, *evaluate.FeatureNetwork, error) {
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
	if net == "" {
		net = "mnist"
	}
	m, err := loadClassifier(net)
	if err != nil {
		return evaluate.Report{}, nil, err
	}
	var sets [2]*evaluate.Scored
	for i, p := range []struct{ flag, path string }{{"--real", realPath}, {"--fake", fakePath}} {
		x, err := classifier.ReadImages(p.path)
		if err != nil {
			return evaluate.Report{}, nil, fmt.Errorf("%s: %w", p.flag, err)
		}
		if sets[i], err = evaluate.Score(m, p.path, x); err != nil {
			return evaluate.Report{}, nil, fmt.Errorf("%s: %w", p.flag, err)
		}
	}
	rep, err := evaluate.Images(sets[0], sets[1], o, timings)
	return rep, evaluate.Describe(m), err
}
