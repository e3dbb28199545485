// Command nash trains generative adversarial networks, samples from them
// and times them, with no dependency outside this binary.
//
//	nash train                      # the reference MLP GAN on embedded MNIST, 50 epochs
//	nash sample --run DIR           # a grid of digits from a run's last checkpoint
//	nash export --run DIR --out g.onnx   # the generator as an ONNX model
//	nash serve --run DIR            # the generator over HTTP
//	nash bench                      # ms per training step and GFLOP/s
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/nash-gan/nash/bench"
	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/dist"
	"github.com/nash-gan/nash/images"
	"github.com/nash-gan/nash/infer"
	"github.com/nash-gan/nash/internal/nearest"
	"github.com/nash-gan/nash/models"
	"github.com/nash-gan/nash/train"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRoot().ExecuteContext(ctx)
	stop()
	if err != nil {
		// Under mpirun, rank 0 reports what every rank meets alike.
		if dist.LaunchedRank() == 0 {
			fmt.Fprintln(os.Stderr, "nash:", err)
		}
		if errors.Is(err, context.Canceled) {
			os.Exit(130)
		}
		os.Exit(1)
	}
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "nash",
		Short:         "Train, sample and benchmark GANs in pure Go",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newTrain(), newSample(), newExport(), newServe(), newBench(), newInterpolate(), newToyBench(), newBoard(), newEval(), newClassifier(),
		newDownload(), newRuns(), newPresets(), newSweep(), newTranslate())
	root.SetFlagErrorFunc(suggestFlag)
	return root
}

// suggestFlag adds to an unknown flag's error the command's flag it is
// likely a typo of: "unknown flag: --epoch (did you mean --epochs?)".
func suggestFlag(cmd *cobra.Command, err error) error {
	name, ok := strings.CutPrefix(err.Error(), "unknown flag: --")
	if !ok {
		return err
	}
	var known []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) { known = append(known, f.Name) })
	if k, ok := nearest.Name(name, known); ok {
		return fmt.Errorf("%w (did you mean --%s?)", err, k)
	}
	return err
}

func newTrain() *cobra.Command {
	var configFile, out, resume, preset string
	var force bool
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Train a GAN (with no flags: the reference MLP GAN on MNIST for 50 epochs)",
		Long: `Train a GAN and write a run directory: config.yaml, metrics.jsonl, samples/ and checkpoints/.
Settings come from the defaults, then --preset NAME (nash presets lists them), then --config FILE
(YAML with the same keys as the flags, '_' for '-'), then the flags given on the command line.`,
		Args: cobra.NoArgs,
	}
	flags := bindConfig(cmd.Flags(), train.DefaultConfig())
	cmd.Flags().StringVar(&configFile, "config", "", "YAML configuration file; flags override it")
	cmd.Flags().StringVar(&preset, "preset", "", "named configuration under --config and the flags: "+strings.Join(train.PresetNames(), ", ")+" (nash presets)")
	cmd.Flags().StringVar(&out, "out", "", "run directory (default runs/<timestamp>)")
	cmd.Flags().BoolVar(&force, "force", false, "reuse an existing run directory, replacing its run files")
	cmd.Flags().StringVar(&resume, "resume", "", "continue the run in this directory from its last checkpoint")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if resume != "" {
			for _, f := range []string{"config", "out", "force", "preset"} {
				if cmd.Flags().Changed(f) {
					return fmt.Errorf("--%s cannot be used with --resume", f)
				}
			}
			return onRanks(cmd, func(ctx context.Context, log io.Writer) error {
				return train.Resume(ctx, resume, func(stored train.Config) (train.Config, error) {
					return train.MergeResume(stored, flags.over(stored), flags.changed())
				}, log)
			})
		}
		cfg := train.DefaultConfig()
		var presetKeys, fileKeys []string
		if preset != "" {
			p, err := train.LookupPreset(preset)
			if err != nil {
				return fmt.Errorf("--preset: %w", err)
			}
			if cfg, presetKeys, err = p.Apply(cfg); err != nil {
				return fmt.Errorf("--preset: %w", err)
			}
		}
		if configFile != "" {
			var err error
			if cfg, fileKeys, err = train.LoadConfig(configFile, cfg); err != nil {
				return fmt.Errorf("--config: %w", err)
			}
		}
		given := slices.Concat(presetKeys, fileKeys, flags.changed())
		cfg = flags.over(cfg).Resolve(func(key string) bool { return slices.Contains(given, key) })
		if err := cfg.Validate(); err != nil {
			return fmt.Errorf("invalid configuration: %w", err)
		}
		if out == "" {
			out = newRunName("runs", time.Now())
		}
		return onRanks(cmd, func(ctx context.Context, log io.Writer) error {
			return train.Run(ctx, cfg, out, force, log)
		})
	}
	return cmd
}

