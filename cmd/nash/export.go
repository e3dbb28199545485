package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/nash-gan/nash/data"
)

func newExport() *cobra.Command {
	var run, out, format, ckpt, direction string
	cmd := &cobra.Command{
		Use:   "export --run DIR [--direction a2b|b2a] --format onnx|safetensors --out FILE",
		Short: "Export a run's generator as an ONNX model or as safetensors weights with PyTorch names",
		Long: `Export the generator of a run's checkpoint (--checkpoint last or best; the moving average of its weights
when the run keeps one) for use outside nash:
  onnx         an ONNX model (opset 17): input z, float32 [batch, z_dim] drawn from N(0, 1), and for a
               conditional run class, int64 [batch]; output images, float32 [batch, C, H, W] in [-1, 1]; the
               run's description in its metadata
  safetensors  the generator alone, its tensors under PyTorch's state-dict names, with the metadata that
               nash serve --model and the Go API (package infer) load it by
A translation run (CycleGAN) exports one direction's generator as ONNX: --direction a2b (G_A) or b2a
(G_B); input source, float32 [batch, C, H, W] in [-1, 1], images of the other domain.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "onnx" && format != "safetensors" {
				return fmt.Errorf("--format: %q, want onnx or safetensors", format)
			}
			g, err := loadAny(run, ckpt)
			if err != nil {
				return err
			}
			if g.Spec.Data == data.Unpaired {
				if g, err = translator(g, direction); err != nil {
					return err
				}
				if format != "onnx" {
					return fmt.Errorf("--format: a translation run's generator exports as onnx; its weights under the release's names are the run's checkpoint (G_A.*, G_B.*)")
				}
			} else if cmd.Flags().Changed("direction") {
				return fmt.Errorf("--direction: --run %s is not a translation run (model %s generates from noise)", run, g.Spec.Family)
			}
			if format == "onnx" {
				err = g.WriteONNX(out)
			} else {
				err = g.WriteSafetensors(out)
			}
			if err != nil {
				return fmt.Errorf("--out: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", out)
			return nil
		},
	}
	cmd.Flags().StringVar(&run, "run", "", "run directory (required)")
	cmd.Flags().StringVar(&format, "format", "onnx", "onnx or safetensors")
	cmd.Flags().StringVar(&out, "out", "", "file to write (required)")
	cmd.Flags().StringVar(&direction, "direction", "a2b", "a translation run's direction: a2b (G_A) or b2a (G_B)")
	addCheckpointFlag(cmd.Flags(), &ckpt)
	cmd.MarkFlagRequired("run")
	cmd.MarkFlagRequired("out")
	return cmd
}
