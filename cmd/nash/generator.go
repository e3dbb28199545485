package main

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/infer"
)

// checkpointUsage is the help of --checkpoint on every command that loads
// a run's generator.
const checkpointUsage = "the run's checkpoint: last, or best (the lowest FID of the evaluation during training)"

// addCheckpointFlag adds --checkpoint, default last, to fs.
func addCheckpointFlag(fs *pflag.FlagSet, p *string) {
	fs.StringVar(p, "checkpoint", "last", checkpointUsage)
}

// addTruncationFlags adds --truncation and --truncation-threshold to fs.
func addTruncationFlags(fs *pflag.FlagSet, t *infer.Truncation) {
	fs.Float64Var(&t.Psi, "truncation", 0, "truncation trick: the noise pulled toward its mean, z ← ψ·z, for ψ in (0, 1] (0: off); trades recall for precision")
	fs.Float64Var(&t.Threshold, "truncation-threshold", 0, fmt.Sprintf("truncation trick: noise components beyond ± this value redrawn, at least %g (0: off)", infer.MinThreshold))
}

// loadCheckpoint loads the generator of the run in dir from its checkpoint
// name, which --checkpoint gave: last or best.
func loadCheckpoint(dir, name string) (*infer.Generator, error) {
	g, err := loadAny(dir, name)
	if err != nil {
		return nil, err
	}
	return g, noiseGenerator(g, "--run "+dir)
}

// loadAny is loadCheckpoint of any run, a translation run's G_A included.
func loadAny(dir, name string) (*infer.Generator, error) {
	path, err := checkpointPath(dir, name)
	if err != nil {
		return nil, err
	}
	return infer.Load(path)
}

// noiseGenerator refuses the generator g, loaded from what names, unless
// it maps noise to samples: a translation run's generators map images to
// images, and nash translate runs them.
func noiseGenerator(g *infer.Generator, what string) error {
	if g.Spec.Data != data.Unpaired {
		return nil
	}
	return fmt.Errorf("%s: a translation run (%s on %s) has no generator from noise: translate images with nash translate --run DIR --direction a2b|b2a --in FILE|DIR --out FILE|DIR, measure it with nash eval --run DIR", what, g.Spec.Family, g.Dataset)
}

// checkpointPath returns the path of the checkpoint name, which
// --checkpoint gave, of the run in dir.
func checkpointPath(dir, name string) (string, error) {
	if name != "last" && name != "best" {
		return "", fmt.Errorf("--checkpoint: %q, want last or best", name)
	}
	return infer.RunCheckpoint(dir, name)
}