// newRunName returns the default folder of a new run in dir: the time,
// 20261202-150405, with -2, -3, … added while that name is taken (two runs
// started within a second).
func newRunName(dir string, now time.Time) string {
	base := filepath.Join(dir, now.Format("20060102-150405"))
	name := base
	for i := 2; ; i++ {
		if _, err := os.Lstat(name); errors.Is(err, fs.ErrNotExist) {
			return name
		}
		name = fmt.Sprintf("%s-%d", base, i)
	}
}

func newBench() *cobra.Command {
	var asJSON, busy bool
	var warmup, repeats, steps, background, rounds int
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Time one training step (one D update and one G update) of the reference recipe or another objective",
		Args:  cobra.NoArgs,
	}
	flags := bindConfig(cmd.Flags(), train.DefaultConfig(), "model", "loss", "batch", "threads", "seed", "gp", "r1",
		"image_size", "ngf", "ndf", "n_blocks", "n_layers_d")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	cmd.Flags().IntVar(&warmup, "warmup", 3, "untimed steps first")
	cmd.Flags().IntVar(&repeats, "repeats", 5, "timed repeats (the median is reported)")
	cmd.Flags().IntVar(&steps, "bench-steps", 20, "steps per timed repeat")
	cmd.Flags().IntVar(&background, "background", 0, "time 1 and 2 threads and the default, alternately on the machine as it is and with this many busy processes beside the benchmark")
	cmd.Flags().IntVar(&rounds, "rounds", 3, "with --background: alternations of quiet and loaded (the median is reported)")
	cmd.Flags().BoolVar(&busy, "busy", false, "keep one CPU busy until standard input closes (what --background starts)")
	cmd.Flags().MarkHidden("busy")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if busy {
			bench.Busy(cmd.Context(), cmd.InOrStdin())
			return nil
		}
		given := flags.changed()
		cfg := flags.over(train.DefaultConfig())
		if cfg.Model == "cyclegan" {
			// Timed on noise: a folder that is never read stands for
			// the two domains.
			cfg.Dataset, cfg.Data = "folder", "noise"
		}
		cfg = cfg.Resolve(func(key string) bool { return slices.Contains(given, key) })
		// One benchmarked step is one D update and one G update.
		cfg.NCritic = 1
		if f, err := models.Lookup(cfg.Model); err == nil && slices.Contains(f.Data, data.Tokens) {
			// A sequence model is timed on the oracle benchmark's sizes.
			cfg.Dataset = "oracle"
		}
		if err := cfg.Validate(); err != nil {
			return fmt.Errorf("invalid configuration: %w", err)
		}
		if warmup < 0 || repeats <= 0 || steps <= 0 || warmup > maxBenchSteps || repeats > maxBenchRepeats || steps > maxBenchSteps {
			return fmt.Errorf("--warmup must be 0 to %d, --repeats 1 to %d and --bench-steps 1 to %d", maxBenchSteps, maxBenchRepeats, maxBenchSteps)
		}
		if background != 0 {
			return benchUnderLoad(cmd, cfg, slices.Contains(given, "threads"), warmup, repeats, steps, rounds, background, asJSON)
		}
		r, err := bench.Bench(cfg, warmup, repeats, steps)
		if err != nil {
			return err
		}
		if asJSON {
			return json.NewEncoder(cmd.OutOrStdout()).Encode(r)
		}
		fmt.Fprintf(cmd.OutOrStdout(), "nash model=%s loss=%s threads=%d kernel=%s batch=%d ms/step median=%.2f min=%.2f max=%.2f  %.3f GFLOP/step  %.1f GFLOP/s (%.0f%% of a 1024³ product's %.1f)\n",
			r.Model, r.Loss, r.Threads, r.Kernel, r.Batch, r.MsMedian, r.MsMin, r.MsMax, r.GFLOPs, r.GFLOPsPerS, r.PctPeak, r.PeakGFLOPsPerS)
		return nil
	}
	return cmd
}

