package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/nash-gan/nash/metrics"
	"github.com/nash-gan/nash/tensor"
	"github.com/nash-gan/nash/train"
)

// evalMetrics are the metrics nash eval knows, in the order it reports them.
var evalMetrics = []string{"fid", "kid", "prdc", "mmd", "c2st"}

// evalOptions are the settings of nash eval that shape the metrics.
type evalOptions struct {
	metrics       []string
	k             int
	seed          uint64
	kidSubsets    int
	kidSubsetSize int
	maxSamples    int
	permutations  int
}

// evalReport is what nash eval prints; metrics not asked for are left out.
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
}

func newEval() *cobra.Command {
	var realPath, fakePath, runDir string
	var asJSON bool
	var n int
	var o evalOptions
	cmd := &cobra.Command{
		Use:   "eval --real A.npy --fake B.npy | --run DIR",
		Short: "Compare generated samples with real ones: FID, KID, precision/recall/density/coverage, MMD and C2ST tests",
		Long: `Compare two sets of feature vectors, each a .npy file holding a float32 or float64 array of
shape (n, d) in C order (for instance Inception features of real and generated images):

  fid   Fréchet distance of the Gaussians fitted to the sets (needs n > d in both)
  kid   kernel distance, mean ± std over --kid-subsets subsets of --kid-subset-size
  prdc  precision, recall, density and coverage with --k nearest neighbours
  mmd   MMD permutation test (Gaussian kernel, median heuristic) with a p-value
  c2st  classifier two-sample test (k-NN, --k neighbours) with a binomial p-value

mmd and c2st use at most --max-samples samples of each set. Every metric draws its
random numbers from its own stream of --seed, so the results are reproducible and do
not depend on which other metrics are asked for. Timings go to standard error.

With --run DIR, nash eval samples the run's generator instead. For a run on a 2-D mixture
(ring8, grid25) it reports mode coverage as the papers define it: --n samples (2,500), each
assigned to its nearest mode, high quality within 3σ, a mode covered with at least one
high-quality sample, and the KL divergence of the high-quality mode histogram to uniform.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runDir != "" {
				if realPath != "" || fakePath != "" {
					return fmt.Errorf("--run cannot be combined with --real and --fake")
				}
				if cmd.Flags().Changed("metrics") && !slices.Equal(o.metrics, []string{"modes"}) {
					return fmt.Errorf("--metrics: with --run, nash eval measures modes (2-D mixtures); got %v", o.metrics)
				}
				return evalRun(cmd, runDir, n, o.seed, asJSON)
			}
			if realPath == "" || fakePath == "" {
				return fmt.Errorf("--real and --fake are required")
			}
			if err := o.validate(); err != nil {
				return err
			}
			real, err := metrics.ReadNPY(realPath)
			if err != nil {
				return fmt.Errorf("--real: %w", err)
			}
			fake, err := metrics.ReadNPY(fakePath)
			if err != nil {
				return fmt.Errorf("--fake: %w", err)
			}
			rep, err := evaluate(real, fake, o, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(rep)
			}
			return rep.print(cmd.OutOrStdout(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&realPath, "real", "", "real features, a .npy array (n, d)")
	f.StringVar(&fakePath, "fake", "", "generated features, a .npy array (n, d)")
	f.StringSliceVar(&o.metrics, "metrics", evalMetrics, "metrics to compute: "+strings.Join(evalMetrics, ", "))
	f.IntVar(&o.k, "k", metrics.DefaultK, "nearest neighbours for prdc and c2st (Kynkäänniemi et al. use 3 for precision and recall)")
	f.Uint64Var(&o.seed, "seed", 0, "seed of the random subsets, permutations and splits")
	f.IntVar(&o.kidSubsets, "kid-subsets", 100, "kid: number of random subsets")
	f.IntVar(&o.kidSubsetSize, "kid-subset-size", 1000, "kid: samples per subset (fewer if a set is smaller)")
	f.IntVar(&o.maxSamples, "max-samples", 1000, "mmd, c2st: samples drawn from each larger set")
	f.IntVar(&o.permutations, "permutations", 1000, "mmd: random relabellings of the permutation test")
	f.BoolVar(&asJSON, "json", false, "print one JSON object")
	f.StringVar(&runDir, "run", "", "evaluate this run's generator (mode coverage for 2-D mixtures)")
	f.IntVar(&n, "n", 2500, "--run: generated samples")
	return cmd
}

// evalRun reports the mode coverage of a run on a 2-D mixture.
func evalRun(cmd *cobra.Command, dir string, n int, seed uint64, asJSON bool) error {
	if n < 1 {
		return fmt.Errorf("--n: must be positive, got %d", n)
	}
	t, err := train.LoadRun(dir)
	if err != nil {
		return err
	}
	m, err := t.ModeCoverage(n, seed)
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
	}{Run: dir, Dataset: t.Config.Dataset, Step: t.Step, N: n, Modes: m.Covered, Of: len(m.Counts), HQ: m.HighQuality, Counts: m.Counts}
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

// validate checks the options before any file is read.
func (o evalOptions) validate() error {
	for _, m := range o.metrics {
		if !slices.Contains(evalMetrics, m) {
			return fmt.Errorf("--metrics: unknown metric %q (want some of %s)", m, strings.Join(evalMetrics, ", "))
		}
	}
	for _, c := range []struct {
		flag string
		v    int
	}{{"k", o.k}, {"kid-subsets", o.kidSubsets}, {"kid-subset-size", o.kidSubsetSize}, {"max-samples", o.maxSamples}, {"permutations", o.permutations}} {
		if c.v < 1 {
			return fmt.Errorf("--%s: must be positive, got %d", c.flag, c.v)
		}
	}
	return nil
}

// evaluate computes the metrics of o on real and fake, writing how long
// each took to timings.
func evaluate(real, fake *metrics.Features, o evalOptions, timings io.Writer) (evalReport, error) {
	rep := evalReport{Real: real.Name(), Fake: fake.Name(), NReal: real.Len(), NFake: fake.Len(), Dim: real.Dim()}
	if real.Dim() != fake.Dim() {
		return rep, fmt.Errorf("%s has %d values per sample, %s has %d", real.Name(), real.Dim(), fake.Name(), fake.Dim())
	}
	rng := func(name string) *tensor.RNG { return tensor.NewRNG(o.seed, "eval/"+name) }
	for _, name := range evalMetrics {
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
	_, err := io.WriteString(w, b.String())
	return err
}
