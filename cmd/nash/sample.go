package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/images"
	"github.com/nash-gan/nash/infer"
	"github.com/nash-gan/nash/internal/atomicfile"
	"github.com/nash-gan/nash/internal/testlimit"
	"github.com/nash-gan/nash/metrics"
	"github.com/nash-gan/nash/tensor"
)

// sampleFormats are nash sample's --format values, with the default --out
// of each.
var sampleFormats = map[string]string{
	"png":    "grid.png",
	"npy":    "samples.npy",
	"idx":    "samples-idx-ubyte",
	"folder": "samples",
	"txt":    "samples.txt",
}

// formatOfName returns the --format that the file name out implies by its
// ending (.png, .npy, -ubyte or .idx), "" for any other name.
func formatOfName(out string) string {
	switch lower := strings.ToLower(out); {
	case strings.HasSuffix(lower, ".png"):
		return "png"
	case strings.HasSuffix(lower, ".npy"):
		return "npy"
	case strings.HasSuffix(lower, "-ubyte"), strings.HasSuffix(lower, ".idx"):
		return "idx"
	case strings.HasSuffix(lower, ".txt"):
		return "txt"
	}
	return ""
}

func newSample() *cobra.Command {
	var run, out, zFile, format, ckpt string
	var trunc infer.Truncation
	var temperature float64
	var n, class int
	var seed uint64
	var classGrid bool
	cmd := &cobra.Command{
		Use:   "sample --run DIR",
		Short: "Write samples of a run's generator: a PNG grid, a .npy array, an IDX file or a folder of PNGs",
		Long: `Write --n samples from the generator of a run's checkpoint (--checkpoint last or best), from noise drawn
with --seed or from the latent vectors of --z FILE.npy (shape (n, z_dim), float32 or float64), as --format:
  png     a grid, 8 per row (--out grid.png)
  npy     a float32 array (n, C, H, W) of values in [-1, 1] (--out samples.npy)
  idx     an IDX file of pixel bytes, (n, H, W) for grey images, (n, C, H, W) for colour (--out samples-idx-ubyte)
  txt     the token sequences of a run on token sequences, one a line: words or characters for text, token ids
          separated by spaces for the oracle (--out samples.txt; --temperature T samples at temperature T)
  folder  one PNG per sample, 000000.png, … (--out samples, a new or empty folder), as FID tools such as
          torch-fidelity and clean-fid read them: nash sample --run DIR --n 50000 --format folder
For a conditional run (trained with --conditional), --class K draws every sample of class K (a label, from 0),
--class-grid draws one labelled row of 8 samples per class, and otherwise sample i is of class i mod the number
of classes. An unconditional run refuses --class and --class-grid.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			defOut, ok := sampleFormats[format]
			if !ok {
				return fmt.Errorf("--format: %q, want png, npy, idx, folder or txt", format)
			}
			named := formatOfName(out)
			if named != "" && !cmd.Flags().Changed("format") {
				format = named
			}
			if out == "" {
				out = defOut
			}
			// A grid is made in memory; the other formats are written in
			// batches as they are drawn.
			limit := maxStreamedSamples
			if format == "png" {
				limit = maxSamples
			}
			if n <= 0 || n > limit {
				return fmt.Errorf("--n: must be between 1 and %d for --format %s, got %d", limit, format, n)
			}
			if bound, ok, err := testlimit.Get(testlimit.Samples, 2); err != nil {
				return err
			} else if ok {
				n = min(n, bound)
			}
			if cmd.Flags().Changed("class") && class < 0 {
				return fmt.Errorf("--class: must be a class label, 0 or more, got %d", class)
			}
			if classGrid && cmd.Flags().Changed("class") {
				return fmt.Errorf("--class and --class-grid cannot be used together")
			}
			if classGrid && (cmd.Flags().Changed("n") || zFile != "" || format != "png") {
				return fmt.Errorf("--class-grid draws a PNG of 8 samples of each class: --n, --z and --format cannot be used with it")
			}
			if named != "" && named != format {
				return fmt.Errorf("--out %s names a %s file, but --format is %s", out, named, format)
			}
			if zFile != "" && (cmd.Flags().Changed("n") || cmd.Flags().Changed("seed")) {
				return fmt.Errorf("--z gives the latent vectors: --n and --seed cannot be used with it")
			}
			if err := trunc.Validate(); err != nil {
				return err
			}
			if zFile != "" && !trunc.Off() {
				return fmt.Errorf("--z gives the latent vectors: --truncation and --truncation-threshold cannot be used with it")
			}
			g, err := loadCheckpoint(run, ckpt)
			if err != nil {
				return err
			}
			if g, err = g.Truncated(trunc); err != nil {
				return err
			}
			if g, err = tokenSampler(g, format, cmd.Flags().Changed("temperature"), temperature); err != nil {
				return err
			}
			if classGrid {
				img, err := g.ClassGrid(seed)
				if err != nil {
					return fmt.Errorf("--class-grid: %s: %w", run, err)
				}
				if err := images.WritePNG(out, img); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", out)
				return nil
			}
			var z *tensor.Tensor
			if zFile != "" {
				if z, err = readLatents(zFile, g.Spec.ZDim); err != nil {
					return err
				}
				if z.Dim(0) > limit {
					return fmt.Errorf("--z: %s: %d latent vectors, at most %d for --format %s", zFile, z.Dim(0), limit, format)
				}
			} else {
				z = g.Noise(n, tensor.NewRNG(seed, "sample"))
			}
			k := -1
			if cmd.Flags().Changed("class") {
				k = class
			}
			labels, err := g.Classes(z.Dim(0), k)
			if err != nil {
				return fmt.Errorf("--class: %s: %w", run, err)
			}
			if err := writeSamples(g, z, labels, format, out); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", out)
			return nil
		},
	}
	cmd.Flags().Float64Var(&temperature, "temperature", 1, "sampling temperature of a run on token sequences (txt)")
	cmd.Flags().StringVar(&run, "run", "", "run directory (required)")
	cmd.Flags().StringVar(&out, "out", "", "file (or folder, for --format folder) to write (default grid.png, samples.npy, samples-idx-ubyte or samples)")
	cmd.Flags().StringVar(&format, "format", "png", "png (a grid), npy (an array), idx (pixel bytes) or folder (one PNG per sample)")
	cmd.Flags().StringVar(&zFile, "z", "", "a .npy file of latent vectors, shape (n, z_dim): one sample per row")
	cmd.Flags().IntVar(&n, "n", 64, "number of samples")
	cmd.Flags().Uint64Var(&seed, "seed", 0, "seed of the noise")
	cmd.Flags().IntVar(&class, "class", 0, "draw every sample of this class (conditional runs only)")
	cmd.Flags().BoolVar(&classGrid, "class-grid", false, "one labelled row of 8 samples per class (conditional runs only)")
	addCheckpointFlag(cmd.Flags(), &ckpt)
	addTruncationFlags(cmd.Flags(), &trunc)
	cmd.MarkFlagRequired("run")
	return cmd
}

// readLatents reads the latent vectors of a .npy file of shape (n, zDim).
func readLatents(path string, zDim int) (*tensor.Tensor, error) {
	f, err := metrics.ReadNPY(path)
	if err != nil {
		return nil, fmt.Errorf("--z: %w", err)
	}
	if f.Len() < 1 || f.Dim() != zDim {
		return nil, fmt.Errorf("--z: %s: shape (%d, %d), the generator takes latent vectors of shape (n, %d)", path, f.Len(), f.Dim(), zDim)
	}
	z := tensor.New(f.Len(), zDim)
	for i := range f.Len() {
		for j, v := range f.Row(i) {
			z.Data()[i*zDim+j] = float32(v)
		}
	}
	return z, nil
}

// writeSamples writes the samples of z and labels to out in format,
// atomically: a file appears complete or not at all, and a folder's PNGs
// each appear complete.
func writeSamples(g *infer.Generator, z, labels *tensor.Tensor, format, out string) error {
	s := g.Spec.Sample
	n := z.Dim(0)
	switch format {
	case "png":
		all, err := g.SampleAll(z, labels)
		if err != nil {
			return err
		}
		return images.WritePNG(out, images.Grid(all, 8, 2))
	case "npy":
		header, err := metrics.NPYHeader("<f4", n, s.C, s.H, s.W)
		if err != nil {
			return err
		}
		return writeStream(out, header, g, z, labels, func(w *bufio.Writer, x []float32) error {
			return binary.Write(w, binary.LittleEndian, x)
		})
	case "txt":
		words := g.Spec.WordList()
		return writeStream(out, nil, g, z, labels, func(w *bufio.Writer, x []float32) error {
			_, err := w.WriteString(data.SequencesText(tensor.FromSlice(x, len(x)/s.W, s.W), words, g.Spec.Sep, len(x)/s.W))
			return err
		})
	case "idx":
		dims := []int{n, s.C, s.H, s.W}
		if s.C == 1 {
			dims = []int{n, s.H, s.W}
		}
		return writeStream(out, data.IDXHeader(dims...), g, z, labels, func(w *bufio.Writer, x []float32) error {
			for _, v := range x {
				w.WriteByte(images.ToPixel(v))
			}
			return nil
		})
	}
	return writeFolder(out, g, z, labels)
}

// writeStream writes header and then the samples to the file out, each
// batch of SampleEach as put writes its values.
func writeStream(out string, header []byte, g *infer.Generator, z, labels *tensor.Tensor, put func(*bufio.Writer, []float32) error) error {
	return atomicfile.Write(out, 0o644, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<16)
		bw.Write(header)
		err := g.SampleEach(z, labels, func(_ int, x *tensor.Tensor) error {
			return put(bw, x.Data())
		})
		if err != nil {
			return err
		}
		return bw.Flush()
	})
}

// writeFolder writes one PNG per sample, 000000.png, …, into the folder
// out, which must be new or empty so that no earlier sample mixes in.
func writeFolder(out string, g *infer.Generator, z, labels *tensor.Tensor) error {
	entries, err := os.ReadDir(out)
	switch {
	case err == nil && len(entries) > 0:
		return fmt.Errorf("--out: %s is a folder that is not empty (--format folder writes into a new or empty one)", out)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("--out: %w", err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	return g.SampleEach(z, labels, func(lo int, x *tensor.Tensor) error {
		for i := range x.Dim(0) {
			if err := images.WritePNG(filepath.Join(out, fmt.Sprintf("%06d.png", lo+i)), infer.Image(x, i)); err != nil {
				return err
			}
		}
		return nil
	})
}