func newInterpolate() *cobra.Command {
	var run, out, ckpt string
	var from, to uint64
	var steps, scale, class int
	var slerp, asGIF bool
	cmd := &cobra.Command{
		Use:   "interpolate --run DIR --from S1 --to S2",
		Short: "Walk the latent space between two seeds: a PNG strip, or an animated GIF with --gif",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if steps < 2 || steps > maxWalkSteps {
				return fmt.Errorf("--steps: must be between 2 and %d, got %d", maxWalkSteps, steps)
			}
			if asGIF && (scale < 1 || scale > maxGIFScale) {
				return fmt.Errorf("--scale: must be between 1 and %d, got %d", maxGIFScale, scale)
			}
			g, err := loadCheckpoint(run, ckpt)
			if err != nil {
				return err
			}
			if g.Spec.Data == data.Tokens {
				return fmt.Errorf("--run %s: a run on token sequences has no picture to walk between: nash sample --out FILE.txt samples it", run)
			}
			if s := g.Spec.Sample; asGIF && steps*s.H*s.W*scale*scale > maxGIFPixels {
				return fmt.Errorf("--scale: %d frames of %d×%d pixels exceed the GIF's %d pixels: lower --scale or --steps", steps, s.W*scale, s.H*scale, maxGIFPixels)
			}
			walk := infer.Walk{From: from, To: to, Steps: steps, Slerp: slerp, Class: class}
			if cmd.Flags().Changed("class") {
				if err := g.CheckClass(class); err != nil {
					return fmt.Errorf("--class: %s: %w", run, err)
				}
			}
			if asGIF {
				err = g.WriteInterpolationGIF(out, walk, scale)
			} else {
				var img image.Image
				if img, err = g.InterpolationStrip(walk); err == nil {
					err = images.WritePNG(out, img)
				}
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", out)
			return nil
		},
	}
	cmd.Flags().StringVar(&run, "run", "", "run directory (required)")
	cmd.Flags().Uint64Var(&from, "from", 0, "seed of the first latent (as nash sample --seed)")
	cmd.Flags().Uint64Var(&to, "to", 1, "seed of the last latent")
	cmd.Flags().IntVar(&steps, "steps", 10, "images along the path, ends included")
	cmd.Flags().BoolVar(&slerp, "slerp", false, "spherical instead of linear interpolation")
	cmd.Flags().BoolVar(&asGIF, "gif", false, "write an animated GIF (forth and back) instead of a PNG strip")
	cmd.Flags().IntVar(&scale, "scale", 4, "GIF pixel scale")
	cmd.Flags().IntVar(&class, "class", 0, "the class of every image of the walk (conditional runs only)")
	cmd.Flags().StringVar(&out, "out", "interpolation.png", "file to write")
	addCheckpointFlag(cmd.Flags(), &ckpt)
	cmd.MarkFlagRequired("run")
	return cmd
}

func newToyBench() *cobra.Command {
	var out, markdown string
	var datasets, variants []string
	var seeds int
	cmd := &cobra.Command{
		Use:   "toybench",
		Short: "Train every objective on the 2-D mixtures ring8 and grid25 with several seeds and tabulate mode coverage",
		Long: `Train every objective (and nash's recommended configuration) on ring8 and grid25, once per seed, and
measure each final generator as the papers do: 2,500 samples, each assigned to its nearest mode, high quality
within 3σ, a mode covered with at least one high-quality sample. Prints a markdown table beside the published
numbers.`,
		Args: cobra.NoArgs,
	}
	base := train.DefaultConfig()
	base.Batch, base.Steps, base.SampleEvery, base.LogEvery = 256, 30000, 5000, 100
	flags := bindConfig(cmd.Flags(), base, "steps", "batch", "threads")
	cmd.Flags().StringVar(&out, "out", filepath.Join("runs", "toybench"), "folder for the runs (replaced if they exist)")
	cmd.Flags().StringVar(&markdown, "markdown", "", "also write the table to this file")
	cmd.Flags().StringSliceVar(&datasets, "datasets", []string{"ring8", "grid25"}, "datasets")
	cmd.Flags().StringSliceVar(&variants, "variants", nil, "variants to run (default: all)")
	cmd.Flags().IntVar(&seeds, "seeds", 5, "seeds per variant and dataset (1, 2, …)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg := flags.over(base)
		var vs []bench.ToyVariant
		for _, v := range bench.ToyVariants() {
			if len(variants) == 0 || slices.Contains(variants, v.Name) {
				vs = append(vs, v)
			}
		}
		if len(vs) == 0 {
			return fmt.Errorf("--variants: none of %v is a variant", variants)
		}
		if seeds < 1 || seeds > maxToySeeds {
			return fmt.Errorf("--seeds: must be between 1 and %d, got %d", maxToySeeds, seeds)
		}
		var ss []uint64
		for s := 1; s <= seeds; s++ {
			ss = append(ss, uint64(s))
		}
		res, err := bench.ToyBench(cmd.Context(), cfg, vs, datasets, ss, out, cmd.ErrOrStderr())
		if err != nil {
			return err
		}
		table := bench.ToyTable(res, vs)
		fmt.Fprint(cmd.OutOrStdout(), table)
		if markdown != "" {
			return os.WriteFile(markdown, []byte(table), 0o644)
		}
		return nil
	}
	return cmd
}
