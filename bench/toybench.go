// Package bench measures nash: the time of a training step (nash bench),
// and the 2-D benchmark of every objective's mode coverage (nash toybench).
package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"
	"time"

	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/infer"
	"github.com/nash-gan/nash/metrics"
	"github.com/nash-gan/nash/tensor"
	"github.com/nash-gan/nash/train"
)

// toySamples is the number of generated points of each final generator
// that the benchmark scores, as the papers' protocol has it.
const toySamples = 2500

// ToyVariant is one configuration of the 2-D benchmark: a name for the
// table and the settings that differ from the benchmark's base.
type ToyVariant struct {
	Name string
	// Apply edits a configuration whose dataset, seed, steps and output
	// are already set.
	Apply func(*train.Config)
}

// ToyResult is the mode coverage of one trained run.
type ToyResult struct {
	Variant, Dataset string
	Seed             uint64
	Modes            int
	HighQuality      float64
	KL               float64
	Seconds          float64
}

// ToyBench trains every variant on every dataset with each seed, for steps
// steps each, into runs under dir, and returns the mode coverage of 2,500
// samples of each final generator (its moving average when it keeps one).
// Progress lines go to log.
func ToyBench(ctx context.Context, base train.Config, variants []ToyVariant, datasets []string, seeds []uint64, dir string, log io.Writer) ([]ToyResult, error) {
	var out []ToyResult
	for _, ds := range datasets {
		m, err := data.Toy(ds)
		if err != nil {
			return nil, err
		}
		for _, v := range variants {
			for _, seed := range seeds {
				cfg := base
				cfg.Dataset, cfg.Seed = ds, seed
				v.Apply(&cfg)
				if err := cfg.Validate(); err != nil {
					return nil, fmt.Errorf("variant %s: %w", v.Name, err)
				}
				runDir := filepath.Join(dir, fmt.Sprintf("%s-%s-seed%d", ds, v.Name, seed))
				t0 := time.Now()
				if err := train.Run(ctx, cfg, runDir, true, io.Discard); err != nil {
					return nil, fmt.Errorf("variant %s on %s, seed %d: %w", v.Name, ds, seed, err)
				}
				secs := time.Since(t0).Seconds()
				r, err := ToyScore(runDir, m, seed)
				if err != nil {
					return nil, err
				}
				r.Variant, r.Dataset, r.Seconds = v.Name, ds, secs
				fmt.Fprintf(log, "%-8s %-22s seed %d: %2d modes, %5.1f%% high quality, %.0fs\n",
					ds, v.Name, seed, r.Modes, 100*r.HighQuality, r.Seconds)
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// ToyScore measures the final generator of the run in runDir, trained on
// the 2-D mixture m with seed, as the benchmark does (2,500 samples of
// the seed's "toybench" noise, from the moving average when it keeps one):
// the result's Modes, HighQuality and KL.
func ToyScore(runDir string, m *data.Mixture, seed uint64) (ToyResult, error) {
	g, err := infer.LoadRun(runDir, "last")
	if err != nil {
		return ToyResult{}, err
	}
	x, err := g.Sample(g.Noise(toySamples, tensor.NewRNG(seed, "toybench")), nil)
	if err != nil {
		return ToyResult{}, err
	}
	mc, err := metrics.MixtureModes(x.Reshape(toySamples, 2), m)
	if err != nil {
		return ToyResult{}, err
	}
	return ToyResult{Seed: seed, Modes: mc.Covered, HighQuality: mc.HighQuality, KL: mc.KL}, nil
}

// published are the papers' rows, each with the table it is from: modes
// covered and high-quality percentage on ring8 and grid25 (2,500 samples,
// mean over seeds).
var published = []struct {
	name, source string
	ring, ringHQ float64
	grid, gridHQ float64
}{
	{"GAN", "VEEGAN table 1", 1, 99.3, 3.3, 0.5},
	{"Unrolled GAN", "VEEGAN table 1", 7.6, 35.6, 23.6, 16},
	{"VEEGAN", "VEEGAN table 1", 8, 52.9, 24.6, 40},
	{"WGAN-GP", "GDPP table 1", 6.8, 59.6, 24.2, 28.7},
	{"PacGAN2", "PacGAN table 1", 7.9, 95.6, 23.8, 91.3},
	{"PacGAN4", "PacGAN table 1", 7.8, 95.9, 24.8, 93.6},
}

// ToyTable formats results as a markdown table, one row per variant, with
// modes and high-quality percentage as mean ± standard deviation over the
// seeds and the mean wall time of a run, followed by the published rows.
func ToyTable(results []ToyResult, variants []ToyVariant) string {
	var b strings.Builder
	b.WriteString("| model | ring8 modes (of 8) | ring8 HQ % | grid25 modes (of 25) | grid25 HQ % | s/run |\n")
	b.WriteString("|---|---|---|---|---|---|\n")
	for _, v := range variants {
		var cells []string
		var secs []float64
		for _, ds := range []string{"ring8", "grid25"} {
			var modes, hq []float64
			for _, r := range results {
				if r.Variant == v.Name && r.Dataset == ds {
					modes = append(modes, float64(r.Modes))
					hq = append(hq, 100*r.HighQuality)
					secs = append(secs, r.Seconds)
				}
			}
			cells = append(cells, meanStd(modes, 1), meanStd(hq, 1))
		}
		m, _ := meanAndStd(secs)
		fmt.Fprintf(&b, "| nash %s | %s | %.0f |\n", v.Name, strings.Join(cells, " | "), m)
	}
	for _, p := range published {
		fmt.Fprintf(&b, "| %s (%s) | %g | %g | %g | %g | |\n", p.name, p.source, p.ring, p.ringHQ, p.grid, p.gridHQ)
	}
	return b.String()
}

func meanAndStd(v []float64) (mean, std float64) {
	if len(v) == 0 {
		return math.NaN(), math.NaN()
	}
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	for _, x := range v {
		std += (x - mean) * (x - mean)
	}
	if len(v) > 1 {
		std = math.Sqrt(std / float64(len(v)-1))
	}
	return mean, std
}

func meanStd(v []float64, digits int) string {
	if len(v) == 0 {
		return "–"
	}
	m, s := meanAndStd(v)
	if len(v) == 1 {
		return fmt.Sprintf("%.*f (one seed)", digits, m)
	}
	return fmt.Sprintf("%.*f ± %.*f", digits, m, digits, s)
}

// ToyVariants returns the benchmark's variants: every objective with its
// paper's defaults, then nash's recommended configuration for 2-D mixtures.
func ToyVariants() []ToyVariant {
	var vs []ToyVariant
	for _, l := range gan.Losses {
		vs = append(vs, ToyVariant{Name: string(l), Apply: func(c *train.Config) {
			c.Loss = string(l)
			*c = c.Resolve(func(string) bool { return false })
		}})
	}
	return append(vs, ToyVariant{Name: RecommendedToy.Name, Apply: RecommendedToy.Apply})
}

// RecommendedToy is nash's configuration for the 2-D mixtures, the presets
// ring8 and grid25 (train.Presets) with the benchmark's own batch and
// length: the non-saturating loss with an R1 penalty on real samples, a
// learning rate of 2e-3 for both networks (ten times the recipe's) that
// falls linearly to 0 over the second half of the run, and sampling from a
// moving average of the generator (half-life 30k images). The high rate
// moves the generator's mass off the bridges between modes within a few
// thousand steps, and the decay (with the average) then freezes both
// networks at the equilibrium instead of leaving the generator to jitter
// around modes as narrow as the 3σ test. The R1 weight γ follows the
// modes' variance, since the penalty (γ/2)‖∇D‖² grows as 1/scale² when the
// data shrink: γ = 120σ², 0.3 for grid25 (σ = 0.05) and 0.012 for ring8
// (σ = 0.01), whose modes a γ of 0.3 smooths the discriminator too much to
// place.
var RecommendedToy = ToyVariant{Name: "ns+r1+ema+decay", Apply: func(c *train.Config) {
	p, err := train.LookupPreset(c.Dataset)
	if err != nil {
		panic(fmt.Sprintf("bench: the recommended 2-D configuration of %s: %v", c.Dataset, err))
	}
	batch, steps := c.Batch, c.Steps
	if *c, _, err = p.Apply(*c); err != nil {
		panic(fmt.Sprintf("bench: %v", err))
	}
	c.Batch, c.Steps = batch, steps
}}
