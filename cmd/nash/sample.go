package main

import (
	"fmt"
	"image"

	"github.com/spf13/cobra"

	"github.com/nash-gan/nash/images"
	"github.com/nash-gan/nash/infer"
)

func newSample() *cobra.Command {
	var run, out string
	var n, class int
	var seed uint64
	var classGrid bool
	cmd := &cobra.Command{
		Use:   "sample --run DIR",
		Short: "Write a PNG grid of samples from a run's last checkpoint (--class K or --class-grid for a conditional run)",
		Long: `Write a PNG grid of --n samples from the generator of a run's last checkpoint, 8 per row.
For a conditional run (trained with --conditional), --class K draws every sample of class K (a label, from 0),
--class-grid draws one labelled row of 8 samples per class, and otherwise sample i is of class i mod the number
of classes. An unconditional run refuses --class and --class-grid.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if n <= 0 || n > maxSamples {
				return fmt.Errorf("--n: must be between 1 and %d, got %d", maxSamples, n)
			}
			if cmd.Flags().Changed("class") && class < 0 {
				return fmt.Errorf("--class: must be a class label, 0 or more, got %d", class)
			}
			if classGrid && cmd.Flags().Changed("class") {
				return fmt.Errorf("--class and --class-grid cannot be used together")
			}
			if classGrid && cmd.Flags().Changed("n") {
				return fmt.Errorf("--n cannot be used with --class-grid, which draws 8 samples of each class")
			}
			g, err := infer.LoadRun(run, "last")
			if err != nil {
				return err
			}
			var img image.Image
			if classGrid {
				if img, err = g.ClassGrid(seed); err != nil {
					return fmt.Errorf("--class-grid: %s: %w", run, err)
				}
			} else {
				k := -1
				if cmd.Flags().Changed("class") {
					k = class
				}
				x, err := g.Samples(n, seed, k)
				if err != nil {
					return fmt.Errorf("%s: %w", run, err)
				}
				img = images.Grid(x, 8, 2)
			}
			if err := images.WritePNG(out, img); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", out)
			return nil
		},
	}
	cmd.Flags().StringVar(&run, "run", "", "run directory (required)")
	cmd.Flags().StringVar(&out, "out", "grid.png", "PNG file to write")
	cmd.Flags().IntVar(&n, "n", 64, "number of samples")
	cmd.Flags().Uint64Var(&seed, "seed", 0, "seed of the noise")
	cmd.Flags().IntVar(&class, "class", 0, "draw every sample of this class (conditional runs only)")
	cmd.Flags().BoolVar(&classGrid, "class-grid", false, "one labelled row of 8 samples per class (conditional runs only)")
	cmd.MarkFlagRequired("run")
	return cmd
}
