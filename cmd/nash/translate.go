package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/evaluate"
	"github.com/nash-gan/nash/images"
	"github.com/nash-gan/nash/infer"
	"github.com/nash-gan/nash/internal/atomicfile"
	"github.com/nash-gan/nash/models"
	"github.com/nash-gan/nash/rundir"
	"github.com/nash-gan/nash/tensor"
	"github.com/nash-gan/nash/train"
)

// translator returns the generator of the direction, a2b or b2a, of the
// translation run whose G_A is ab.
func translator(ab *infer.Generator, direction string) (*infer.Generator, error) {
	switch direction {
	case "a2b":
		return ab, nil
	case "b2a":
		return ab.Network(models.CycleGB)
	}
	return nil, fmt.Errorf("--direction: %q, want a2b (G_A: A to B) or b2a (G_B: B to A)", direction)
}

// runConfig returns the configuration a checkpoint of g carries.
func runConfig(g *infer.Generator, dir string) (train.Config, error) {
	cfg, _, err := train.ReadConfig(strings.NewReader(g.Config), dir+": config", train.DefaultConfig())
	return cfg, err
}

// evalTranslation measures a translation run (evaluate.Translation) and
// writes eval-<checkpoint>.json, its line in evals.jsonl and the picture.
func evalTranslation(cmd *cobra.Command, ab *infer.Generator, info evaluate.RunInfo, o runOptions) error {
	if o.metricsChanged || o.classifier != "" || o.Split != "test" {
		return fmt.Errorf("--run %s: a translation run is measured per direction (label preservation, FID, cycle error): --metrics, --classifier and --split do not apply", info.Dir)
	}
	if !o.truncation.Off() {
		return fmt.Errorf("--run %s: a translation run's generators take images, not noise: --truncation and --truncation-threshold do not apply", info.Dir)
	}
	n, err := sampleCount("n", o.N, 10000, 2)
	if err != nil {
		return err
	}
	ba, err := ab.Network(models.CycleGB)
	if err != nil {
		return err
	}
	cfg, err := runConfig(ab, info.Dir)
	if err != nil {
		return err
	}
	a, b, err := train.TranslationDomains(cfg, ab.Spec.Sample.H)
	if err != nil {
		return fmt.Errorf("--run %s: %w", info.Dir, err)
	}
	rep, err := evaluate.Translation(ab, ba, a, b, info, n, cmd.ErrOrStderr())
	if err != nil {
		return fmt.Errorf("--run %s: %w", info.Dir, err)
	}
	body, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	line, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	if err := rundir.AppendEvalHistory(info.Dir, line); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(info.Dir, rundir.EvalFile(info.Checkpoint)), append(body, '\n'), 0o644); err != nil {
		return err
	}
	if o.asJSON {
		_, err := fmt.Fprintf(cmd.OutOrStdout(), "%s\n", body)
		return err
	}
	return rep.Print(cmd.OutOrStdout())
}

