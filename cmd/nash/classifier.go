package main

import (
	"fmt"
	"os"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/nash-gan/nash/classifier"
)

func newClassifier() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "classifier",
		Short: "Train or inspect the feature network of nash eval (a LeNet-style CNN)",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newClassifierTrain(), newClassifierInfo())
	return cmd
}

func newClassifierTrain() *cobra.Command {
	var c classifier.TrainConfig
	var out string
	var force bool
	var threads int
	cmd := &cobra.Command{
		Use:   "train --dataset mnist|fashion-mnist|printed [--data DIR] [--out FILE]",
		Short: "Train the feature network on MNIST or Fashion-MNIST and write its weights (safetensors)",
		Long: `Train nash's feature network, ` + classifier.Architecture + `,
on the training set, print its accuracy on the test set after every epoch, and write the weights
(safetensors, PyTorch's names) to --out. The weights embedded in nash were made by this command
with its defaults; nash eval --classifier FILE uses others.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d := classifier.DefaultTrainConfig(c.Dataset)
			f := cmd.Flags()
			for _, s := range []struct {
				flag string
				set  func()
			}{
				{"epochs", func() { d.Epochs = c.Epochs }}, {"batch", func() { d.Batch = c.Batch }},
				{"lr", func() { d.LR = c.LR }}, {"shift", func() { d.Shift = c.Shift }},
				{"flip", func() { d.Flip = c.Flip }}, {"seed", func() { d.Seed = c.Seed }},
			} {
				if f.Changed(s.flag) {
					s.set()
				}
			}
			d.Dir = c.Dir
			if err := d.Validate(); err != nil {
				return err
			}
			if out == "" {
				out = c.Dataset + "-classifier.safetensors"
			}
			if _, err := os.Stat(out); err == nil && !force {
				return fmt.Errorf("--out %s exists; pass --force to replace it", out)
			}
			if threads > 0 {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(threads))
			}
			var t *classifier.Trained
			err := untilCancelled(cmd.Context(), func() error {
				var err error
				if t, err = classifier.Train(d, cmd.ErrOrStderr()); err != nil {
					return err
				}
				return classifier.Save(out, t)
			})
			if err != nil {
				return err
			}
			m, err := classifier.Load(out)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s test accuracy %.2f%% (%s test set, %d epochs)\nwrote %s, sha256:%s\n",
				c.Dataset, 100*t.Accuracy, c.Dataset, d.Epochs, out, m.SHA256)
			return nil
		},
	}
	def := classifier.DefaultTrainConfig("mnist")
	f := cmd.Flags()
	f.StringVar(&c.Dataset, "dataset", "mnist", "mnist (embedded), fashion-mnist (needs --data) or printed (rendered by nash: the printed digits of mnist-printed, grey 28×28)")
	f.StringVar(&c.Dir, "data", "", "folder with the dataset's IDX files (train-* and t10k-*)")
	f.StringVar(&out, "out", "", "weights file to write (default <dataset>-classifier.safetensors)")
	f.BoolVar(&force, "force", false, "replace --out if it exists")
	f.IntVar(&c.Epochs, "epochs", def.Epochs, "passes over the training set (fashion-mnist: 10)")
	f.IntVar(&c.Batch, "batch", def.Batch, "batch size")
	f.Float32Var(&c.LR, "lr", def.LR, "Adam's initial learning rate, decayed along a cosine to a hundredth")
	f.IntVar(&c.Shift, "shift", def.Shift, "largest random translation of a training image, in pixels")
	f.BoolVar(&c.Flip, "flip", def.Flip, "mirror half the training images (fashion-mnist: on)")
	f.Uint64Var(&c.Seed, "seed", def.Seed, "seed of the initialisation, data order, augmentation and dropout")
	f.IntVar(&threads, "threads", 0, "goroutines doing arithmetic (0: all cores)")
	return cmd
}

func newClassifierInfo() *cobra.Command {
	return &cobra.Command{
		Use:   "info [FILE]",
		Short: "Describe the embedded feature networks, or a weights file",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				m, err := classifier.Load(args[0])
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), m.Describe())
				return nil
			}
			for _, name := range classifier.EmbeddedDatasets {
				m, err := classifier.Embedded(name)
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), m.Describe())
			}
			return nil
		},
	}
}