func newTranslate() *cobra.Command {
	var run, ckpt, direction, in, out, weights string
	var size int
	cmd := &cobra.Command{
		Use:   "translate (--run DIR --direction a2b|b2a | --weights FILE) --in FILE|DIR --out FILE|DIR",
		Short: "Translate an image, or a folder of images, with a translation run's generator (CycleGAN) or a converted release generator",
		Long: `Translate an image, or a folder of PNG/JPEG images, into the other domain:
with --run, the run's G_A (--direction a2b) or G_B (b2a), images fitted to the
run's image size (centre square, resized); with --weights, a generator of the
authors' release (latest_net_G_A.pth converted to safetensors by
scripts/torch_cyclegan.py convert), images fitted to --size. A folder gives a
folder of PNG files of the same names.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (run == "") == (weights == "") {
				return fmt.Errorf("give --run DIR (with --direction) or --weights FILE")
			}
			if in == "" || out == "" {
				return fmt.Errorf("--in and --out: both are needed")
			}
			var g *infer.Generator
			var err error
			if run != "" {
				if cmd.Flags().Changed("size") {
					return fmt.Errorf("--size belongs to --weights: a run translates at its own image size")
				}
				if g, err = loadAny(run, ckpt); err != nil {
					return err
				}
				if g.Spec.Data != data.Unpaired {
					return fmt.Errorf("--run %s: not a translation run (model %s generates from noise): use nash sample", run, g.Spec.Family)
				}
				if g, err = translator(g, direction); err != nil {
					return err
				}
				size = g.Spec.Sample.H
			} else {
				if cmd.Flags().Changed("run") {
					return fmt.Errorf("--run and --weights: give one of them, not both")
				}
				if cmd.Flags().Changed("direction") {
					return fmt.Errorf("--direction belongs to --run: a --weights file is one direction")
				}
				if size < 8 || size > 1024 || size%4 != 0 {
					return fmt.Errorf("--size: %d, want a multiple of 4 from 8 to 1024", size)
				}
				if g, err = infer.LoadRelease(weights, size); err != nil {
					return err
				}
			}
			return translateFiles(cmd, g, size, in, out)
		},
	}
	f := cmd.Flags()
	f.StringVar(&run, "run", "", "translation run directory (nash train --model cyclegan)")
	addCheckpointFlag(f, &ckpt)
	f.StringVar(&direction, "direction", "a2b", "a2b (G_A) or b2a (G_B)")
	f.StringVar(&weights, "weights", "", "a generator of the reference release converted to safetensors, instead of --run")
	f.IntVar(&size, "size", 256, "with --weights: the side images are fitted to")
	f.StringVar(&in, "in", "", "an image (PNG or JPEG), or a folder of images")
	f.StringVar(&out, "out", "", "the translated PNG, or a folder for a folder's")
	return cmd
}

// translateFiles translates the image in, or every image of the folder
// in, into out, after checking every input.
func translateFiles(cmd *cobra.Command, g *infer.Generator, size int, in, out string) error {
	info, err := os.Stat(in)
	if err != nil {
		return fmt.Errorf("--in: %w", err)
	}
	var files, outs []string
	if info.IsDir() {
		entries, err := os.ReadDir(in)
		if err != nil {
			return fmt.Errorf("--in: %w", err)
		}
		for _, e := range entries {
			if !e.IsDir() && images.IsImageName(e.Name()) {
				files = append(files, filepath.Join(in, e.Name()))
				outs = append(outs, filepath.Join(out, strings.TrimSuffix(e.Name(), filepath.Ext(e.Name()))+".png"))
			}
		}
		if len(files) == 0 {
			return fmt.Errorf("--in: folder %s holds no PNG or JPEG images", in)
		}
		if st, err := os.Stat(out); err == nil && !st.IsDir() {
			return fmt.Errorf("--out: %s is a file; a folder of images translates into a folder", out)
		}
	} else {
		if !strings.EqualFold(filepath.Ext(out), ".png") {
			return fmt.Errorf("--out: %s: the translation is written as PNG: name a .png file", out)
		}
		files, outs = []string{in}, []string{out}
	}
	c := g.Spec.Sample.C
	x := tensor.New(len(files), c*size*size)
	for i, f := range files {
		pix, err := data.LoadImageFile(f, size)
		if err != nil {
			return fmt.Errorf("--in: %w", err)
		}
		images.ToValues(x.Data()[i*c*size*size:(i+1)*c*size*size], pix[:c*size*size])
	}
	y, err := g.SampleAll(x, nil)
	if err != nil {
		return err
	}
	if info.IsDir() {
		if err := os.MkdirAll(out, 0o755); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
	}
	for i, o := range outs {
		if err := images.WritePNG(o, infer.Image(y, i)); err != nil {
			return err
		}
	}
	fmt.Fprintf(cmd.OutOrStdout(), "translated %d image(s) into %s\n", len(files), out)
	return nil
}
